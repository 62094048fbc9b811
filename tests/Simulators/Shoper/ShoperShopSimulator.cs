using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Simulators.Shoper;

/// <summary>How the simulated shop and Appstore behave. Credentials are the app's, as the developer panel shows them.</summary>
public sealed class ShoperSimulatorOptions
{
    public string AppId { get; set; } = "sim-app-id";
    public string AppSecret { get; set; } = "sim-app-secret";
    public string AppstoreSecret { get; set; } = "sim-appstore-secret";
    /// <summary>"Application webhook secret" for webhooks declared in the app config (derived-key signing).</summary>
    public string AppWebhookSecret { get; set; } = "sim-app-webhook-secret";
    public string ShopLicense { get; set; } = "5f1c0ffee0ddba11ab1e5eed00000000000000aa";
    /// <summary>expires_in of issued access tokens.</summary>
    public TimeSpan TokenLifetime { get; set; } = TimeSpan.FromDays(30);
    /// <summary>Leaky bucket: capacity (X-Shop-Api-Limit) and drain per second (X-Shop-Api-Bandwidth).</summary>
    public int ApiLimit { get; set; } = 10;
    public double ApiBandwidth { get; set; } = 10;
    /// <summary>Clock for token expiry and notification timestamps.</summary>
    public TimeProvider Time { get; set; } = TimeProvider.System;
    /// <summary>
    /// Clock the leaky bucket drains by (and Retry-After deadlines are kept on). Null: real elapsed
    /// time. A virtual clock shared with the relay lets minutes of paced calls run in seconds.
    /// </summary>
    public TimeProvider? BucketTime { get; set; }
    /// <summary>The shop's zone: Shoper writes dateadd/date_add as zone-less wall-clock time of it (shoper.md §3).</summary>
    public string TimeZone { get; set; } = "Europe/Warsaw";
    /// <summary>A shop that ignores the subscribers' e-mail filter and answers with every subscriber (seen in the wild).</summary>
    public bool IgnoresSubscriberEmailFilter { get; set; }
}

public sealed record SimUser(string UserId, string Email, string Firstname, string Lastname, bool Active, bool Newsletter);
/// <param name="AddedAt">The subscription's dateadd as an instant; served as the shop's wall-clock time.</param>
public sealed record SimSubscriber(string SubscriberId, string Email, bool Active, DateTimeOffset AddedAt = default);
public sealed record SimWebhook(string WebhookId, string Url, string Secret, IReadOnlyList<string> Events, int Format, bool Active);
public sealed record SimRequest(string Method, string Path, string Query, int Status);

/// <summary>Which key the simulator signs a webhook delivery with (the three schemes Shoper uses).</summary>
public enum SimWebhookSigning { RegisteredSecret, DerivedAppKey, AppstoreSecret }

/// <summary>
/// One Shoper shop plus the Appstore in front of it, on a real Kestrel server (<see cref="SimulatorHost"/>).
/// Plays the shop's OAuth token endpoint and REST API (users, subscribers, webhooks, bulk) over
/// in-memory state tests seed and assert on, meters calls with Shoper's leaky bucket, and builds the
/// signed messages Shoper sends to an app: Appstore notifications, webhook deliveries, iframe links.
/// A second host plays the shop's old URL and redirects (301) to the real one.
/// </summary>
public sealed partial class ShoperShopSimulator : IAsyncDisposable
{
    private SimulatorHost? _shop;
    private SimulatorHost? _oldAddress;
    private readonly object _gate = new();
    private int _nextId = 1000;

    // Bucket
    private double _level;
    private long _lastLeakTicks;

    // Forced failures and the earliest moment a retry is welcome after one
    private readonly Queue<(int Status, int? RetryAfterSeconds)> _forced = new();
    private long _retryNotBeforeTicks;

    private ShoperShopSimulator(ShoperSimulatorOptions options)
    {
        Options = options;
        _lastLeakTicks = BucketNow();
    }

    /// <summary>Now on the bucket's clock, in <see cref="BucketFrequency"/> ticks a second.</summary>
    private long BucketNow() => Options.BucketTime is { } clock ? clock.GetUtcNow().UtcTicks : TimeProvider.System.GetTimestamp();

    private long BucketFrequency => Options.BucketTime is null ? TimeProvider.System.TimestampFrequency : TimeSpan.TicksPerSecond;

    public ShoperSimulatorOptions Options { get; }

    /// <summary>The shop's real base URL (what the REST API answers on).</summary>
    public string BaseUrl => _shop!.BaseUrl;

    /// <summary>The shop's previous URL: every request there is answered 301 to <see cref="BaseUrl"/>.</summary>
    public string RedirectingUrl => _oldAddress!.BaseUrl;

    /// <summary>When set, notifications carry <see cref="RedirectingUrl"/> as shop_url (the http↔https case).</summary>
    public bool NotifyRedirectingShopUrl { get; set; }

    // ---- state tests seed and read -------------------------------------------------------

    public Dictionary<string, SimUser> Users { get; } = new();
    public Dictionary<string, SimSubscriber> Subscribers { get; } = new();
    public Dictionary<string, SimWebhook> Webhooks { get; } = new();
    public List<SimRequest> Requests { get; } = new();
    public List<int> BulkSizes { get; } = new();
    public HashSet<string> IssuedAuthCodes { get; } = new();
    public int TokenGrants { get; private set; }
    public int TokenRefreshes { get; private set; }
    public int TooManyRequests { get; private set; }
    /// <summary>Requests that arrived before the Retry-After of a forced 429/503 had passed.</summary>
    public int EarlyRetries { get; private set; }
    public bool RefuseRefresh { get; set; }

    private readonly Dictionary<string, DateTimeOffset> _accessTokens = new();
    private readonly HashSet<string> _refreshTokens = new();

    public string? CurrentAccessToken { get; private set; }

    public static async Task<ShoperShopSimulator> StartAsync(ShoperSimulatorOptions? options = null)
    {
        var sim = new ShoperShopSimulator(options ?? new ShoperSimulatorOptions());
        sim._shop = await SimulatorHost.StartAsync(sim.Map);
        // What Shoper may notify as shop_url: the same shop under its old address (http vs https in real life).
        sim._oldAddress = await SimulatorHost.StartAsync(app => app.Run(ctx =>
        {
            ctx.Response.StatusCode = StatusCodes.Status301MovedPermanently;
            ctx.Response.Headers.Location = sim.BaseUrl + ctx.Request.Path + ctx.Request.QueryString;
            return Task.CompletedTask;
        }));
        return sim;
    }

    public async ValueTask DisposeAsync()
    {
        if (_oldAddress is not null) await _oldAddress.DisposeAsync();
        if (_shop is not null) await _shop.DisposeAsync();
    }

    public void SeedUser(string email, bool active = true, bool newsletter = false, string firstname = "Jan", string lastname = "Kowalski")
    {
        lock (_gate)
        {
            var id = NextId();
            Users[id] = new SimUser(id, email, firstname, lastname, active, newsletter);
        }
    }

    public string SeedSubscriber(string email, bool active = true, DateTimeOffset? addedAt = null)
    {
        lock (_gate)
        {
            var id = NextId();
            Subscribers[id] = new SimSubscriber(id, email, active, addedAt ?? Options.Time.GetUtcNow());
            return id;
        }
    }

    /// <summary>The next REST calls (not OAuth) answer these statuses, e.g. (429, 1) or (503, null).</summary>
    public void FailNext(int status, int? retryAfterSeconds = null, int times = 1)
    {
        lock (_gate)
            for (var i = 0; i < times; i++) _forced.Enqueue((status, retryAfterSeconds));
    }

    /// <summary>
    /// Calls made with the same app's access by something other than the relay under test (another
    /// deployment, a merchant's script): they fill the same bucket, up to its limit.
    /// </summary>
    public void SpendApiCalls(double calls)
    {
        lock (_gate)
        {
            Leak(BucketNow());
            _level = Math.Min(Options.ApiLimit, _level + calls);
        }
    }

    /// <summary>How full the bucket is now, as X-Shop-Api-Calls would say before rounding.</summary>
    public double ApiBucketLevel
    {
        get
        {
            lock (_gate)
            {
                Leak(BucketNow());
                return _level;
            }
        }
    }

    /// <summary>Every issued access token stops working (the shop revoked them), refresh tokens stay valid.</summary>
    public void RevokeAccessTokens()
    {
        lock (_gate) _accessTokens.Clear();
    }

    public T Read<T>(Func<ShoperShopSimulator, T> read)
    {
        lock (_gate) return read(this);
    }

    // ---- what the Appstore and the shop send to an app -----------------------------------

    /// <summary>Form fields of a signed lifecycle notification; "install" gets a fresh auth_code the token endpoint will accept once.</summary>
    public Dictionary<string, string> BuildNotification(string action, IDictionary<string, string>? extra = null)
    {
        var fields = new Dictionary<string, string>
        {
            ["action"] = action,
            ["shop"] = Options.ShopLicense,
            ["shop_url"] = NotifyRedirectingShopUrl ? RedirectingUrl : BaseUrl,
            ["application_code"] = Options.AppId,
            ["timestamp"] = Options.Time.GetUtcNow().ToOffset(TimeSpan.FromHours(1)).ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture),
        };
        if (action is "install" or "upgrade")
            fields["application_version"] = "3";
        if (action == "install")
        {
            var code = "code-" + Guid.NewGuid().ToString("N");
            lock (_gate) IssuedAuthCodes.Add(code);
            fields["auth_code"] = code;
        }
        foreach (var (k, v) in extra ?? new Dictionary<string, string>()) fields[k] = v;
        fields["hash"] = AppstoreHash(fields, Options.AppstoreSecret);
        return fields;
    }

    public Task<HttpResponseMessage> SendNotificationAsync(HttpClient relay, string action, IDictionary<string, string>? extra = null, string path = "/shoper/appstore") =>
        relay.PostAsync(path, new FormUrlEncodedContent(BuildNotification(action, extra)));

    /// <summary>
    /// A delivery of the shop's webhook registered for <paramref name="eventName"/>, signed as Shoper does:
    /// X-Webhook-Sha1 = SHA1(id:K:body). Goes to the path of the registered URL on the given client.
    /// </summary>
    public HttpRequestMessage BuildWebhookDelivery(string eventName, string body, SimWebhookSigning signing = SimWebhookSigning.RegisteredSecret, string? webhookId = null)
    {
        SimWebhook? hook;
        lock (_gate) hook = Webhooks.Values.FirstOrDefault(w => w.Events.Contains(eventName));
        var id = webhookId ?? hook?.WebhookId ?? "77";
        var key = signing switch
        {
            SimWebhookSigning.RegisteredSecret => hook?.Secret ?? throw new InvalidOperationException($"No webhook is registered for {eventName}."),
            SimWebhookSigning.DerivedAppKey => HmacSha512Hex(Options.AppstoreSecret, Options.ShopLicense + ":" + Options.AppWebhookSecret),
            _ => Options.AppstoreSecret,
        };
        var path = hook is null ? "/shoper/webhooks" : new Uri(hook.Url).PathAndQuery;
        var request = new HttpRequestMessage(HttpMethod.Post, path)
        {
            Content = new StringContent(body, Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("X-Shop-Version", "5.26.54");
        request.Headers.Add("X-Shop-Domain", new Uri(BaseUrl).Authority);
        request.Headers.Add("X-Shop-License", Options.ShopLicense);
        request.Headers.Add("X-Webhook-Id", id);
        request.Headers.Add("X-Webhook-Name", eventName);
        request.Headers.Add("X-Webhook-Sha1", WebhookSha1(id, key, Encoding.UTF8.GetBytes(body)));
        request.Headers.UserAgent.ParseAdd("Shop-Webhook-Sender/5.26.54");
        return request;
    }

    /// <summary>Path and query of the app page as the shop admin opens it in its iframe.</summary>
    public string BuildIframePath(string path = "/shoper/iframe", string place = "admin", DateTimeOffset? at = null, string translations = "pl_PL")
    {
        var timestamp = (at ?? Options.Time.GetUtcNow()).ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        var hash = HmacSha512Hex(Options.AppstoreSecret, $"place={place}&shop={Options.ShopLicense}&timestamp={timestamp}");
        return $"{path}?place={Uri.EscapeDataString(place)}&shop={Options.ShopLicense}&timestamp={timestamp}&hash={hash}&translations={translations}&locale={translations}";
    }

    public static string AppstoreHash(IReadOnlyDictionary<string, string> fields, string appstoreSecret) =>
        HmacSha512Hex(appstoreSecret, string.Join("&", fields.Where(f => f.Key != "hash").OrderBy(f => f.Key, StringComparer.Ordinal).Select(f => $"{f.Key}={f.Value}")));

    public static string WebhookSha1(string webhookId, string key, byte[] body) =>
        Convert.ToHexStringLower(SHA1.HashData([.. Encoding.UTF8.GetBytes($"{webhookId}:{key}:"), .. body]));

    public static string HmacSha512Hex(string key, string message) =>
        Convert.ToHexStringLower(HMACSHA512.HashData(Encoding.UTF8.GetBytes(key), Encoding.UTF8.GetBytes(message)));

    // ---- the shop's HTTP side -------------------------------------------------------------

    private void Map(WebApplication app)
    {
        app.MapPost("/webapi/rest/oauth/token", TokenAsync);
        app.MapGet("/", () => Results.Text("Shoper shop simulator"));

        var rest = app.MapGroup("/webapi/rest").AddEndpointFilter(async (context, next) =>
        {
            var ctx = context.HttpContext;
            var refused = Meter(ctx) ?? Authorize(ctx);
            if (refused is not null)
            {
                Record(ctx, refused.Value.Status);
                return refused.Value.Result;
            }
            var result = await next(context);
            Record(ctx, result is IStatusCodeHttpResult { StatusCode: { } s } ? s : 200);
            return result;
        });

        rest.MapGet("/users", (HttpRequest r) => List(r, () => Users.Values.Select(UserJson).ToList()));
        rest.MapGet("/subscribers", (HttpRequest r) => List(r, () => Subscribers.Values.Select(SubscriberJson).ToList()));
        rest.MapPut("/subscribers/{id}", async (string id, HttpRequest r) => PutSubscriber(id, await JsonNode.ParseAsync(r.Body)));
        rest.MapDelete("/subscribers/{id}", (string id) => DeleteSubscriber(id));
        rest.MapGet("/webhooks", () => { lock (_gate) return Results.Json(new { count = Webhooks.Count.ToString(CultureInfo.InvariantCulture), pages = 1, page = 1, list = Webhooks.Values.ToList() }); });
        rest.MapPost("/webhooks", async (HttpRequest r) => CreateWebhook(await JsonNode.ParseAsync(r.Body)));
        rest.MapDelete("/webhooks/{id}", (string id) =>
        {
            lock (_gate) return Webhooks.Remove(id) ? Results.Json(1) : Error(404, "not_found", "Webhook not found");
        });
        rest.MapPost("/bulk", async (HttpRequest r) => Bulk(await JsonNode.ParseAsync(r.Body)));
        MapOrders(rest);
    }

    private void Record(HttpContext ctx, int status)
    {
        lock (_gate) Requests.Add(new SimRequest(ctx.Request.Method, ctx.Request.Path, ctx.Request.QueryString.Value ?? "", status));
    }

    /// <summary>Shoper's leaky bucket, plus forced failures. Null when the call may go through.</summary>
    private (int Status, IResult Result)? Meter(HttpContext ctx)
    {
        lock (_gate)
        {
            var now = BucketNow();
            // A retry within 100 ms of the deadline counts as on time: timers are not that precise, and a
            // client that ignores Retry-After comes back within milliseconds.
            if (now < _retryNotBeforeTicks - BucketFrequency / 10)
            {
                EarlyRetries++;
                return (429, TooMany(ctx, 1));
            }
            if (_forced.TryDequeue(out var forced))
            {
                if (forced.RetryAfterSeconds is { } seconds)
                {
                    _retryNotBeforeTicks = now + (long)(seconds * (double)BucketFrequency);
                    ctx.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
                }
                if (forced.Status == 429) TooManyRequests++;
                return (forced.Status, Error(forced.Status, forced.Status == 429 ? "too_many_requests" : "temporarily_unavailable", "Forced by the test"));
            }

            Leak(now);
            if (_level + 1 > Options.ApiLimit)
            {
                TooManyRequests++;
                var wait = (int)Math.Ceiling((_level + 1 - Options.ApiLimit) / Options.ApiBandwidth);
                return (429, TooMany(ctx, Math.Max(1, wait)));
            }
            _level += 1;
            ctx.Response.Headers["X-Shop-Api-Limit"] = Options.ApiLimit.ToString(CultureInfo.InvariantCulture);
            ctx.Response.Headers["X-Shop-Api-Bandwidth"] = Options.ApiBandwidth.ToString(CultureInfo.InvariantCulture);
            ctx.Response.Headers["X-Shop-Api-Calls"] = ((int)Math.Ceiling(_level)).ToString(CultureInfo.InvariantCulture);
            return null;
        }
    }

    /// <summary>Drains the bucket for the time since the last call (under <see cref="_gate"/>).</summary>
    private void Leak(long now)
    {
        var elapsed = (now - _lastLeakTicks) / (double)BucketFrequency;
        _lastLeakTicks = now;
        _level = Math.Max(0, _level - elapsed * Options.ApiBandwidth);
    }

    private IResult TooMany(HttpContext ctx, int retryAfterSeconds)
    {
        ctx.Response.Headers.RetryAfter = retryAfterSeconds.ToString(CultureInfo.InvariantCulture);
        ctx.Response.Headers["X-Shop-Api-Limit"] = Options.ApiLimit.ToString(CultureInfo.InvariantCulture);
        ctx.Response.Headers["X-Shop-Api-Bandwidth"] = Options.ApiBandwidth.ToString(CultureInfo.InvariantCulture);
        ctx.Response.Headers["X-Shop-Api-Calls"] = Options.ApiLimit.ToString(CultureInfo.InvariantCulture);
        return Error(429, "too_many_requests", "Too many requests");
    }

    private (int Status, IResult Result)? Authorize(HttpContext ctx)
    {
        var header = ctx.Request.Headers.Authorization.ToString();
        lock (_gate)
        {
            if (header.StartsWith("Bearer ", StringComparison.Ordinal)
                && _accessTokens.TryGetValue(header["Bearer ".Length..], out var expires)
                && expires > Options.Time.GetUtcNow())
                return null;
        }
        return (401, Error(401, "unauthorized_client", "Provided access token is invalid"));
    }

    private async Task<IResult> TokenAsync(HttpRequest request)
    {
        var expected = "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes($"{Options.AppId}:{Options.AppSecret}"));
        if (request.Headers.Authorization.ToString() != expected)
            return Error(401, "invalid_client", "Client authentication failed");
        var form = request.HasFormContentType ? await request.ReadFormAsync() : null;
        var grantType = request.Query["grant_type"].FirstOrDefault() ?? form?["grant_type"].FirstOrDefault();
        lock (_gate)
        {
            switch (grantType)
            {
                case "authorization_code":
                    var code = form?["code"].ToString() ?? "";
                    if (!IssuedAuthCodes.Remove(code))
                        return Error(400, "invalid_grant", "Authorization code is invalid or used");
                    TokenGrants++;
                    return Results.Json(IssueTokens());
                case "refresh_token":
                    var refresh = form?["refresh_token"].ToString() ?? "";
                    if (RefuseRefresh || !_refreshTokens.Remove(refresh))
                        return Error(400, "invalid_grant", "Refresh token is invalid");
                    TokenRefreshes++;
                    return Results.Json(IssueTokens());
                default:
                    return Error(400, "unsupported_grant_type", "grant_type is missing or unsupported");
            }
        }
    }

    private object IssueTokens()
    {
        var access = "at-" + Guid.NewGuid().ToString("N");
        var refresh = "rt-" + Guid.NewGuid().ToString("N");
        _accessTokens[access] = Options.Time.GetUtcNow() + Options.TokenLifetime;
        _refreshTokens.Add(refresh);
        CurrentAccessToken = access;
        return new Dictionary<string, string>
        {
            ["access_token"] = access,
            ["refresh_token"] = refresh,
            // Shoper sends expires_in as a string.
            ["expires_in"] = ((long)Options.TokenLifetime.TotalSeconds).ToString(CultureInfo.InvariantCulture),
            ["token_type"] = "bearer",
            ["scope"] = "client,subscribers_read,subscribers_write,webhooks",
        };
    }

    private IResult List(HttpRequest request, Func<List<JsonObject>> all)
    {
        var page = int.TryParse(request.Query["page"], out var p) ? p : 1;
        var limit = int.TryParse(request.Query["limit"], out var l) ? l : 10;
        if (page < 1 || limit is < 1 or > 50)
            return Error(400, "invalid_request", "page must be >= 1 and limit 1..50");
        var filters = request.Query["filters"].ToString();
        lock (_gate) return Results.Json(Page(all(), page, limit, filters.Length == 0 ? null : JsonNode.Parse(filters)?.AsObject()));
    }

    private JsonObject Page(List<JsonObject> items, int page, int limit, JsonObject? filters)
    {
        if (Options.IgnoresSubscriberEmailFilter && filters is not null && filters.ContainsKey("email") && items.FirstOrDefault()?["subscriber_id"] is not null)
            filters = null;
        var matching = items.Where(i => filters is null || filters.All(f => Matches(i[f.Key], f.Value))).ToList();
        var pages = (int)Math.Ceiling(matching.Count / (double)limit);
        return new JsonObject
        {
            ["count"] = matching.Count.ToString(CultureInfo.InvariantCulture),
            ["pages"] = pages,
            ["page"] = page,
            ["list"] = new JsonArray(matching.Skip((page - 1) * limit).Take(limit).Select(i => (JsonNode)i.DeepClone()).ToArray()),
        };
    }

    /// <summary>Equality shorthand ({"email":"a@b"}) and the operator form ({"active":{"=":1}}, {"x":{"in":[…]}}); values compare as text.</summary>
    private static bool Matches(JsonNode? value, JsonNode? filter)
    {
        var actual = Text(value);
        if (filter is JsonObject ops)
            return ops.All(op => op.Key switch
            {
                "=" => actual == Text(op.Value),
                "!=" => actual != Text(op.Value),
                "in" => op.Value is JsonArray list && list.Any(v => Text(v) == actual),
                // Shoper's times are "YYYY-MM-DD HH:MM:SS" and ids numbers: compared as Shoper's SQL does.
                ">=" => actual is not null && Compare(actual, Text(op.Value)) >= 0,
                "<=" => actual is not null && Compare(actual, Text(op.Value)) <= 0,
                "like" => actual is not null && actual.Contains(Text(op.Value)?.Trim('%') ?? "", StringComparison.OrdinalIgnoreCase),
                _ => false,
            });
        return actual == Text(filter);
    }

    private static int Compare(string a, string? b) =>
        decimal.TryParse(a, NumberStyles.Number, CultureInfo.InvariantCulture, out var x) && decimal.TryParse(b, NumberStyles.Number, CultureInfo.InvariantCulture, out var y)
            ? x.CompareTo(y)
            : string.CompareOrdinal(a, b);

    private static string? Text(JsonNode? node) => node switch
    {
        null => null,
        JsonValue v when v.TryGetValue<bool>(out var b) => b ? "1" : "0",
        JsonValue v => v.ToString(),
        _ => node.ToJsonString(),
    };

    private static JsonObject UserJson(SimUser u) => new()
    {
        ["user_id"] = u.UserId,
        ["login"] = u.Email,
        ["email"] = u.Email,
        ["firstname"] = u.Firstname,
        ["lastname"] = u.Lastname,
        ["active"] = u.Active ? "1" : "0",
        ["newsletter"] = u.Newsletter ? "1" : "0",
        ["group_id"] = "1",
        ["lang_id"] = "1",
        ["date_add"] = "2024-01-15 12:34:56",
    };

    private JsonObject SubscriberJson(SimSubscriber s) => new()
    {
        ["subscriber_id"] = s.SubscriberId,
        ["email"] = s.Email,
        ["active"] = s.Active ? "1" : "0",
        ["dateadd"] = TimeZoneInfo.ConvertTime(s.AddedAt, TimeZoneInfo.FindSystemTimeZoneById(Options.TimeZone)).ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture),
        ["lang_id"] = "1",
        ["groups"] = new JsonArray("1"),
    };

    private IResult PutSubscriber(string id, JsonNode? body)
    {
        lock (_gate)
        {
            if (!Subscribers.TryGetValue(id, out var subscriber))
                return Error(404, "not_found", "Subscriber not found");
            if (body?["active"] is { } active)
                Subscribers[id] = subscriber with { Active = Text(active) is "1" or "true" };
            return Results.Json(1);
        }
    }

    private IResult DeleteSubscriber(string id)
    {
        lock (_gate) return Subscribers.Remove(id) ? Results.Json(1) : Error(404, "not_found", "Subscriber not found");
    }

    private IResult CreateWebhook(JsonNode? body)
    {
        var url = body?["url"]?.GetValue<string>();
        if (string.IsNullOrEmpty(url) || body?["format"] is null)
            return Error(400, "invalid_request", "url and format are required");
        lock (_gate)
        {
            var id = NextId();
            Webhooks[id] = new SimWebhook(id, url, body!["secret"]?.GetValue<string>() ?? "",
                body["events"]?.AsArray().Select(e => e!.GetValue<string>()).ToList() ?? [],
                int.Parse(Text(body["format"])!, CultureInfo.InvariantCulture), Text(body["active"]) is "1");
            // POST answers the new id as a bare integer.
            return Results.Json(int.Parse(id, CultureInfo.InvariantCulture));
        }
    }

    private IResult Bulk(JsonNode? body)
    {
        if (body is not JsonArray operations || operations.Count is 0 or > 25)
            return Error(400, "invalid_request", "bulk takes 1..25 operations");
        lock (_gate) BulkSizes.Add(operations.Count);
        var items = new JsonArray();
        var anyError = false;
        foreach (var op in operations)
        {
            var (code, result) = Execute(op!["method"]!.GetValue<string>(), op["path"]!.GetValue<string>(), op["params"]?.AsObject(), op["body"]);
            anyError |= code >= 400;
            items.Add(new JsonObject { ["id"] = op["id"]!.GetValue<string>(), ["code"] = code, ["body"] = result });
        }
        return Results.Json(new JsonObject { ["errors"] = anyError, ["items"] = items });
    }

    private (int Code, JsonNode? Body) Execute(string method, string path, JsonObject? parameters, JsonNode? body)
    {
        const string prefix = "/webapi/rest/";
        if (!path.StartsWith(prefix, StringComparison.Ordinal))
            return (400, ErrorJson("invalid_request", "path must start with /webapi/rest/"));
        var parts = path[prefix.Length..].Trim('/').Split('/');
        lock (_gate)
        {
            switch (method, parts)
            {
                case ("GET", ["subscribers"]):
                case ("GET", ["users"]):
                    var page = int.TryParse(Text(parameters?["page"]), out var p) ? p : 1;
                    var limit = int.TryParse(Text(parameters?["limit"]), out var l) ? l : 10;
                    var filters = Text(parameters?["filters"]) is { } f ? JsonNode.Parse(f)?.AsObject() : null;
                    var all = parts[0] == "users" ? Users.Values.Select(UserJson).ToList() : Subscribers.Values.Select(SubscriberJson).ToList();
                    return (200, Page(all, page, limit, filters));
                case ("PUT", ["subscribers", var id]):
                    if (!Subscribers.TryGetValue(id, out var s)) return (404, ErrorJson("not_found", "Subscriber not found"));
                    if (body?["active"] is { } active) Subscribers[id] = s with { Active = Text(active) is "1" or "true" };
                    return (200, JsonValue.Create(1));
                case ("DELETE", ["subscribers", var id]):
                    return Subscribers.Remove(id) ? (200, JsonValue.Create(1)) : (404, ErrorJson("not_found", "Subscriber not found"));
                default:
                    return (501, ErrorJson("not_implemented", $"{method} {path} is not simulated"));
            }
        }
    }

    private string NextId() => (++_nextId).ToString(CultureInfo.InvariantCulture);

    private static IResult Error(int status, string error, string description) =>
        Results.Json(ErrorJson(error, description), statusCode: status);

    private static JsonObject ErrorJson(string error, string description) => new() { ["error"] = error, ["error_description"] = description };
}

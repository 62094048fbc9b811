using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Xml.Linq;

namespace Simulators.Shoprenter;

/// <summary>How the simulated Shoprenter shop behaves. Credentials are the app's, as Partner Support sends them.</summary>
public sealed class ShoprenterSimulatorOptions
{
    public string AppId { get; set; } = "55";
    public string ClientId { get; set; } = "sim-client-id";
    public string ClientSecret { get; set; } = "sim-client-secret";
    public string ShopName { get; set; } = "demoshop";
    /// <summary>The shop's own API user for the deprecated Basic-auth API (Settings → API settings).</summary>
    public string LegacyUserName { get; set; } = "api-user";
    public string LegacyPassword { get; set; } = "api-password";
    public TimeSpan TokenLifetime { get; set; } = TimeSpan.FromHours(1);
    /// <summary>Shoprenter's limit: requests per app and shop per second.</summary>
    public int RequestsPerSecond { get; set; } = 3;
    /// <summary>Clock of tokens, signed timestamps and record times.</summary>
    public TimeProvider Time { get; set; } = TimeProvider.System;
    /// <summary>Clock of the 3-a-second window. Null: real elapsed time.</summary>
    public TimeProvider? LimiterTime { get; set; }
    /// <summary>The shop's config_timezone: Shoprenter writes dateCreated/dateUpdated as zone-less wall-clock time of it.</summary>
    public string TimeZone { get; set; } = "Europe/Budapest";
}

public sealed record SrCustomer(int InnerId, string Email, string Firstname, string Lastname, string Telephone, DateTimeOffset Created, DateTimeOffset Updated);
public sealed record SrSubscriber(int InnerId, string Email, string Firstname, string Lastname, bool Subscribed, DateTimeOffset Created, DateTimeOffset Updated, DateTimeOffset SubscribedAt);
/// <summary>A line of an order: net unit price and tax rate, as Shoprenter's orderProducts carry them.</summary>
public sealed record SrOrderProduct(string Name, string Sku, decimal NetPrice, int Quantity, decimal TaxRate);
/// <param name="ShippingGross">The SHIPPING total (gross); <paramref name="CouponGross"/> the COUPON total, what it takes off.</param>
public sealed record SrOrder(int InnerId, string Email, int StatusInnerId, DateTimeOffset Created, DateTimeOffset Updated, IReadOnlyList<SrOrderProduct> Products,
    decimal ShippingGross = 0, string? CouponCode = null, decimal CouponGross = 0, string Currency = "HUF", bool AbandonedCart = false);
public sealed record SrWebhook(string Id, string Event, string Type, string Url, bool Active);
/// <param name="At">Arrival on the limiter's clock, in ticks.</param>
/// <summary>A customer or subscriber as /_sim takes it.</summary>
public sealed record SrContactInput(string Email, string FirstName = "Anna", string LastName = "Kovács", bool Subscribed = true);

public sealed record SrRequest(string Method, string Path, string Query, int Status, long At = 0);

/// <summary>
/// One Shoprenter shop on a real Kestrel server (<see cref="SimulatorHost"/>), strict where the documentation
/// is: the token endpoint (client credentials, JSON, one-hour tokens) at /oauth/{shop}/app/token; the API at
/// /{shop}/api (Bearer) and the deprecated one at /{shop}/legacy (Basic) with customers, newsletterSubscribers,
/// webHooks and batch; 0-based pages, limit ≤ 200, hrefs unless full=1, Content-Type required, XML unless
/// Accept asks for JSON, 3 requests a second with 429 beyond. It also builds what Shoprenter sends an app:
/// signed install, entry and uninstall links, and unsigned webhook deliveries to the registered URLs.
/// </summary>
public sealed class ShoprenterShopSimulator : IAsyncDisposable
{
    private SimulatorHost? _host;
    private readonly object _gate = new();
    private int _nextCustomer = 1;
    private int _nextSubscriber = 1;
    private int _nextWebhook = 1;
    private readonly Queue<long> _window = new();
    private readonly Dictionary<string, DateTimeOffset> _tokens = new();
    private readonly Queue<int> _forced = new();

    private HttpClient? _relay;

    private ShoprenterShopSimulator(ShoprenterSimulatorOptions options) => Options = options;

    public ShoprenterSimulatorOptions Options { get; }
    public string BaseUrl => _host!.BaseUrl;
    public string TokenUrl => $"{BaseUrl}/oauth/{{shopName}}/app/token";
    public string ApiUrl => $"{BaseUrl}/{{shopName}}/api";
    public string LegacyApiUrl => $"{BaseUrl}/{{shopName}}/legacy";

    public Dictionary<int, SrCustomer> Customers { get; } = new();
    public Dictionary<int, SrSubscriber> Subscribers { get; } = new();
    public Dictionary<string, SrWebhook> Webhooks { get; } = new();
    public Dictionary<int, SrOrder> Orders { get; } = new();
    /// <summary>Order statuses by inner id, with their Hungarian and English names (orderStatusDescriptions).</summary>
    public Dictionary<int, (string Hu, string En)> OrderStatuses { get; } = new()
    {
        [1] = ("Függőben lévő", "Pending"),
        [5] = ("Teljesítve", "Completed"),
        [7] = ("Törölve", "Cancelled"),
    };
    public List<SrRequest> Requests { get; } = new();
    public List<int> BatchSizes { get; } = new();
    public int TokenGrants { get; private set; }
    public int TooManyRequests { get; private set; }
    /// <summary>The token endpoint refuses the app (client no longer valid for the shop).</summary>
    public bool RefuseTokens { get; set; }

    /// <param name="relay">Reaches the relay, for the /_sim routes that act as Shoprenter towards it (install, webhook deliveries).</param>
    public static async Task<ShoprenterShopSimulator> StartAsync(ShoprenterSimulatorOptions? options = null, int port = 0, HttpClient? relay = null)
    {
        var sim = new ShoprenterShopSimulator(options ?? new ShoprenterSimulatorOptions()) { _relay = relay };
        sim._host = await SimulatorHost.StartAsync(sim.Map, port);
        return sim;
    }

    public async ValueTask DisposeAsync()
    {
        if (_host is not null) await _host.DisposeAsync();
    }

    public T Read<T>(Func<ShoprenterShopSimulator, T> read)
    {
        lock (_gate) return read(this);
    }

    // ---- state tests seed ---------------------------------------------------------------------

    public int SeedCustomer(string email, string firstname = "Anna", string lastname = "Kovács", DateTimeOffset? updated = null)
    {
        lock (_gate)
        {
            var id = _nextCustomer++;
            var at = updated ?? Options.Time.GetUtcNow();
            Customers[id] = new SrCustomer(id, email, firstname, lastname, "+36201234567", at, at);
            return id;
        }
    }

    public int SeedSubscriber(string email, bool subscribed = true, DateTimeOffset? at = null, string firstname = "Anna", string lastname = "Kovács")
    {
        lock (_gate)
        {
            var id = _nextSubscriber++;
            var when = at ?? Options.Time.GetUtcNow();
            Subscribers[id] = new SrSubscriber(id, email, firstname, lastname, subscribed, when, when, when);
            return id;
        }
    }

    /// <summary>The next API calls (not the token endpoint) answer this status.</summary>
    public void FailNext(int status, int times = 1)
    {
        lock (_gate)
            for (var i = 0; i < times; i++) _forced.Enqueue(status);
    }

    /// <summary>Every issued token stops working (the shop revoked the app's access).</summary>
    public void RevokeTokens()
    {
        lock (_gate) _tokens.Clear();
    }

    public static string ResourceId(string resource, string key, int innerId) => Convert.ToBase64String(Encoding.UTF8.GetBytes($"{resource}-{key}={innerId}"));
    public static string CustomerId(int innerId) => ResourceId("customer", "customer_id", innerId);
    public static string SubscriberId(int innerId) => ResourceId("newsletterSubscriber", "subscriber_id", innerId);
    public static string OrderId(int innerId) => ResourceId("order", "order_id", innerId);
    public static string OrderStatusId(int innerId) => ResourceId("orderStatus", "order_status_id", innerId);

    public void SeedOrder(SrOrder order)
    {
        lock (_gate) Orders[order.InnerId] = order;
    }

    /// <summary>What order_confirm and order_status_change send: {"orders":{"order":[…]}} with innerId and innerResourceId.</summary>
    public string OrderPayload(int innerId)
    {
        SrOrder o;
        lock (_gate) o = Orders[innerId];
        var order = new JsonObject
        {
            ["storeName"] = Options.ShopName,
            ["innerId"] = innerId.ToString(CultureInfo.InvariantCulture),
            ["innerResourceId"] = "orders/" + OrderId(innerId),
            ["outerResourceId"] = "",
            ["firstname"] = "Anna",
            ["lastname"] = "Kovács",
            ["email"] = o.Email,
            ["currency"] = o.Currency,
            ["orderHistory"] = new JsonObject { ["status"] = o.StatusInnerId.ToString(CultureInfo.InvariantCulture), ["statusText"] = OrderStatuses[o.StatusInnerId].Hu, ["dateAdded"] = Local(o.Updated, " ") },
        };
        return new JsonObject { ["orders"] = new JsonObject { ["order"] = new JsonArray(order) } }.ToJsonString();
    }

    // ---- what Shoprenter sends an app ---------------------------------------------------------------

    /// <summary>
    /// A signed RedirectUri / EntryPoint / UninstallUri link: hmac = hex HMAC-SHA256(ClientSecret, every
    /// parameter but hmac, alphabetical, "k=v" joined by "&amp;").
    /// </summary>
    public string BuildSignedPath(string path, DateTimeOffset? at = null, string? secret = null, bool withAppUrl = true)
    {
        var query = new SortedDictionary<string, string>(StringComparer.Ordinal)
        {
            ["shopname"] = Options.ShopName,
            ["code"] = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16)),
            ["timestamp"] = (at ?? Options.Time.GetUtcNow()).ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture),
        };
        if (withAppUrl) query["app_url"] = $"https://{Options.ShopName}.myshoprenter.hu/admin/app/{Options.AppId}";
        var message = string.Join('&', query.Select(p => $"{p.Key}={p.Value}"));
        var hmac = Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret ?? Options.ClientSecret), Encoding.UTF8.GetBytes(message)));
        return path + "?" + string.Join('&', query.Select(p => $"{p.Key}={Uri.EscapeDataString(p.Value)}")) + "&hmac=" + hmac;
    }

    /// <summary>The body Shoprenter sends for a newsletter event: {"newsletter":{"subscriber":[…]}} or the same tree in XML.</summary>
    public string NewsletterPayload(int innerId, string type = "json")
    {
        SrSubscriber s;
        lock (_gate) s = Subscribers[innerId];
        var subscriber = new JsonObject
        {
            ["id"] = innerId.ToString(CultureInfo.InvariantCulture),
            ["firstname"] = s.Firstname,
            ["lastname"] = s.Lastname,
            ["email"] = s.Email,
            ["phone"] = "+36201234567",
            ["status"] = s.Subscribed ? 1 : 0,
            ["language"] = "1",
            ["hash"] = Convert.ToHexStringLower(MD5.HashData(Encoding.UTF8.GetBytes(s.Email))),
            ["subscribe_date"] = Local(s.SubscribedAt, " "),
        };
        if (type == "json")
            return new JsonObject { ["newsletter"] = new JsonObject { ["subscriber"] = new JsonArray(subscriber) } }.ToJsonString();
        return new XElement("newsletter", new XElement("subscriber", subscriber.Select(p => new XElement(p.Key, p.Value?.ToString())))).ToString(SaveOptions.DisableFormatting);
    }

    /// <summary>
    /// A delivery of the webhook registered for <paramref name="eventName"/>, as Shoprenter sends it: to the
    /// registered URL's path, in its registered type, with no signature of any kind.
    /// </summary>
    public HttpRequestMessage BuildWebhookDelivery(string eventName, string body, string? type = null)
    {
        SrWebhook hook;
        lock (_gate) hook = Webhooks.Values.FirstOrDefault(w => w.Event == eventName) ?? throw new InvalidOperationException($"No webhook is registered for {eventName}.");
        var kind = type ?? hook.Type;
        return new HttpRequestMessage(HttpMethod.Post, new Uri(hook.Url).PathAndQuery)
        {
            Content = new StringContent(body, Encoding.UTF8, kind == "xml" ? "application/xml" : "application/json"),
        };
    }

    /// <summary>The subscriber unsubscribes in the storefront: status 0 now, and the delivery Shoprenter would send.</summary>
    public HttpRequestMessage UnsubscribeInStorefront(int innerId)
    {
        string type;
        lock (_gate)
        {
            var s = Subscribers[innerId];
            Subscribers[innerId] = s with { Subscribed = false, Updated = Options.Time.GetUtcNow() };
            type = Webhooks.Values.FirstOrDefault(w => w.Event == "newsletter_unsubscribe")?.Type ?? "json";
        }
        return BuildWebhookDelivery("newsletter_unsubscribe", NewsletterPayload(innerId, type));
    }

    private string Local(DateTimeOffset at, string separator = "T") =>
        TimeZoneInfo.ConvertTime(at, TimeZoneInfo.FindSystemTimeZoneById(Options.TimeZone)).ToString($"yyyy-MM-dd'{separator}'HH:mm:ss", CultureInfo.InvariantCulture);

    private DateTimeOffset? ParseLocal(string text)
    {
        if (!DateTime.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.None, out var local)) return null;
        var zone = TimeZoneInfo.FindSystemTimeZoneById(Options.TimeZone);
        return new DateTimeOffset(local, zone.GetUtcOffset(local));
    }

    // ---- the shop's HTTP side ------------------------------------------------------------------------

    private void Map(WebApplication app)
    {
        app.MapGet("/", () => Results.Text("Shoprenter shop simulator"));
        MapControl(app.MapGroup(SimulatorControl.Prefix));
        app.MapPost("/oauth/{shopName}/app/token", TokenAsync);
        app.Map("/{shopName}/{api}/{**path}", ApiAsync);
    }

    /// <summary>
    /// What a demo or a person drives the shop with: the install as Shoprenter performs it, the app's entry
    /// link, seeding, and a storefront unsubscribe with its webhook delivery.
    /// </summary>
    private void MapControl(RouteGroupBuilder control)
    {
        control.MapPost("/install", async () =>
        {
            using var response = await _relay!.GetAsync(BuildSignedPath("/shoprenter/install"));
            return Results.Json(new { relayStatus = (int)response.StatusCode, location = response.Headers.Location?.OriginalString });
        });
        control.MapGet("/entry-url", () => Results.Json(new { url = BuildSignedPath("/shoprenter/entry", withAppUrl: false) }));
        control.MapPost("/customers", (List<SrContactInput> input) => Results.Json(input.Select(c => SeedCustomer(c.Email, c.FirstName, c.LastName)).ToList()));
        control.MapPost("/subscribers", (List<SrContactInput> input) =>
            Results.Json(input.Select(c => SeedSubscriber(c.Email, c.Subscribed, firstname: c.FirstName, lastname: c.LastName)).ToList()));
        control.MapGet("/subscribers", () => Results.Json(Read(s => s.Subscribers.Values.OrderBy(v => v.InnerId)
            .Select(v => new { id = v.InnerId, email = v.Email, status = v.Subscribed ? "1" : "0" }).ToList())));
        control.MapPost("/subscribers/{innerId:int}/unsubscribe", async (int innerId) =>
        {
            using var delivery = UnsubscribeInStorefront(innerId);
            var path = delivery.RequestUri!.OriginalString;
            using var response = await _relay!.SendAsync(delivery);
            return Results.Json(new { relayStatus = (int)response.StatusCode, path });
        });
    }

    private async Task<IResult> TokenAsync(string shopName, HttpRequest request)
    {
        JsonNode? body;
        try
        {
            body = await JsonNode.ParseAsync(request.Body);
        }
        catch (JsonException)
        {
            body = null;
        }
        if (request.ContentType?.StartsWith("application/json", StringComparison.Ordinal) != true || body is not JsonObject o
            || o["grant_type"]?.ToString() != "client_credentials" || o["client_id"] is null || o["client_secret"] is null)
            return Results.Json(new { error = "invalid_request", error_description = "The request is missing a required parameter.", message = "invalid_request" }, statusCode: 400);
        if (RefuseTokens || shopName != Options.ShopName || o["client_id"]!.ToString() != Options.ClientId || o["client_secret"]!.ToString() != Options.ClientSecret)
            return Results.Json(new { error = "invalid_client", error_description = "Client authentication failed", message = "Client authentication failed" }, statusCode: 401);
        var token = "sr-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24));
        lock (_gate)
        {
            _tokens[token] = Options.Time.GetUtcNow() + Options.TokenLifetime;
            TokenGrants++;
        }
        return Results.Json(new { token_type = "Bearer", expires_in = (int)Options.TokenLifetime.TotalSeconds, access_token = token });
    }

    private async Task<IResult> ApiAsync(HttpContext ctx, string shopName, string api, string? path)
    {
        var request = ctx.Request;
        var status = 200;
        try
        {
            var refused = Refuse(ctx, shopName, api);
            if (refused is not null)
            {
                status = refused.Value.Status;
                return refused.Value.Result;
            }
            var json = request.Headers.Accept.Any(a => a?.Contains("application/json", StringComparison.Ordinal) == true);
            var (code, answer) = await HandleAsync(request.Method, path ?? "", request.Query, request.Method is "POST" or "PUT" ? await ReadBodyAsync(request) : null, ApiRoot(request, shopName, api));
            status = code;
            if (answer is null) return Results.StatusCode(code);
            return json
                ? Results.Content(answer.ToJsonString(), "application/json", Encoding.UTF8, code)
                : Results.Content(ToXml(answer), "application/xml", Encoding.UTF8, code);
        }
        finally
        {
            lock (_gate) Requests.Add(new SrRequest(request.Method, "/" + (path ?? ""), request.QueryString.Value ?? "", status, LimiterNow()));
        }
    }

    private static string ApiRoot(HttpRequest request, string shopName, string api) => $"{request.Scheme}://{request.Host}/{shopName}/{api}";

    /// <summary>Authorisation, the mandatory Content-Type, the 3-a-second limit and forced failures. Null when the call may go through.</summary>
    private (int Status, IResult Result)? Refuse(HttpContext ctx, string shopName, string api)
    {
        var request = ctx.Request;
        if (shopName != Options.ShopName || api is not ("api" or "legacy")) return (404, Results.Json(Error(404, "Not found"), statusCode: 404));
        var authorization = request.Headers.Authorization.ToString();
        var authorised = api == "api"
            ? authorization.StartsWith("Bearer ", StringComparison.Ordinal) && TokenValid(authorization["Bearer ".Length..])
            : authorization == "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes(Options.LegacyUserName + ":" + Options.LegacyPassword));
        if (!authorised) return (401, Results.Json(Error(401, "Unauthorized"), statusCode: 401));
        if (string.IsNullOrEmpty(request.ContentType)) return (400, Results.Json(Error(400, "Content-Type header is mandatory"), statusCode: 400));
        lock (_gate)
        {
            var now = LimiterNow();
            while (_window.Count > 0 && now - _window.Peek() >= TimeSpan.TicksPerSecond) _window.Dequeue();
            if (_window.Count >= Options.RequestsPerSecond)
            {
                TooManyRequests++;
                ctx.Response.Headers.RetryAfter = "1";
                return (429, Results.Json(Error(429, "Too Many Requests"), statusCode: 429));
            }
            _window.Enqueue(now);
            if (_forced.TryDequeue(out var forced)) return (forced, Results.Json(Error(forced, "Forced by the test"), statusCode: forced));
        }
        return null;
    }

    /// <summary>Now on the limiter's clock, in TimeSpan ticks.</summary>
    private long LimiterNow() => Options.LimiterTime is { } clock
        ? clock.GetUtcNow().UtcTicks
        : (long)(TimeProvider.System.GetTimestamp() * (TimeSpan.TicksPerSecond / (double)TimeProvider.System.TimestampFrequency));

    private bool TokenValid(string token)
    {
        lock (_gate) return _tokens.TryGetValue(token, out var expires) && expires > Options.Time.GetUtcNow();
    }

    private static async Task<JsonNode?> ReadBodyAsync(HttpRequest request)
    {
        try
        {
            return await JsonNode.ParseAsync(request.Body);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static JsonObject Error(int code, string message) => new() { ["error"] = code, ["message"] = message };

    private static readonly Dictionary<string, string[]> Filters = new()
    {
        ["customers"] = ["innerId", "email", "createdAtMin", "createdAtMax", "updatedAtMin", "updatedAtMax"],
        ["newsletterSubscribers"] = ["email", "status", "subscribedAt"],
        ["orderExtend"] = ["innerId", "innerIdMin", "orderStatusId", "email", "excludeAbandonedCart", "excludeStorno", "createdAtMin", "createdAtMax", "updatedAtMin", "updatedAtMax"],
        ["orderStatuses"] = [],
        ["orderStatusDescriptions"] = ["orderStatusId", "languageId"],
        ["webHooks"] = [],
    };

    private async Task<(int, JsonNode?)> HandleAsync(string method, string path, IQueryCollection query, JsonNode? body, string root)
    {
        await Task.CompletedTask;
        var parts = path.Split('/', 2);
        var resource = parts[0];
        var id = parts.Length > 1 ? Uri.UnescapeDataString(parts[1]) : null;
        lock (_gate)
        {
            switch (method, resource, id)
            {
                case ("GET", "customers" or "newsletterSubscribers" or "webHooks" or "orderExtend" or "orderStatuses" or "orderStatusDescriptions", null):
                    return List(resource, query, root);
                case ("GET", "customers" or "newsletterSubscribers" or "webHooks" or "orderExtend" or "orderStatuses", not null):
                    return Find(resource, id, root) is { } found ? (200, found) : (404, Error(404, "Not found"));
                case ("PUT", "newsletterSubscribers", not null):
                    return PutSubscriber(id, body, root);
                case ("POST", "webHooks", null):
                    return CreateWebhook(body, root);
                case ("DELETE", "webHooks", not null):
                    return Webhooks.Remove(id) ? (204, null) : (404, Error(404, "Not found"));
                case ("POST", "batch", null):
                    return Batch(body, root);
                default:
                    return (404, Error(404, "Not found"));
            }
        }
    }

    private (int, JsonNode?) List(string resource, IQueryCollection query, string root)
    {
        foreach (var key in query.Keys)
            if (key is not ("page" or "limit" or "full") && !Filters[resource].Contains(key))
                return (400, Error(400, $"Unknown parameter: {key}"));
        var page = int.TryParse(query["page"], out var p) ? p : 0;
        var limit = int.TryParse(query["limit"], out var l) ? l : 25;
        if (page < 0 || limit < 1 || limit > 200) return (400, Error(400, "limit must be between 1 and 200, page 0 or more"));
        var full = query["full"] == "1";
        IEnumerable<JsonObject> rows = resource switch
        {
            "customers" => Customers.Values.OrderBy(c => c.InnerId)
                .Where(c => query["email"].Count == 0 || string.Equals(c.Email, query["email"], StringComparison.OrdinalIgnoreCase))
                .Where(c => query["updatedAtMin"].Count == 0 || ParseLocal(query["updatedAtMin"]!) is not { } min || c.Updated >= min)
                .Select(c => CustomerJson(c, root)),
            "newsletterSubscribers" => Subscribers.Values.OrderBy(s => s.InnerId)
                .Where(s => query["email"].Count == 0 || string.Equals(s.Email, query["email"], StringComparison.OrdinalIgnoreCase))
                .Where(s => query["status"].Count == 0 || (s.Subscribed ? "1" : "0") == query["status"])
                .Select(s => SubscriberJson(s, root)),
            "orderExtend" => Orders.Values.OrderBy(o => o.InnerId)
                .Where(o => query["excludeAbandonedCart"] != "1" || !o.AbandonedCart)
                .Where(o => query["updatedAtMin"].Count == 0 || ParseLocal(query["updatedAtMin"]!) is not { } min || o.Updated >= min)
                .Select(o => OrderJson(o, root)),
            "orderStatuses" => OrderStatuses.Keys.Order().Select(id => new JsonObject
            {
                ["href"] = $"{root}/orderStatuses/{OrderStatusId(id)}",
                ["id"] = OrderStatusId(id),
                ["orderStatusDescriptions"] = new JsonObject { ["href"] = $"{root}/orderStatusDescriptions?orderStatusId={OrderStatusId(id)}" },
            }),
            "orderStatusDescriptions" => OrderStatuses.OrderBy(s => s.Key).SelectMany(s => new[] { (Status: s.Key, Language: 1, Name: s.Value.Hu), (Status: s.Key, Language: 2, Name: s.Value.En) })
                .Where(d => query["orderStatusId"].Count == 0 || OrderStatusId(d.Status) == query["orderStatusId"])
                .Select(d => new JsonObject
                {
                    ["href"] = $"{root}/orderStatusDescriptions/{ResourceId("orderStatusDescription", "order_status_id", d.Status)}{d.Language}",
                    ["id"] = ResourceId("orderStatusDescription", "order_status_id", d.Status) + d.Language,
                    ["name"] = d.Name,
                    ["color"] = "#ff00ff",
                    ["orderStatus"] = new JsonObject { ["href"] = $"{root}/orderStatuses/{OrderStatusId(d.Status)}" },
                    ["language"] = new JsonObject { ["href"] = $"{root}/languages/{ResourceId("language", "language_id", d.Language)}" },
                }),
            _ => Webhooks.Values.Select(w => WebhookJson(w, root)),
        };
        var all = rows.ToList();
        var last = Math.Max(0, (all.Count - 1) / limit);
        var items = all.Skip(page * limit).Take(limit).Select(r => full ? r : new JsonObject { ["href"] = r["href"]!.ToString() }).ToArray<JsonNode?>();
        string Href(int n) => $"{root}/{resource}?page={n}&limit={limit}";
        return (200, new JsonObject
        {
            ["href"] = Href(page),
            ["page"] = page.ToString(CultureInfo.InvariantCulture),
            ["limit"] = limit.ToString(CultureInfo.InvariantCulture),
            ["first"] = new JsonObject { ["href"] = Href(0) },
            ["previous"] = page > 0 ? new JsonObject { ["href"] = Href(page - 1) } : null,
            ["next"] = page < last ? new JsonObject { ["href"] = Href(page + 1) } : null,
            ["last"] = new JsonObject { ["href"] = Href(last) },
            ["items"] = new JsonArray(items),
        });
    }

    private JsonObject? Find(string resource, string id, string root) => resource switch
    {
        "customers" => Customers.Values.FirstOrDefault(c => CustomerId(c.InnerId) == id) is { } c ? CustomerJson(c, root) : null,
        "newsletterSubscribers" => Subscribers.Values.FirstOrDefault(s => SubscriberId(s.InnerId) == id) is { } s ? SubscriberJson(s, root) : null,
        "orderExtend" => Orders.Values.FirstOrDefault(o => OrderId(o.InnerId) == id) is { } o ? OrderJson(o, root) : null,
        "orderStatuses" => OrderStatuses.Keys.FirstOrDefault(k => OrderStatusId(k) == id) is var k and > 0 ? new JsonObject { ["id"] = id } : null,
        _ => Webhooks.TryGetValue(id, out var w) ? WebhookJson(w, root) : null,
    };

    private (int, JsonNode?) PutSubscriber(string id, JsonNode? body, string root)
    {
        if (body is not JsonObject o) return (400, Error(400, "Data parameter not found in POST/PUT!"));
        if (Subscribers.Values.FirstOrDefault(s => SubscriberId(s.InnerId) == id) is not { } s) return (404, Error(404, "Not found"));
        var status = o["status"]?.ToString();
        if (status is not (null or "0" or "1")) return (400, Error(400, "status must be 0 or 1"));
        var updated = s with { Subscribed = status is null ? s.Subscribed : status == "1", Updated = Options.Time.GetUtcNow() };
        Subscribers[s.InnerId] = updated;
        return (200, SubscriberJson(updated, root));
    }

    private (int, JsonNode?) CreateWebhook(JsonNode? body, string root)
    {
        if (body is not JsonObject o || o["event"]?.ToString() is not { } evt || o["webHookParameters"] is not JsonArray { Count: > 0 } parameters
            || parameters[0]?["type"]?.ToString() is not ("json" or "xml") || parameters[0]?["url"]?.ToString() is not { } url)
            return (400, Error(400, "event and webHookParameters [{type: json|xml, url}] are required"));
        if (evt is not ("order_confirm" or "order_status_change" or "newsletter_subscribe" or "newsletter_unsubscribe" or "newsletter_update_subscriber" or "abandoned_cart"))
            return (400, Error(400, $"Unknown event: {evt}"));
        var id = ResourceId("webHook", "notification_id", _nextWebhook++);
        var hook = new SrWebhook(id, evt, parameters[0]!["type"]!.ToString(), url, o["status"]?.ToString() != "0");
        Webhooks[id] = hook;
        return (200, WebhookJson(hook, root));
    }

    private (int, JsonNode?) Batch(JsonNode? body, string root)
    {
        if (body?["data"]?["requests"] is not JsonArray requests) return (400, Error(400, "data.requests is required"));
        if (requests.Count > 1000) return (400, Error(400, "At most 1000 requests a batch"));
        BatchSizes.Add(requests.Count);
        var answers = new JsonArray();
        foreach (var item in requests)
        {
            var method = item?["method"]?.ToString() ?? "";
            var uri = item?["uri"]?.ToString() ?? "";
            (int, JsonNode?) result = (404, Error(404, "Not found"));
            if (uri.StartsWith(root + "/", StringComparison.Ordinal) && Uri.TryCreate(uri, UriKind.Absolute, out var parsed))
            {
                var path = parsed.AbsolutePath[(new Uri(root).AbsolutePath.Length + 1)..];
                var query = new QueryCollection(Microsoft.AspNetCore.WebUtilities.QueryHelpers.ParseQuery(parsed.Query));
                var parts = path.Split('/', 2);
                var id = parts.Length > 1 ? Uri.UnescapeDataString(parts[1]) : null;
                result = (method, parts[0], id) switch
                {
                    ("GET", "customers" or "newsletterSubscribers", null) => List(parts[0], query, root),
                    ("GET", "customers" or "newsletterSubscribers" or "orderExtend", not null) => Find(parts[0], id, root) is { } f ? (200, f) : (404, Error(404, "Not found")),
                    ("PUT", "newsletterSubscribers", not null) => PutSubscriber(id, item?["data"]?.DeepClone(), root),
                    _ => result,
                };
            }
            answers.Add(new JsonObject
            {
                ["method"] = method,
                ["uri"] = uri,
                ["response"] = new JsonObject { ["header"] = new JsonObject { ["statusCode"] = result.Item1.ToString(CultureInfo.InvariantCulture) }, ["body"] = result.Item2?.DeepClone() },
            });
        }
        return (200, new JsonObject { ["requests"] = new JsonObject { ["request"] = answers } });
    }

    private JsonObject CustomerJson(SrCustomer c, string root) => new()
    {
        ["href"] = $"{root}/customers/{CustomerId(c.InnerId)}",
        ["id"] = CustomerId(c.InnerId),
        ["innerId"] = c.InnerId.ToString(CultureInfo.InvariantCulture),
        ["firstname"] = c.Firstname,
        ["lastname"] = c.Lastname,
        ["email"] = c.Email,
        ["telephone"] = c.Telephone,
        ["newsletter"] = "0",
        ["status"] = "1",
        ["approved"] = "1",
        ["dateCreated"] = Local(c.Created),
        ["dateUpdated"] = Local(c.Updated),
        ["customerGroup"] = new JsonObject { ["href"] = $"{root}/customerGroups/Y3VzdG9tZXJHcm91cC1jdXN0b21lcl9ncm91cF9pZD04" },
    };

    private JsonObject SubscriberJson(SrSubscriber s, string root) => new()
    {
        ["href"] = $"{root}/newsletterSubscribers/{SubscriberId(s.InnerId)}",
        ["id"] = SubscriberId(s.InnerId),
        ["firstname"] = s.Firstname,
        ["lastname"] = s.Lastname,
        ["email"] = s.Email,
        ["phone"] = "+36201234567",
        ["status"] = s.Subscribed ? "1" : "0",
        ["blacklisted"] = "0",
        ["dateSubscribed"] = Local(s.SubscribedAt),
        ["hash"] = Convert.ToHexStringLower(MD5.HashData(Encoding.UTF8.GetBytes(s.Email))),
        ["dateCreated"] = Local(s.Created),
        ["dateUpdated"] = Local(s.Updated),
        ["language"] = new JsonObject { ["href"] = $"{root}/languages/bGFuZ3VhZ2UtbGFuZ3VhZ2VfaWQ9MQ==" },
    };

    /// <summary>An orderExtend row: the order with its orderProducts (net prices), orderTotals (gross) and currency.</summary>
    private JsonObject OrderJson(SrOrder o, string root)
    {
        string Money(decimal value) => value.ToString("0.0000", CultureInfo.InvariantCulture);
        var net = o.Products.Sum(p => p.NetPrice * p.Quantity);
        var tax = o.Products.Sum(p => Math.Round(p.NetPrice * p.Quantity * p.TaxRate / 100, 2));
        var total = net + tax + o.ShippingGross - o.CouponGross;
        var totals = new JsonArray(
            new JsonObject { ["name"] = "Nettó részösszeg:", ["value"] = Money(net), ["type"] = "SUB_TOTAL" },
            new JsonObject { ["name"] = "ÁFA:", ["value"] = Money(tax), ["type"] = "TAX" },
            new JsonObject { ["name"] = "Bruttó részösszeg:", ["value"] = Money(net + tax), ["type"] = "SUB_TOTAL_WITH_TAX" },
            new JsonObject { ["name"] = "Futárszolgálat:", ["value"] = Money(o.ShippingGross), ["type"] = "SHIPPING" });
        if (o.CouponCode is not null) totals.Add(new JsonObject { ["name"] = $"Kupon ({o.CouponCode}):", ["value"] = Money(-o.CouponGross), ["type"] = "COUPON" });
        totals.Add(new JsonObject { ["name"] = "Összesen bruttó:", ["value"] = Money(total), ["type"] = "TOTAL" });
        return new JsonObject
        {
            ["href"] = $"{root}/orderExtend/{OrderId(o.InnerId)}",
            ["id"] = OrderId(o.InnerId),
            ["innerId"] = o.InnerId.ToString(CultureInfo.InvariantCulture),
            ["firstname"] = "Anna",
            ["lastname"] = "Kovács",
            ["phone"] = "+36201234567",
            ["email"] = o.Email,
            ["paymentCompany"] = "",
            ["shippingMethodName"] = "Futárszolgálat",
            ["shippingMethodTaxRate"] = "27.0000",
            ["paymentMethodName"] = "Utánvét",
            ["paymentMethodTaxRate"] = "0.0000",
            ["total"] = Money(total),
            ["couponTaxRate"] = o.CouponCode is null ? "-1.0000" : "27.0000",
            ["dateCreated"] = Local(o.Created),
            ["dateUpdated"] = Local(o.Updated),
            ["customer"] = new JsonObject { ["href"] = $"{root}/customers/{CustomerId(1)}" },
            ["orderStatus"] = new JsonObject { ["href"] = $"{root}/orderStatuses/{OrderStatusId(o.StatusInnerId)}" },
            ["currency"] = new JsonObject { ["href"] = $"{root}/currencies/Y3VycmVuY3ktY3VycmVuY3lfaWQ9NA==", ["name"] = o.Currency, ["code"] = o.Currency },
            ["coupon"] = o.CouponCode is null ? null : new JsonObject { ["code"] = o.CouponCode },
            ["orderTotals"] = totals,
            ["orderProducts"] = new JsonArray(o.Products.Select(p => (JsonNode)new JsonObject
            {
                ["name"] = p.Name,
                ["sku"] = p.Sku,
                ["price"] = Money(p.NetPrice),
                ["total"] = Money(p.NetPrice * p.Quantity),
                ["taxRate"] = Money(p.TaxRate),
                ["priceCurrency"] = Money(p.NetPrice),
                ["stock1"] = p.Quantity.ToString(CultureInfo.InvariantCulture),
                ["stock2"] = "0",
                ["stock3"] = "0",
                ["stock4"] = "0",
            }).ToArray()),
        };
    }

    private static JsonObject WebhookJson(SrWebhook w, string root) => new()
    {
        ["href"] = $"{root}/webHooks/{w.Id}",
        ["id"] = w.Id,
        ["event"] = w.Event,
        ["status"] = w.Active ? "1" : "0",
        ["label"] = "relay",
        ["webHookParameters"] = new JsonObject { ["type"] = w.Type, ["url"] = w.Url },
    };

    /// <summary>Shoprenter's default answer format: the same tree as elements, arrays as repeated children.</summary>
    private static string ToXml(JsonNode node) => new XElement("response", XmlContent(node)).ToString(SaveOptions.DisableFormatting);

    private static object? XmlContent(JsonNode? node) => node switch
    {
        JsonObject o => o.Select(p => p.Value is JsonArray a
            ? (object)a.Select(item => new XElement(p.Key.TrimEnd('s') is { Length: > 0 } single ? single : "item", XmlContent(item)))
            : new XElement(p.Key, XmlContent(p.Value))).ToList(),
        JsonArray a => a.Select(item => new XElement("item", XmlContent(item))).ToList(),
        null => null,
        _ => node.ToString(),
    };
}

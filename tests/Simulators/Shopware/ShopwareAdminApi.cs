using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Simulators.Shopware;

/// <summary>
/// The shop's Admin API in memory (protocol §2): /api/oauth/token, POST /api/search/{customer,
/// newsletter-recipient, webhook}, PATCH /api/newsletter-recipient/{id} and /api/webhook/{id}, and the
/// webhook health API (/api/app-system/webhook/state, reactivate, reactivation-history) where it is offered.
/// Tests seed and inspect the state, limit the request rate, revoke tokens and permissions, and make the
/// next calls fail.
/// </summary>
public sealed class ShopwareAdminApi(TimeProvider time, TimeSpan tokenLifetime)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>shopware.api.max_limit: the Admin API refuses (400, not clamps) a larger search limit. 500 unless the shop configured otherwise.</summary>
    public const int MaxLimit = 500;

    private readonly Dictionary<string, (long Version, List<Row> Rows)> _searches = new(StringComparer.Ordinal);
    private readonly object _gate = new();
    private readonly List<SimulatedCustomer> _customers = [];
    private readonly List<SimulatedNewsletterRecipient> _recipients = [];
    private readonly List<SimulatedWebhook> _webhooks = [];
    private readonly List<SimulatedOrder> _orders = [];
    private readonly List<SimulatedState> _states =
    [
        .. new[] { "open", "in_progress", "completed", "cancelled" }.Select(SimulatedState.Order),
        .. new[] { "open", "paid", "paid_partially", "authorized", "refunded", "refunded_partially", "cancelled", "failed", "reminded" }.Select(SimulatedState.Payment),
    ];
    private readonly ConcurrentDictionary<string, DateTimeOffset> _tokens = new();
    private readonly ConcurrentQueue<string> _requests = new();
    private DateTimeOffset _windowStart;
    private int _windowCount;
    private int _tokenRequests;

    /// <summary>Products, variants, categories, property groups, taxes, stock and orders (the point-of-sale side).</summary>
    public ShopwareCatalogApi Catalog { get; } = new ShopwareCatalogApi(time).Seed();

    public string? ClientId { get; private set; }
    public string? ClientSecret { get; private set; }

    /// <summary>At most this many Admin API calls (token requests excluded) per window; null: unlimited.</summary>
    public (int Requests, TimeSpan Window)? RateLimit { get; set; }

    public int TokenRequests => Volatile.Read(ref _tokenRequests);

    /// <summary>A shop whose recipient search ignores a filter on the address and answers with everyone (a broken plugin, say).</summary>
    public bool IgnoresRecipientEmailFilter { get; set; }

    /// <summary>"METHOD /path" of every Admin API call that reached the shop, token requests included.</summary>
    public IReadOnlyList<string> Requests => _requests.ToArray();

    public void SetIntegration(string clientId, string clientSecret)
    {
        ClientId = clientId;
        ClientSecret = clientSecret;
        _tokens.Clear();
    }

    /// <summary>Every issued token stops working, as when the shop's token TTL is shorter than announced.</summary>
    public void RevokeTokens() => _tokens.Clear();

    /// <summary>Faults for Admin API calls (token requests are never faulted), in the order they were asked for.</summary>
    public FaultPlan Faults { get; } = new();

    /// <summary>The next <paramref name="count"/> Admin API calls answer <paramref name="status"/> (429/503 with Retry-After: 1).</summary>
    public void FailNext(int status, int count = 1) =>
        Faults.FailNext(count, status, status is 429 or 503 ? TimeSpan.FromSeconds(1) : null,
            body: $$"""{"errors":[{"status":"{{status}}","code":"SIMULATED","title":"Error","detail":"Failure on demand."}]}""");

    public SimulatedCustomer AddCustomer(SimulatedCustomer customer)
    {
        lock (_gate)
        {
            if (customer.CreatedAt == default) customer.CreatedAt = time.GetUtcNow();
            _customers.Add(customer);
            ShopwareEntityChanges.Record();
        }
        return customer;
    }

    public SimulatedNewsletterRecipient AddNewsletterRecipient(SimulatedNewsletterRecipient recipient)
    {
        lock (_gate)
        {
            if (recipient.CreatedAt == default) recipient.CreatedAt = time.GetUtcNow();
            _recipients.Add(recipient);
            ShopwareEntityChanges.Record();
        }
        return recipient;
    }

    /// <summary>Deletes a row as the shop admin or an import would: no webhook is sent.</summary>
    public bool RemoveNewsletterRecipient(string id)
    {
        lock (_gate)
        {
            ShopwareEntityChanges.Record();
            return _recipients.RemoveAll(r => r.Id == id) > 0;
        }
    }

    public bool RemoveCustomer(string id)
    {
        lock (_gate)
        {
            ShopwareEntityChanges.Record();
            return _customers.RemoveAll(c => c.Id == id) > 0;
        }
    }

    // ---- Permissions (the app's ACL role) -------------------------------------------------------

    /// <summary>What the manifest asks for; an install grants all of it.</summary>
    public static readonly string[] ManifestPermissions =
    [
        "customer:read", "newsletter_recipient:read", "newsletter_recipient:update", "sales_channel:read", "language:read", "webhook:read", "webhook:update",
        "order:read", "order_line_item:read", "order_delivery:read", "order_transaction:read", "order_customer:read", "currency:read",
        "payment_method:read", "shipping_method:read", "state_machine:read", "state_machine_state:read", "order_address:read", "country:read",
        // The till flows: products, variants, properties, categories, taxes and stock.
        "product:read", "product:create", "product:update", "property_group:read", "property_group:create", "property_group:update",
        "property_group_option:read", "property_group_option:create", "property_group_option:update", "product_option:create",
        "product_configurator_setting:create", "product_configurator_setting:update", "category:read", "category:create", "category:update",
        "product_category:create", "tax:read", "tax:create", "product_visibility:create",
    ];

    private readonly HashSet<string> _granted = new(ManifestPermissions, StringComparer.Ordinal);

    /// <summary>The privileges the merchant accepted, as app.permissions.updated lists them.</summary>
    public IReadOnlyList<string> GrantedPermissions { get { lock (_gate) return _granted.Order(StringComparer.Ordinal).ToList(); } }

    internal void SetPermission(string permission, bool granted)
    {
        lock (_gate)
        {
            if (granted) _granted.Add(permission);
            else _granted.Remove(permission);
        }
    }

    // ---- Webhook health API (ADR 2026-05-28, 6.8; behind WEBHOOKS_REWORK before) ----------------------

    /// <summary>The calling app's id: webhooks with this AppId are the relay's, the ones the health API reports.</summary>
    public const string RelayAppId = "0190a6b4c1a57f0f9e1c2d3e4f5a6b7c";

    /// <summary>Offered, or how a shop without it answers: 404 (no route, or the flag off) or 405.</summary>
    public enum HealthApiMode { Missing, MethodNotAllowed, Offered }

    public HealthApiMode HealthApi { get; set; } = HealthApiMode.Missing;

    /// <summary>A shop on the earlier revision of the ADR keeps a reactivation history; the later one has none (404).</summary>
    public bool KeepsReactivationHistory { get; set; } = true;

    public const int MaxReactivationNames = 50;
    public const int ReactivationsPerMinute = 10;

    private readonly List<DateTimeOffset> _reactivationCalls = [];
    private readonly List<SimulatedReactivation> _reactivationHistory = [];

    /// <summary>Every reactivate call that reached the handler, with the names it carried (throttled ones included).</summary>
    public List<IReadOnlyList<string>> ReactivationCalls { get; } = [];

    /// <summary>Reactivate calls made with the same integration by someone else (another copy of the app, a script) within this minute.</summary>
    public void SpendReactivationCalls(int count)
    {
        lock (_gate)
            for (var i = 0; i < count; i++) _reactivationCalls.Add(time.GetUtcNow());
    }

    public IReadOnlyList<SimulatedReactivation> ReactivationHistory { get { lock (_gate) return _reactivationHistory.ToList(); } }

    public SimulatedWebhook AddWebhook(SimulatedWebhook webhook)
    {
        lock (_gate) _webhooks.Add(webhook);
        return webhook;
    }

    /// <summary>
    /// The rows of a database copy (a staging clone): the same customers, recipients and webhook rows with
    /// the same ids, each an object of its own; no integration and no tokens (the clone gets its own keys
    /// when it registers).
    /// </summary>
    public ShopwareAdminApi CopyData()
    {
        var copy = new ShopwareAdminApi(time, tokenLifetime);
        lock (_gate)
        {
            copy._customers.AddRange(_customers.Select(c => JsonSerializer.Deserialize<SimulatedCustomer>(JsonSerializer.Serialize(c, Json), Json)!));
            copy._recipients.AddRange(_recipients.Select(r => JsonSerializer.Deserialize<SimulatedNewsletterRecipient>(JsonSerializer.Serialize(r, Json), Json)!));
            copy._webhooks.AddRange(_webhooks.Select(w => JsonSerializer.Deserialize<SimulatedWebhook>(JsonSerializer.Serialize(w, Json), Json)!));
        }
        return copy;
    }

    public SimulatedOrder AddOrder(SimulatedOrder order)
    {
        lock (_gate)
        {
            if (order.CreatedAt == default) order.CreatedAt = time.GetUtcNow();
            if (order.OrderDateTime == default) order.OrderDateTime = order.CreatedAt;
            _orders.Add(order);
            ShopwareEntityChanges.Record();
        }
        return order;
    }

    /// <summary>A change made in the shop's admin: the order's updatedAt moves, as Shopware's DAL does it.</summary>
    public void ChangeOrder(string id, Action<SimulatedOrder> change)
    {
        lock (_gate)
        {
            var order = _orders.Single(o => o.Id == id);
            change(order);
            order.UpdatedAt = time.GetUtcNow();
            ShopwareEntityChanges.Record();
        }
    }

    public IReadOnlyList<SimulatedOrder> Orders { get { lock (_gate) return _orders.ToList(); } }

    public IReadOnlyList<SimulatedCustomer> Customers { get { lock (_gate) return _customers.ToList(); } }
    public IReadOnlyList<SimulatedNewsletterRecipient> NewsletterRecipients { get { lock (_gate) return _recipients.ToList(); } }
    public IReadOnlyList<SimulatedWebhook> Webhooks { get { lock (_gate) return _webhooks.ToList(); } }

    internal void Map(WebApplication app)
    {
        app.Use(async (http, next) =>
        {
            if (SimulatorControl.IsControl(http))
            {
                await next(http);
                return;
            }
            _requests.Enqueue($"{http.Request.Method} {http.Request.Path}");
            if (http.Request.Path.StartsWithSegments("/api") && !http.Request.Path.StartsWithSegments("/api/oauth/token"))
            {
                if (RateLimited(http) is { } limited)
                {
                    await limited.ExecuteAsync(http);
                    return;
                }
                if (await Faults.ApplyAsync(http)) return;
                if (Unauthorized(http) is { } refusal)
                {
                    await refusal.ExecuteAsync(http);
                    return;
                }
                if (MissingPrivilege(http) is { } missing)
                {
                    await missing.ExecuteAsync(http);
                    return;
                }
            }
            await next(http);
        });

        MapHealthApi(app);

        app.MapPost("/api/oauth/token", async (HttpRequest request) =>
        {
            Interlocked.Increment(ref _tokenRequests);
            using var body = await JsonDocument.ParseAsync(request.Body);
            var root = body.RootElement;
            var grant = root.TryGetProperty("grant_type", out var g) ? g.GetString() : null;
            var id = root.TryGetProperty("client_id", out var i) ? i.GetString() : null;
            var secret = root.TryGetProperty("client_secret", out var s) ? s.GetString() : null;
            if (grant != "client_credentials" || ClientId is null || id != ClientId || secret != ClientSecret)
                return Results.Json(new { errors = new[] { new { code = "9", status = "401", title = "Unauthorized", detail = "The user credentials were incorrect." } } }, statusCode: 401);
            var token = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
            _tokens[token] = time.GetUtcNow() + tokenLifetime;
            return Results.Json(new { token_type = "Bearer", expires_in = (int)tokenLifetime.TotalSeconds, access_token = token });
        });

        app.MapPost("/api/search/{entity}", async (string entity, HttpRequest request) =>
        {
            using var criteria = await JsonDocument.ParseAsync(request.Body);
            if (ShopwareCatalogApi.Searchable.Contains(entity))
                return criteria.RootElement.TryGetProperty("limit", out var catalogLimit) && catalogLimit.GetInt32() > MaxLimit
                    ? Results.Json(Error("400", "FRAMEWORK__QUERY_LIMIT_EXCEEDED", $"The limit must be lower than or equal to MAX_LIMIT(={MaxLimit})."), statusCode: 400)
                    : Results.Json(Catalog.Search(entity, criteria.RootElement));
            if (entity is not ("customer" or "newsletter-recipient" or "webhook" or "order" or "state-machine-state"))
                return Results.Json(Error("404", "FRAMEWORK__DEFINITION_NOT_FOUND", $"Definition for entity \"{entity}\" does not exist."), statusCode: 404);
            if (criteria.RootElement.TryGetProperty("limit", out var limit) && limit.GetInt32() > MaxLimit)
                return Results.Json(Error("400", "FRAMEWORK__QUERY_LIMIT_EXCEEDED", $"The limit must be lower than or equal to MAX_LIMIT(={MaxLimit}). Given: {limit.GetInt32()}"), statusCode: 400);
            var rows = IgnoresRecipientEmailFilter && entity == "newsletter-recipient" && criteria.RootElement.TryGetProperty("filter", out var filter)
                && filter.GetRawText().Contains("\"email\"", StringComparison.Ordinal)
                ? Matches(entity, JsonDocument.Parse("{}").RootElement)
                : Matches(entity, criteria.RootElement);
            return Results.Json(Search(rows, criteria.RootElement), entity == "order" ? OrderJson(criteria.RootElement) : Json);
        });

        app.MapPost("/api/_action/sync", async (HttpRequest request) =>
        {
            using var body = await JsonDocument.ParseAsync(request.Body);
            return Catalog.Sync(body.RootElement);
        });

        app.MapMethods("/api/newsletter-recipient/{id}", ["PATCH"], async (string id, HttpRequest request) =>
        {
            using var patch = await JsonDocument.ParseAsync(request.Body);
            lock (_gate)
            {
                var recipient = _recipients.FirstOrDefault(r => r.Id == id);
                if (recipient is null) return Results.Json(Error("404", "FRAMEWORK__RESOURCE_NOT_FOUND", $"newsletter_recipient {id} not found"), statusCode: 404);
                foreach (var p in patch.RootElement.EnumerateObject())
                {
                    switch (p.Name)
                    {
                        case "status": recipient.Status = p.Value.GetString()!; break;
                        case "confirmedAt": recipient.ConfirmedAt = p.Value.ValueKind == JsonValueKind.Null ? null : p.Value.GetDateTimeOffset(); break;
                        case "firstName": recipient.FirstName = p.Value.GetString(); break;
                        case "lastName": recipient.LastName = p.Value.GetString(); break;
                    }
                }
                recipient.UpdatedAt = time.GetUtcNow();
            }
            return Results.NoContent();
        });

        app.MapMethods("/api/webhook/{id}", ["PATCH"], async (string id, HttpRequest request) =>
        {
            using var patch = await JsonDocument.ParseAsync(request.Body);
            lock (_gate)
            {
                var webhook = _webhooks.FirstOrDefault(w => w.Id == id);
                if (webhook is null) return Results.Json(Error("404", "FRAMEWORK__RESOURCE_NOT_FOUND", $"webhook {id} not found"), statusCode: 404);
                if (patch.RootElement.TryGetProperty("active", out var active)) webhook.Active = active.GetBoolean();
            }
            return Results.NoContent();
        });
    }

    /// <summary>
    /// The health API (protocol: ADR "webhooks health remodel"). The app is the one of the token; a name of
    /// another app's webhook silently does not resolve.
    /// </summary>
    private void MapHealthApi(WebApplication app)
    {
        app.MapGet("/api/app-system/webhook/state", () =>
        {
            if (HealthApiAbsent() is { } absent) return absent;
            lock (_gate)
                return Results.Json(new
                {
                    webhooks = _webhooks.Where(w => w.AppId == RelayAppId).OrderBy(w => w.Name, StringComparer.Ordinal).Select(w => new
                    {
                        name = w.Name,
                        endpointState = w.EndpointState,
                        active = w.Active,
                        errorCount = w.ErrorCount,
                        cooldownUntil = (string?)null,
                        suspendedSince = StorageTime(w.SuspendedSince),
                        disabledSince = StorageTime(w.DisabledSince),
                        disabledOrigin = w.DisabledOrigin,
                        url = w.Url,
                    }).ToList(),
                });
        });

        app.MapPost("/api/app-system/webhook/reactivate", async (HttpRequest request) =>
        {
            if (HealthApiAbsent() is { } absent) return absent;
            // Shopware charges the limiter before it reads the body: a malformed or oversized call counts too.
            var now = time.GetUtcNow();
            lock (_gate)
            {
                _reactivationCalls.RemoveAll(at => now - at >= TimeSpan.FromMinutes(1));
                if (_reactivationCalls.Count >= ReactivationsPerMinute)
                {
                    var wait = (int)Math.Ceiling((_reactivationCalls[0] + TimeSpan.FromMinutes(1) - now).TotalSeconds);
                    return Results.Json(Error("429", "FRAMEWORK__WEBHOOK_REACTIVATION_THROTTLED",
                        $"Too many webhook reactivation requests, try again in {wait} seconds."), statusCode: 429);
                }
                _reactivationCalls.Add(now);
            }
            List<string> names;
            try
            {
                using var body = await JsonDocument.ParseAsync(request.Body);
                if (!body.RootElement.TryGetProperty("names", out var list) || list.ValueKind != JsonValueKind.Array)
                    throw new JsonException();
                names = list.EnumerateArray().Where(n => n.ValueKind == JsonValueKind.String).Select(n => n.GetString()!).Distinct().ToList();
            }
            catch (JsonException)
            {
                return Results.Json(Error("400", "FRAMEWORK__WEBHOOK_INVALID_REACTIVATION_NAMES", "The \"names\" parameter must be an array of webhook names."), statusCode: 400);
            }
            lock (_gate) ReactivationCalls.Add(names);
            if (names.Count > MaxReactivationNames)
                return Results.Json(Error("400", "FRAMEWORK__WEBHOOK_TOO_MANY_REACTIVATION_NAMES",
                    $"A reactivation request accepts at most {MaxReactivationNames} webhook names, got {names.Count}."), statusCode: 400);
            var reactivated = new JsonArray();
            lock (_gate)
            {
                foreach (var webhook in _webhooks.Where(w => w.AppId == RelayAppId && names.Contains(w.Name)))
                {
                    if (webhook.DisabledOrigin == WebhookHealthStates.Operator)
                    {
                        reactivated.Add(new JsonObject { ["name"] = webhook.Name, ["url"] = webhook.Url, ["reset"] = false, ["refused"] = "operator_disabled" });
                        continue;
                    }
                    var from = webhook.EndpointState;
                    var reset = from != WebhookHealthStates.Healthy;
                    if (reset)
                    {
                        webhook.EndpointState = WebhookHealthStates.Healthy;
                        webhook.ErrorCount = 0;
                        webhook.SuspendedSince = webhook.DisabledSince = null;
                        webhook.DisabledOrigin = null;
                        _reactivationHistory.Insert(0, new SimulatedReactivation(webhook.Name, webhook.Url, from, "app_reactivate_api", now));
                    }
                    reactivated.Add(new JsonObject { ["name"] = webhook.Name, ["url"] = webhook.Url, ["reset"] = reset });
                }
            }
            return Results.Json(new JsonObject { ["reactivated"] = reactivated });
        });

        app.MapGet("/api/app-system/webhook/reactivation-history", () =>
        {
            if (HealthApiAbsent() is { } absent) return absent;
            if (!KeepsReactivationHistory) return Results.Json(Error("404", "FRAMEWORK__ROUTE_NOT_FOUND", "No route found."), statusCode: 404);
            lock (_gate)
                return Results.Json(new
                {
                    history = _reactivationHistory.Select(r => new
                    {
                        name = r.Name, url = r.Url, fromState = r.FromState, triggeredBy = r.TriggeredBy, reactivatedAt = StorageTime(r.At),
                    }).ToList(),
                });
        });
    }

    /// <summary>Shopware writes health times in its storage format, not ISO 8601.</summary>
    private static string? StorageTime(DateTimeOffset? at) => at?.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss.fff", CultureInfo.InvariantCulture);

    private IResult? HealthApiAbsent() => HealthApi switch
    {
        HealthApiMode.Offered => null,
        HealthApiMode.MethodNotAllowed => Results.Json(Error("405", "FRAMEWORK__METHOD_NOT_ALLOWED", "Method not allowed."), statusCode: 405),
        _ => Results.Json(Error("404", "FRAMEWORK__WEBHOOK_HEALTH_API_DISABLED", "The webhook health API is not available."), statusCode: 404),
    };

    /// <summary>
    /// The privilege each Admin API call needs, as the app's ACL role decides: a revoked one answers 403 with
    /// Shopware's MissingPrivilegeException. The health API needs only the app's own credentials.
    /// </summary>
    private IResult? MissingPrivilege(HttpContext http)
    {
        var path = http.Request.Path.Value ?? "";
        var needed = (http.Request.Method, path) switch
        {
            ("POST", _) when path.StartsWith("/api/search/", StringComparison.Ordinal) => Entity(path["/api/search/".Length..]) + ":read",
            ("PATCH", _) when path.StartsWith("/api/", StringComparison.Ordinal) && path.Count(c => c == '/') == 3 => Entity(path.Split('/')[2]) + ":update",
            _ => null,
        };
        lock (_gate)
            if (needed is null || _granted.Contains(needed)) return null;
        var detail = JsonSerializer.Serialize(new { message = "Missing privilege", missingPrivileges = new[] { needed } });
        return Results.Json(Error("403", "FRAMEWORK__MISSING_PRIVILEGE_ERROR", detail), statusCode: 403);

        static string Entity(string route) => route.Replace('-', '_');
    }

    /// <summary>A fixed window per shop, as Shopware's rate limiter answers: 429 with Retry-After.</summary>
    private IResult? RateLimited(HttpContext http)
    {
        var now = time.GetUtcNow();
        lock (_gate)
        {
            if (RateLimit is not { } limit) return null;
            if (now - _windowStart >= limit.Window)
            {
                _windowStart = now;
                _windowCount = 0;
            }
            if (++_windowCount <= limit.Requests) return null;
            var wait = Math.Max(1, (int)Math.Ceiling((_windowStart + limit.Window - now).TotalSeconds));
            http.Response.Headers.RetryAfter = wait.ToString(CultureInfo.InvariantCulture);
            return Results.Json(Error("429", "FRAMEWORK__API_RATE_LIMIT", "Too many requests."), statusCode: 429);
        }
    }

    /// <summary>Bearer token issued by /api/oauth/token and not expired; Accept: application/json.</summary>
    private IResult? Unauthorized(HttpContext http)
    {
        var auth = http.Request.Headers.Authorization.ToString();
        if (!auth.StartsWith("Bearer ", StringComparison.Ordinal) || !_tokens.TryGetValue(auth["Bearer ".Length..], out var expires) || expires <= time.GetUtcNow())
            return Results.Json(Error("401", "9", "The resource owner or authorization server denied the request."), statusCode: 401);
        // A real shop answers JSON:API without this header: a different shape the relay must never parse.
        if (!http.Request.Headers.Accept.ToString().Contains("application/json", StringComparison.Ordinal))
            return Results.Json(Error("406", "SIMULATED", "Send Accept: application/json; the default is JSON:API."), statusCode: 406);
        return null;
    }

    private static object Error(string status, string code, string detail) =>
        new { errors = new[] { new { status, code, title = "Error", detail } } };

    /// <summary>
    /// A row read field by field for filters and sorts, serialized whole only when it is on the page:
    /// paging through 10,000 rows must not serialize all of them for every page.
    /// </summary>
    private sealed class Row(object entity)
    {
        private static readonly ConcurrentDictionary<(Type, string), System.Reflection.PropertyInfo?> Properties = new();
        private readonly Dictionary<string, JsonNode?> _fields = new(StringComparer.Ordinal);

        public JsonNode? this[string field]
        {
            get
            {
                if (_fields.TryGetValue(field, out var cached)) return cached;
                // A field of an association ("stateMachine.technicalName"), as the DAL resolves it.
                if (field.IndexOf('.') is var dot and > 0)
                    return _fields[field] = field[(dot + 1)..].Split('.').Aggregate(this[field[..dot]], (node, name) => node is JsonObject o ? o[name] : null);
                var property = PropertyOf(field);
                var value = property?.GetValue(entity);
                return _fields[field] = value is null ? null : JsonSerializer.SerializeToNode(value, property!.PropertyType, Json);
            }
        }

        /// <summary>
        /// What a sort on the field compares, by its type as the database's index does (times as times, numbers as
        /// numbers, text ordinal); a field of an association by its JSON. Not kept: a search sorts its matches once.
        /// </summary>
        public object? SortKey(string field)
        {
            if (field.Contains('.') || PropertyOf(field) is not { } property) return this[field]?.ToJsonString();
            var value = property.GetValue(entity);
            return value is null or string or DateTimeOffset or DateTime or decimal or int or long or bool or double ? value : this[field]?.ToJsonString();
        }

        private System.Reflection.PropertyInfo? PropertyOf(string field) =>
            Properties.GetOrAdd((entity.GetType(), field), key => key.Item1.GetProperties().FirstOrDefault(p =>
                string.Equals(p.GetCustomAttributes(typeof(System.Text.Json.Serialization.JsonPropertyNameAttribute), false)
                    .Cast<System.Text.Json.Serialization.JsonPropertyNameAttribute>().FirstOrDefault()?.Name ?? Json.PropertyNamingPolicy!.ConvertName(p.Name),
                    key.Item2, StringComparison.Ordinal)));

        public object Entity => entity;
    }

    /// <summary>Orders sorts: each field's keys (nulls first, as MySQL sorts them ascending), then the next field's.</summary>
    private sealed class SortKeys(bool[] descending) : IComparer<object?[]>
    {
        public int Compare(object?[]? x, object?[]? y)
        {
            for (var i = 0; i < descending.Length; i++)
            {
                var (a, b) = (x![i], y![i]);
                var order = a is null ? (b is null ? 0 : -1)
                    : b is null ? 1
                    : a is string sa && b is string sb ? string.CompareOrdinal(sa, sb)
                    : a.GetType() == b.GetType() && a is IComparable comparable ? comparable.CompareTo(b)
                    : string.CompareOrdinal(a.ToString(), b.ToString());
                if (order != 0) return descending[i] ? -order : order;
            }
            return 0;
        }
    }

    /// <summary>
    /// The filtered, sorted rows of a search. A database answers a page from an index; filtering and
    /// sorting every row again for each page would make paging through N rows cost N² here, so the
    /// result is kept per filter and sort until a customer or recipient changes (webhooks are few and
    /// not kept).
    /// </summary>
    private List<Row> Matches(string entity, JsonElement criteria)
    {
        var query = $"{entity}\n{(criteria.TryGetProperty("filter", out var f) ? f.GetRawText() : "")}\n{(criteria.TryGetProperty("sort", out var o) ? o.GetRawText() : "")}";
        // Read before the rows: a change made meanwhile leaves the result with an older version, so it is not reused.
        var version = ShopwareEntityChanges.Version;
        List<object> rows;
        lock (_gate)
        {
            if (_searches.TryGetValue(query, out var kept) && kept.Version == version) return kept.Rows;
            rows = entity switch
            {
                "customer" => _customers.Cast<object>().ToList(),
                "newsletter-recipient" => _recipients.Cast<object>().ToList(),
                "order" => _orders.Cast<object>().ToList(),
                "state-machine-state" => _states.Cast<object>().ToList(),
                _ => _webhooks.Cast<object>().ToList(),
            };
        }
        var matches = rows.Select(r => new Row(r))
            .Where(row => !criteria.TryGetProperty("filter", out var filters) || filters.EnumerateArray().All(f => Matches(row, f))).ToList();
        if (criteria.TryGetProperty("sort", out var sorts) && sorts.GetArrayLength() > 0)
        {
            var fields = sorts.EnumerateArray().Select(sort => sort.GetProperty("field").GetString()!).ToArray();
            var descending = sorts.EnumerateArray()
                .Select(sort => sort.TryGetProperty("order", out var order) && string.Equals(order.GetString(), "DESC", StringComparison.OrdinalIgnoreCase)).ToArray();
            // Stable, like the rows' insertion order for equal keys.
            matches = matches.Select(row => (Row: row, Keys: fields.Select(row.SortKey).ToArray()))
                .OrderBy(r => r.Keys, new SortKeys(descending)).Select(r => r.Row).ToList();
        }
        if (entity is "customer" or "newsletter-recipient" or "order")
        {
            lock (_gate)
            {
                if (_searches.Count >= 16) _searches.Clear();
                _searches[query] = (version, matches);
            }
        }
        return matches;
    }

    /// <summary>Criteria: filter (equals, equalsAny, prefix, contains, range), sort, page/limit, total-count-mode. The page's entities are written straight to the answer.</summary>
    private static object Search(List<Row> matches, JsonElement criteria)
    {
        var limit = criteria.TryGetProperty("limit", out var l) ? l.GetInt32() : 25;
        var page = criteria.TryGetProperty("page", out var p) ? p.GetInt32() : 1;
        var data = matches.Skip((page - 1) * limit).Take(limit).Select(row => row.Entity).ToList();
        var exact = criteria.TryGetProperty("total-count-mode", out var mode)
                    && (mode.ValueKind == JsonValueKind.Number ? mode.GetInt32() == 1 : mode.GetString() == "exact");
        return new { total = exact ? matches.Count : data.Count, data, aggregations = Array.Empty<object>() };
    }

    private static readonly ConcurrentDictionary<string, JsonSerializerOptions> OrderJsons = new(StringComparer.Ordinal);

    /// <summary>
    /// The Admin API loads an order's associations only when the criteria ask for them; the others are null.
    /// Left out while serializing (not serialized and then blanked): a page of 500 orders need not write their lines.
    /// </summary>
    private static JsonSerializerOptions OrderJson(JsonElement criteria)
    {
        var asked = criteria.TryGetProperty("associations", out var a) && a.ValueKind == JsonValueKind.Object
            ? a.EnumerateObject().Select(p => p.Name).Where(SimulatedOrder.AssociationNames.Contains).Distinct().Order(StringComparer.Ordinal).ToArray()
            : [];
        return OrderJsons.GetOrAdd(string.Join(',', asked), _ => new JsonSerializerOptions(Json)
        {
            TypeInfoResolver = new System.Text.Json.Serialization.Metadata.DefaultJsonTypeInfoResolver
            {
                Modifiers =
                {
                    info =>
                    {
                        if (info.Type != typeof(SimulatedOrder)) return;
                        foreach (var property in info.Properties.Where(p => SimulatedOrder.AssociationNames.Contains(p.Name) && !asked.Contains(p.Name)))
                            property.Get = _ => null;
                    },
                },
            },
        });
    }

    private static bool Matches(Row row, JsonElement filter)
    {
        var field = filter.TryGetProperty("field", out var f) ? f.GetString() ?? "" : "";
        var actual = row[field];
        var value = filter.TryGetProperty("value", out var v) ? v : default;
        return filter.GetProperty("type").GetString() switch
        {
            "multi" => string.Equals(filter.GetProperty("operator").GetString(), "or", StringComparison.OrdinalIgnoreCase)
                ? filter.GetProperty("queries").EnumerateArray().Any(q => Matches(row, q))
                : filter.GetProperty("queries").EnumerateArray().All(q => Matches(row, q)),
            "equals" => Same(actual, value),
            "equalsAny" => value.EnumerateArray().Any(x => Same(actual, x)),
            "prefix" => actual?.GetValue<string>().StartsWith(value.GetString()!, StringComparison.Ordinal) == true,
            "contains" => actual?.GetValue<string>().Contains(value.GetString()!, StringComparison.Ordinal) == true,
            "range" => InRange(actual, filter.GetProperty("parameters")),
            _ => false,
        };
    }

    private static bool Same(JsonNode? actual, JsonElement expected) => expected.ValueKind switch
    {
        JsonValueKind.Null => actual is null,
        JsonValueKind.String => actual is JsonValue a && a.TryGetValue<string>(out var s) && s == expected.GetString(),
        _ => actual is not null && actual.ToJsonString() == expected.GetRawText(),
    };

    private static bool InRange(JsonNode? actual, JsonElement parameters)
    {
        if (actual is not JsonValue value || !value.TryGetValue<string>(out var text) || !DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, out var at))
            return false;
        foreach (var p in parameters.EnumerateObject())
        {
            var bound = DateTimeOffset.Parse(p.Value.GetString()!, CultureInfo.InvariantCulture);
            var ok = p.Name switch { "gte" => at >= bound, "gt" => at > bound, "lte" => at <= bound, "lt" => at < bound, _ => true };
            if (!ok) return false;
        }
        return true;
    }
}

/// <summary>One reactivation as the shop's history keeps it.</summary>
public sealed record SimulatedReactivation(string Name, string Url, string FromState, string TriggeredBy, DateTimeOffset At);

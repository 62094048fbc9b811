using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Simulators.Shopware;

/// <summary>
/// The shop's Admin API in memory (protocol §2): /api/oauth/token, POST /api/search/{customer,
/// newsletter-recipient, webhook}, PATCH /api/newsletter-recipient/{id} and /api/webhook/{id}. Tests seed
/// and inspect the state, limit the request rate, revoke tokens and make the next calls fail.
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

    public SimulatedWebhook AddWebhook(SimulatedWebhook webhook)
    {
        lock (_gate) _webhooks.Add(webhook);
        return webhook;
    }

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
            }
            await next(http);
        });

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
            if (entity is not ("customer" or "newsletter-recipient" or "webhook"))
                return Results.Json(Error("404", "FRAMEWORK__DEFINITION_NOT_FOUND", $"Definition for entity \"{entity}\" does not exist."), statusCode: 404);
            if (criteria.RootElement.TryGetProperty("limit", out var limit) && limit.GetInt32() > MaxLimit)
                return Results.Json(Error("400", "FRAMEWORK__QUERY_LIMIT_EXCEEDED", $"The limit must be lower than or equal to MAX_LIMIT(={MaxLimit}). Given: {limit.GetInt32()}"), statusCode: 400);
            var rows = IgnoresRecipientEmailFilter && entity == "newsletter-recipient" && criteria.RootElement.TryGetProperty("filter", out var filter)
                && filter.GetRawText().Contains("\"email\"", StringComparison.Ordinal)
                ? Matches(entity, JsonDocument.Parse("{}").RootElement)
                : Matches(entity, criteria.RootElement);
            return Results.Json(Search(rows, criteria.RootElement));
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

    /// <summary>Criteria: filter (equals, equalsAny, prefix, contains, range), sort, page/limit, total-count-mode.</summary>
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
                var property = Properties.GetOrAdd((entity.GetType(), field), key => key.Item1.GetProperties().FirstOrDefault(p =>
                    string.Equals(p.GetCustomAttributes(typeof(System.Text.Json.Serialization.JsonPropertyNameAttribute), false)
                        .Cast<System.Text.Json.Serialization.JsonPropertyNameAttribute>().FirstOrDefault()?.Name ?? Json.PropertyNamingPolicy!.ConvertName(p.Name),
                        key.Item2, StringComparison.Ordinal)));
                var value = property?.GetValue(entity);
                return _fields[field] = value is null ? null : JsonSerializer.SerializeToNode(value, property!.PropertyType, Json);
            }
        }

        public JsonObject ToJson() => JsonSerializer.SerializeToNode(entity, entity.GetType(), Json)!.AsObject();
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
                _ => _webhooks.Cast<object>().ToList(),
            };
        }
        var matches = rows.Select(r => new Row(r))
            .Where(row => !criteria.TryGetProperty("filter", out var filters) || filters.EnumerateArray().All(f => Matches(row, f))).ToList();
        if (criteria.TryGetProperty("sort", out var sorts))
        {
            foreach (var sort in sorts.EnumerateArray().Reverse())
            {
                var field = sort.GetProperty("field").GetString()!;
                var descending = sort.TryGetProperty("order", out var order) && string.Equals(order.GetString(), "DESC", StringComparison.OrdinalIgnoreCase);
                matches = (descending
                    ? matches.OrderByDescending(r => r[field]?.ToJsonString(), StringComparer.Ordinal)
                    : matches.OrderBy(r => r[field]?.ToJsonString(), StringComparer.Ordinal)).ToList();
            }
        }
        if (entity != "webhook")
        {
            lock (_gate)
            {
                if (_searches.Count >= 16) _searches.Clear();
                _searches[query] = (version, matches);
            }
        }
        return matches;
    }

    private static JsonObject Search(List<Row> matches, JsonElement criteria)
    {
        var limit = criteria.TryGetProperty("limit", out var l) ? l.GetInt32() : 25;
        var page = criteria.TryGetProperty("page", out var p) ? p.GetInt32() : 1;
        var data = matches.Skip((page - 1) * limit).Take(limit).ToList();
        var exact = criteria.TryGetProperty("total-count-mode", out var mode)
                    && (mode.ValueKind == JsonValueKind.Number ? mode.GetInt32() == 1 : mode.GetString() == "exact");
        var array = new JsonArray();
        foreach (var row in data) array.Add(row.ToJson());
        return new JsonObject { ["total"] = exact ? matches.Count : data.Count, ["data"] = array, ["aggregations"] = new JsonArray() };
    }

    private static bool Matches(Row row, JsonElement filter)
    {
        var field = filter.GetProperty("field").GetString()!;
        var actual = row[field];
        var value = filter.TryGetProperty("value", out var v) ? v : default;
        return filter.GetProperty("type").GetString() switch
        {
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

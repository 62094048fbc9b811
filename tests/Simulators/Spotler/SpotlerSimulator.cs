using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Simulators.Spotler;

/// <summary>
/// Spotler Mail+ REST, written from protocols/targets.md §1 and the vendor Swagger 1.2: OAuth 1.0a
/// one-leg checked exactly (signature recomputed, timestamp window, nonce replay), contacts with
/// permission bits in memory, updates and bounces lists. `/integrationservice` answers with the
/// `{paging, …}` envelope, `/integrationservice-1.1.0` with bare arrays, as observed in the wild.
/// </summary>
public sealed class SpotlerSimulator : IAsyncDisposable
{
    public const string Unversioned = "/integrationservice";
    public const string Versioned = "/integrationservice-1.1.0";
    public static readonly TimeSpan TimestampTolerance = TimeSpan.FromMinutes(5);

    private SimulatorHost _host = null!;
    private readonly string _consumerKey;
    private readonly string _consumerSecret;
    private readonly TimeProvider _time;
    private readonly ConcurrentDictionary<string, DateTimeOffset> _nonces = new();
    private readonly ConcurrentDictionary<string, SpotlerContact> _contacts = new();
    private readonly ConcurrentQueue<SpotlerBounce> _bounces = new();
    private readonly ConcurrentQueue<RecordedRequest> _requests = new();
    private readonly ConcurrentQueue<int> _batchSizes = new();
    private readonly object _gate = new();
    private int _signatureFailures;

    public static async Task<SpotlerSimulator> StartAsync(string consumerKey = "ck", string consumerSecret = "cs", TimeProvider? time = null, int port = 0)
    {
        var sim = new SpotlerSimulator(consumerKey, consumerSecret, time ?? TimeProvider.System);
        sim._host = await SimulatorHost.StartAsync(sim.Map, port);
        return sim;
    }

    private SpotlerSimulator(string consumerKey, string consumerSecret, TimeProvider time)
    {
        _consumerKey = consumerKey;
        _consumerSecret = consumerSecret;
        _time = time;
    }

    /// <summary>Documented base: answers `{paging, contacts|bounces}`.</summary>
    public string BaseUrl => _host.BaseUrl + Unversioned;
    /// <summary>Versioned base: answers bare arrays.</summary>
    public string VersionedBaseUrl => _host.BaseUrl + Versioned;
    public FaultPlan Faults { get; } = new();
    /// <summary>Whether created/lastChanged/date are epoch milliseconds (Java style) or seconds.</summary>
    public bool EpochMilliseconds { get; set; } = true;
    public int SignatureFailures => Volatile.Read(ref _signatureFailures);
    public IReadOnlyCollection<RecordedRequest> Requests => _requests.ToArray();
    /// <summary>Sizes of the POST contact/list calls, in order.</summary>
    public IReadOnlyList<int> ContactListBatches => _batchSizes.ToArray();
    public IReadOnlyDictionary<string, SpotlerContact> Contacts => _contacts;

    public IReadOnlyList<(int Bit, string Description)> PermissionBits { get; set; } = [(1, "Nieuwsbrief"), (2, "Aanbiedingen")];

    public SpotlerContact AddContact(string externalId, string email, params (int Bit, bool Enabled)[] permissions)
    {
        var contact = new SpotlerContact(externalId, _time.GetUtcNow());
        contact.Properties["email"] = email;
        foreach (var (bit, enabled) in permissions) contact.Permissions[bit] = enabled;
        _contacts[externalId] = contact;
        return contact;
    }

    /// <summary>The recipient clicked "unsubscribe" in a mailing.</summary>
    public void Unsubscribe(string externalId, int bit, DateTimeOffset at)
    {
        lock (_gate)
        {
            var contact = _contacts[externalId];
            contact.Permissions[bit] = false;
            contact.LastChanged = at;
        }
    }

    public void Bounce(string externalId, bool hard, DateTimeOffset at) =>
        _bounces.Enqueue(new SpotlerBounce(externalId, hard ? "HARDBOUNCE" : "SOFTBOUNCE", at));

    public ValueTask DisposeAsync() => _host.DisposeAsync();

    // ---- HTTP ---------------------------------------------------------------------------

    private void Map(WebApplication app)
    {
        SpotlerControl.Map(app, this);
        app.Use(async (context, next) =>
        {
            await next();
            if (SimulatorControl.IsControl(context)) return;
            _requests.Enqueue(new RecordedRequest(context.Request.Method, context.Request.Path, context.Request.QueryString.Value ?? "", context.Response.StatusCode));
        });
        app.Use(async (context, next) =>
        {
            if (SimulatorControl.IsControl(context))
            {
                await next();
                return;
            }
            if (await Faults.ApplyAsync(context)) return;
            if (Authenticate(context) is { } failure)
            {
                await Error(context, 401, failure.ErrorType, failure.Message);
                return;
            }
            await next();
        });
        foreach (var prefix in new[] { Unversioned, Versioned })
        {
            var envelope = prefix == Unversioned;
            var api = app.MapGroup(prefix);
            api.MapGet("/contact/properties/list", Properties);
            api.MapPost("/contact", InsertContact);
            api.MapPost("/contact/list", InsertContacts);
            api.MapGet("/contact/updates/list", (HttpContext c) => UpdatesList(c, envelope));
            api.MapGet("/contact/bounces/list", (HttpContext c) => BouncesList(c, envelope));
            api.MapPut("/contact/anonymize/{externalId}", Anonymize);
            api.MapGet("/contact/{externalId}", GetContact);
            api.MapPut("/contact/{externalId}", UpdateContact);
        }
    }

    private (string ErrorType, string Message)? Authenticate(HttpContext context)
    {
        var header = context.Request.Headers.Authorization.ToString();
        if (!header.StartsWith("OAuth ", StringComparison.Ordinal)) return Fail("AUTH_NOT_FOUND", "No OAuth authorization header.");
        var oauth = new Dictionary<string, string>();
        foreach (var part in header[6..].Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = part.IndexOf('=');
            if (eq < 0) return Fail("NOT_AUTHORIZED", "Malformed OAuth header.");
            oauth[Uri.UnescapeDataString(part[..eq])] = Uri.UnescapeDataString(part[(eq + 1)..].Trim('"'));
        }
        if (!oauth.TryGetValue("oauth_consumer_key", out var key) || key != _consumerKey) return Fail("AUTH_NOT_FOUND", "Unknown consumer key.");
        if (oauth.GetValueOrDefault("oauth_signature_method") != "HMAC-SHA1") return Fail("NOT_AUTHORIZED", "Only HMAC-SHA1 is supported.");
        if (oauth.TryGetValue("oauth_version", out var version) && version != "1.0") return Fail("NOT_AUTHORIZED", "oauth_version must be 1.0.");
        if (!oauth.TryGetValue("oauth_timestamp", out var ts) || !long.TryParse(ts, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds)
            || (DateTimeOffset.FromUnixTimeSeconds(seconds) - _time.GetUtcNow()).Duration() > TimestampTolerance)
            return Fail("NOT_AUTHORIZED", "oauth_timestamp missing or outside the allowed window.");
        if (!oauth.TryGetValue("oauth_nonce", out var nonce) || nonce.Length == 0) return Fail("NOT_AUTHORIZED", "oauth_nonce missing.");
        if (!oauth.TryGetValue("oauth_signature", out var signature)) return Fail("NOT_AUTHORIZED", "oauth_signature missing.");

        // The path as sent (RFC 5849 §3.4.1.2 signs the request URI), not the decoded Request.Path:
        // an externalId such as an address travels as contact/a%40b.nl.
        var rawTarget = context.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpRequestFeature>()?.RawTarget;
        var rawPath = rawTarget is { Length: > 0 } && rawTarget[0] == '/' ? rawTarget.Split('?')[0] : $"{context.Request.PathBase}{context.Request.Path}";
        var url = $"{context.Request.Scheme}://{context.Request.Host}{rawPath}";
        var parameters = OAuth1.QueryParameters(context.Request.QueryString.Value ?? "")
            .Concat(oauth.Where(p => p.Key != "oauth_signature").Select(p => (p.Key, p.Value)));
        var expected = OAuth1.Signature(context.Request.Method, url, parameters, _consumerSecret);
        if (!CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(expected), Encoding.ASCII.GetBytes(signature)))
        {
            Interlocked.Increment(ref _signatureFailures);
            return Fail("NOT_AUTHORIZED", "Invalid signature.");
        }
        // Checked after the signature, so a forged request cannot burn a legitimate nonce.
        var now = _time.GetUtcNow();
        foreach (var old in _nonces.Where(n => now - n.Value > TimestampTolerance * 2)) _nonces.TryRemove(old.Key, out _);
        if (!_nonces.TryAdd($"{key}:{ts}:{nonce}", now)) return Fail("NOT_AUTHORIZED", "Nonce already used.");
        return null;

        static (string, string)? Fail(string type, string message) => (type, message);
    }

    private IResult Properties()
    {
        var list = new JsonArray();
        foreach (var (name, description, type) in new[]
        {
            ("email", "E-mailadres", "email"), ("firstName", "Voornaam", "string"), ("infix", "Tussenvoegsel", "string"),
            ("lastName", "Achternaam", "string"), ("street", "Straat", "string"), ("houseNumber", "Huisnummer", "string"),
            ("postalCode", "Postcode", "postcode"), ("city", "Plaats", "string"), ("country", "Land", "string"),
            ("organisation", "Organisatie", "string"), ("profileField1", "Klantnummer", "string"), ("lastPurchaseDate", "Laatste aankoop", "date"),
            ("firstPurchaseDate", "Eerste aankoop", "date"), ("profileField2", "Aantal bestellingen", "int"), ("profileField3", "Totaal besteed", "string"),
        })
            list.Add(new JsonObject { ["name"] = name, ["description"] = description, ["type"] = type });
        list.Add(new JsonObject
        {
            ["name"] = "permissions",
            ["description"] = "Permissies",
            ["type"] = "set",
            ["entries"] = new JsonArray(PermissionBits.Select((p, i) => (JsonNode)new JsonObject { ["bit"] = p.Bit, ["description"] = p.Description, ["rank"] = i + 1 }).ToArray()),
        });
        return Json(list);
    }

    private async Task InsertContact(HttpContext context)
    {
        var body = await ReadJson(context);
        if (body?["contact"] is not JsonObject contact || contact["externalId"]?.GetValue<string>() is not { } id)
        {
            await Error(context, 400, "INVALID_PARAMS", "Contact without externalId found");
            return;
        }
        var (code, message) = Upsert(id, contact, update: body["update"]?.GetValue<bool>() ?? false, mustExist: false);
        if (code == "OK") context.Response.StatusCode = 204;
        else await Error(context, 400, code == "PROPERTY_INVALID" ? "INVALID_PROPERTY" : code, message);
    }

    private async Task InsertContacts(HttpContext context)
    {
        var body = await ReadJson(context);
        var contacts = body?["contacts"] as JsonArray ?? [];
        if (contacts.Count > 100)
        {
            await Error(context, 400, "INVALID_PARAMS", "Too many contacts provided (max is 100)");
            return;
        }
        if (contacts.Any(c => c?["externalId"] is null))
        {
            await Error(context, 400, "INVALID_PARAMS", "Contact without externalId found");
            return;
        }
        _batchSizes.Enqueue(contacts.Count);
        var update = body?["update"]?.GetValue<bool>() ?? false;
        var results = new JsonArray();
        foreach (var contact in contacts.OfType<JsonObject>())
        {
            var id = contact["externalId"]!.GetValue<string>();
            var (code, message) = Upsert(id, contact, update, mustExist: false);
            results.Add(new JsonObject { ["externalId"] = id, ["code"] = code, ["message"] = message });
        }
        await Json(results).ExecuteAsync(context);
    }

    private async Task UpdateContact(HttpContext context, string externalId)
    {
        var body = await ReadJson(context);
        if (!_contacts.ContainsKey(externalId))
        {
            await Error(context, 404, "CONTACT_NOT_FOUND", "Given contact not found");
            return;
        }
        var (code, message) = Upsert(externalId, body?["contact"] as JsonObject ?? [], update: true, mustExist: true);
        if (code == "OK") context.Response.StatusCode = 204;
        else await Error(context, 400, code == "PROPERTY_INVALID" ? "INVALID_PROPERTY" : code, message);
    }

    private (string Code, string Message) Upsert(string externalId, JsonObject contact, bool update, bool mustExist)
    {
        var properties = contact["properties"] as JsonObject ?? [];
        if (properties["email"] is { } email && !IsEmail(email.ToString())) return ("PROPERTY_INVALID", "Email is invalid");
        lock (_gate)
        {
            var exists = _contacts.TryGetValue(externalId, out var existing);
            if (exists && !update) return ("CONTACT_ALREADY_EXISTS", "Contact already exists");
            if (!exists && mustExist) return ("CONTACT_UNKNOWN", "Given contact not found");
            var target = existing ?? new SpotlerContact(externalId, _time.GetUtcNow());
            foreach (var (name, value) in properties)
            {
                if (name == "permissions")
                {
                    foreach (var p in value as JsonArray ?? [])
                        target.Permissions[p!["bit"]!.GetValue<int>()] = p["enabled"]?.GetValue<bool>() ?? false;
                }
                else if (value is not null) target.Properties[name] = value.ToString();
            }
            target.LastChanged = _time.GetUtcNow();
            _contacts[externalId] = target;
            return ("OK", "");
        }
    }

    private async Task GetContact(HttpContext context, string externalId)
    {
        if (_contacts.TryGetValue(externalId, out var contact)) await Json(ContactJson(contact)).ExecuteAsync(context);
        else await Error(context, 404, "CONTACT_NOT_FOUND", "Given contact not found");
    }

    private async Task Anonymize(HttpContext context, string externalId)
    {
        lock (_gate)
        {
            if (_contacts.TryGetValue(externalId, out var contact))
            {
                contact.Properties.Clear();
                contact.Properties["email"] = $"anonymized-{contact.EncryptedId}@anonymized.invalid";
                contact.Anonymized = true;
                contact.LastChanged = _time.GetUtcNow();
                context.Response.StatusCode = 204;
                return;
            }
        }
        await Error(context, 404, "CONTACT_NOT_FOUND", "Given contact not found");
    }

    private async Task UpdatesList(HttpContext context, bool envelope)
    {
        if (Window(context) is not { } window)
        {
            await Error(context, 400, "INVALID_PARAMS", "Invalid fromDate or no fromDate given");
            return;
        }
        List<SpotlerContact> items;
        lock (_gate)
            items = _contacts.Values.Where(c => c.LastChanged >= window.From && c.LastChanged <= window.To)
                .OrderBy(c => c.LastChanged).ThenBy(c => c.ExternalId, StringComparer.Ordinal).ToList();
        // Only the page is turned into JSON: a 10,000-contact window is read a page at a time.
        await Page(context, envelope, "contacts", items, window, c => { lock (_gate) return ContactJson(c); });
    }

    private async Task BouncesList(HttpContext context, bool envelope)
    {
        if (Window(context) is not { } window)
        {
            await Error(context, 400, "INVALID_PARAMS", "Invalid fromDate or no fromDate given");
            return;
        }
        var items = _bounces.Where(b => b.Date >= window.From && b.Date <= window.To)
            .Select(b => (JsonNode)new JsonObject
            {
                ["date"] = Epoch(b.Date),
                ["type"] = b.Type,
                ["contact"] = _contacts.TryGetValue(b.ExternalId, out var c) ? ContactJson(c) : new JsonObject { ["externalId"] = b.ExternalId },
                ["encryptedActId"] = "act" + b.ExternalId,
            }).ToList();
        await Page(context, envelope, "bounces", items, window);
    }

    private static Task Page(HttpContext context, bool envelope, string name, List<JsonNode> items, (DateTimeOffset From, DateTimeOffset To) window) =>
        Page(context, envelope, name, items, window, n => n);

    private static async Task Page<T>(HttpContext context, bool envelope, string name, List<T> items, (DateTimeOffset From, DateTimeOffset To) window, Func<T, JsonNode> toJson)
    {
        var after = int.TryParse(context.Request.Query["after"], out var a) ? a : 0;
        var pageSize = int.TryParse(context.Request.Query["pageSize"], out var p) ? Math.Min(p, 10000) : 1000;
        var page = new JsonArray(items.Skip(after).Take(pageSize).Select(toJson).ToArray());
        if (!envelope)
        {
            await Json(page).ExecuteAsync(context);
            return;
        }
        var more = after + pageSize < items.Count;
        var next = more
            ? $"{context.Request.Scheme}://{context.Request.Host}{context.Request.Path}?fromDate={context.Request.Query["fromDate"]}&toDate={context.Request.Query["toDate"]}&after={after + pageSize}&pageSize={pageSize}"
            : null;
        await Json(new JsonObject { ["paging"] = new JsonObject { ["next"] = next, ["after"] = after }, [name] = page }).ExecuteAsync(context);
    }

    /// <summary>Mail+ is a Dutch system: fromDate/toDate are read as Amsterdam wall-clock time (the zone its own connector configures; targets.md §1.3).</summary>
    private static readonly TimeZoneInfo Amsterdam = TimeZoneInfo.FindSystemTimeZoneById("Europe/Amsterdam");

    private static (DateTimeOffset From, DateTimeOffset To)? Window(HttpContext context)
    {
        static DateTimeOffset? Parse(string? s) =>
            DateTime.TryParseExact(s, "yyyy-MM-dd'T'HH:mm:ss", CultureInfo.InvariantCulture, DateTimeStyles.None, out var d)
                ? new DateTimeOffset(d, Amsterdam.GetUtcOffset(d)) : null;
        return Parse(context.Request.Query["fromDate"]) is { } from && Parse(context.Request.Query["toDate"]) is { } to ? (from, to) : null;
    }

    private JsonObject ContactJson(SpotlerContact c)
    {
        var properties = new JsonObject();
        foreach (var (name, value) in c.Properties) properties[name] = value;
        properties["permissions"] = new JsonArray(PermissionBits.Select(p => (JsonNode)new JsonObject
        {
            ["bit"] = p.Bit,
            ["description"] = p.Description,
            ["enabled"] = c.Permissions.GetValueOrDefault(p.Bit),
        }).ToArray());
        return new JsonObject
        {
            ["externalId"] = c.ExternalId,
            ["encryptedId"] = c.EncryptedId,
            ["created"] = Epoch(c.Created),
            ["lastChanged"] = Epoch(c.LastChanged),
            ["testGroup"] = false,
            ["temporary"] = false,
            ["properties"] = properties,
            ["channels"] = new JsonArray(new JsonObject { ["name"] = "EMAIL", ["value"] = true }),
        };
    }

    private long Epoch(DateTimeOffset t) => EpochMilliseconds ? t.ToUnixTimeMilliseconds() : t.ToUnixTimeSeconds();

    private static bool IsEmail(string s) => s.IndexOf('@') is > 0 and var at && s.IndexOf('.', at) > at + 1 && !s.Contains(' ');

    private static async Task<JsonNode?> ReadJson(HttpContext context)
    {
        try { return await JsonNode.ParseAsync(context.Request.Body); }
        catch (JsonException) { return null; }
    }

    private static IResult Json(JsonNode node) => Results.Text(node.ToJsonString(), "application/json", Encoding.UTF8);

    private static Task Error(HttpContext context, int status, string errorType, string message)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        return context.Response.WriteAsync(new JsonObject { ["errorType"] = errorType, ["message"] = message }.ToJsonString());
    }
}

public sealed class SpotlerContact(string externalId, DateTimeOffset created)
{
    public string ExternalId { get; } = externalId;
    public string EncryptedId { get; } = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));
    public DateTimeOffset Created { get; } = created;
    public DateTimeOffset LastChanged { get; set; } = created;
    public bool Anonymized { get; set; }
    public ConcurrentDictionary<string, string> Properties { get; } = new();
    public ConcurrentDictionary<int, bool> Permissions { get; } = new();
}

internal sealed record SpotlerBounce(string ExternalId, string Type, DateTimeOffset Date);

/// <summary>The simulator's own RFC 5849 signature, independent of the relay's.</summary>
internal static class OAuth1
{
    public static string Signature(string method, string url, IEnumerable<(string Key, string Value)> parameters, string consumerSecret)
    {
        var uri = new Uri(url);
        var baseUri = $"{uri.Scheme.ToLowerInvariant()}://{uri.Host.ToLowerInvariant()}{(uri.IsDefaultPort ? "" : ":" + uri.Port)}{uri.AbsolutePath}";
        var normalized = string.Join("&", parameters
            .Select(p => (K: Encode(p.Key), V: Encode(p.Value)))
            .OrderBy(p => p.K, StringComparer.Ordinal).ThenBy(p => p.V, StringComparer.Ordinal)
            .Select(p => p.K + "=" + p.V));
        var baseString = $"{method.ToUpperInvariant()}&{Encode(baseUri)}&{Encode(normalized)}";
        return Convert.ToBase64String(HMACSHA1.HashData(Encoding.ASCII.GetBytes(Encode(consumerSecret) + "&"), Encoding.ASCII.GetBytes(baseString)));
    }

    public static IEnumerable<(string Key, string Value)> QueryParameters(string query) =>
        query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries).Select(pair =>
        {
            var parts = pair.Split('=', 2);
            return (Decode(parts[0]), parts.Length > 1 ? Decode(parts[1]) : "");
        });

    private static string Decode(string s) => Uri.UnescapeDataString(s.Replace('+', ' '));

    // Uri.EscapeDataString leaves exactly RFC 3986's unreserved set literal on .NET 5+.
    private static string Encode(string s) => Uri.EscapeDataString(s);
}

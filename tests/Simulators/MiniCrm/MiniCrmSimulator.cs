using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Simulators.MiniCrm;

/// <summary>
/// MiniCRM R3 API from protocols/targets.md §3: Basic SystemId:APIKey, Person/Business contacts
/// under PUT /Api/R3/Contact, field search, schemas, plain-text error bodies, and a limit of
/// <see cref="RequestsPerMinute"/> per sliding minute answered with 429 beyond it.
/// </summary>
public sealed partial class MiniCrmSimulator : IAsyncDisposable
{
    private SimulatorHost _host = null!;
    private readonly string _authorization;
    private readonly TimeProvider _time;
    private readonly ConcurrentDictionary<int, MiniCrmContact> _contacts = new();
    private readonly ConcurrentQueue<RecordedRequest> _requests = new();
    private readonly Queue<DateTimeOffset> _window = new();
    private readonly List<DateTimeOffset> _accepted = [];
    private readonly object _gate = new();
    private int _nextId = 1000;
    private int _rateLimited;

    private MiniCrmSimulator(string systemId, string apiKey, TimeProvider time)
    {
        _authorization = "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes($"{systemId}:{apiKey}"));
        _time = time;
    }

    public static async Task<MiniCrmSimulator> StartAsync(string systemId = "12345", string apiKey = "minicrm-api-key", TimeProvider? time = null, int port = 0)
    {
        var sim = new MiniCrmSimulator(systemId, apiKey, time ?? TimeProvider.System);
        sim._host = await SimulatorHost.StartAsync(sim.Map, port);
        return sim;
    }

    public string BaseUrl => _host.BaseUrl;
    public FaultPlan Faults { get; } = new();
    public int RequestsPerMinute { get; set; } = 60;
    /// <summary>Requests refused with 429 by the rate limit (injected faults not counted).</summary>
    public int RateLimited => Volatile.Read(ref _rateLimited);
    /// <summary>Simulator-clock times of requests admitted by the rate limit.</summary>
    public IReadOnlyList<DateTimeOffset> AcceptedAt { get { lock (_gate) return _accepted.ToArray(); } }
    public IReadOnlyDictionary<int, MiniCrmContact> Contacts => _contacts;
    public IReadOnlyCollection<RecordedRequest> Requests => _requests.ToArray();

    public MiniCrmContact AddPerson(string firstName, string email)
    {
        var contact = new MiniCrmContact(Interlocked.Increment(ref _nextId), "Person");
        contact.Fields["FirstName"] = firstName;
        contact.Fields["Email"] = email;
        _contacts[contact.Id] = contact;
        return contact;
    }

    public ValueTask DisposeAsync() => _host.DisposeAsync();

    private void Map(WebApplication app)
    {
        app.Use(async (context, next) =>
        {
            await next();
            _requests.Enqueue(new RecordedRequest(context.Request.Method, context.Request.Path, context.Request.QueryString.Value ?? "", context.Response.StatusCode));
        });
        app.Use(async (context, next) =>
        {
            // The /_sim routes are for people trying the relay by hand: outside the limit and the credentials.
            if (SimulatorControl.IsControl(context))
            {
                await next();
                return;
            }
            if (await Faults.ApplyAsync(context)) return;
            if (!Admit())
            {
                Interlocked.Increment(ref _rateLimited);
                context.Response.Headers.RetryAfter = "60";
                await Text(context, 429, "Too Many Requests");
                return;
            }
            if (context.Request.Headers.Authorization.ToString() != _authorization)
            {
                await Text(context, 401, "Unauthorized");
                return;
            }
            await next();
        });
        var api = app.MapGroup("/Api/R3");
        api.MapGet("/Category", (HttpContext c) => Json(c, new JsonObject { ["1"] = "Webshop", ["2"] = "Értékesítés" }));
        api.MapGet("/Schema/Person", (HttpContext c) => Json(c, new JsonObject
        {
            ["FirstName"] = "Text(255)", ["LastName"] = "Text(255)", ["Email"] = "Email", ["Phone"] = "Phone",
            ["Position"] = "Text(255)", ["BusinessId"] = "Int", ["Hirlevel"] = "Enum(Active,Unsubscribed)",
        }));
        api.MapGet("/Schema/Business", (HttpContext c) => Json(c, new JsonObject
        {
            ["Name"] = "Text(255)", ["Email"] = "Email", ["VatNumber"] = "Text(64)", ["RegistrationNumber"] = "Text(64)",
        }));
        api.MapGet("/Contact", Search);
        api.MapGet("/Contact/{id:int}", (HttpContext c, int id) =>
            _contacts.TryGetValue(id, out var contact) ? Json(c, contact.ToJson()) : Text(c, 404, "Contact not found"));
        api.MapPut("/Contact", Create);
        api.MapPut("/Contact/{id:int}", Update);
        MapOrders(app.MapGroup("/Api/Order"));
        app.MapGet(SimulatorControl.Prefix + "/orders", (HttpContext c) => Json(c, new JsonArray(_orders.Values.OrderBy(o => o.Id).Select(o => (JsonNode)o.ToJson()).ToArray())));
        app.MapGet(SimulatorControl.Prefix + "/contacts", (HttpContext c) => Json(c, new JsonArray(_contacts.Values.OrderBy(p => p.Id).Select(p => (JsonNode)p.ToJson()).ToArray())));
        api.MapGet("/PurgePerson/{id:int}", (HttpContext c, int id) =>
            _contacts.TryRemove(id, out _) ? Json(c, new JsonObject { ["Id"] = id }) : Text(c, 404, "Contact not found"));
    }

    /// <summary>Sliding minute on the simulator's clock.</summary>
    private bool Admit()
    {
        lock (_gate)
        {
            var now = _time.GetUtcNow();
            while (_window.Count > 0 && now - _window.Peek() >= TimeSpan.FromMinutes(1)) _window.Dequeue();
            if (_window.Count >= RequestsPerMinute) return false;
            _window.Enqueue(now);
            _accepted.Add(now);
            return true;
        }
    }

    private Task Search(HttpContext context)
    {
        var query = context.Request.Query;
        var type = query["Type"].ToString();
        var matches = _contacts.Values.Where(c =>
            (type.Length == 0 || c.Type == type)
            && query.Where(q => q.Key is not ("Type" or "Page")).All(q => string.Equals(c.Fields.GetValueOrDefault(q.Key), q.Value.ToString(), StringComparison.OrdinalIgnoreCase)))
            .ToList();
        // PHP-style: an empty result set is a JSON array, a non-empty one an object keyed by id.
        JsonNode results = matches.Count == 0 ? new JsonArray() : new JsonObject(matches.Select(c => KeyValuePair.Create(c.Id.ToString(), (JsonNode?)c.Summary())));
        return Json(context, new JsonObject { ["Count"] = matches.Count, ["Results"] = results });
    }

    private async Task Create(HttpContext context)
    {
        var body = await ReadJson(context);
        if (body is null) { await Text(context, 400, "Invalid JSON"); return; }
        var type = body["Type"]?.ToString();
        if (type is not ("Person" or "Business")) { await Text(context, 400, "Type must be Person or Business"); return; }
        if (type == "Person" && string.IsNullOrWhiteSpace(body["FirstName"]?.ToString())) { await Text(context, 400, "FirstName is required for a Person"); return; }
        if (type == "Business" && string.IsNullOrWhiteSpace(body["Name"]?.ToString())) { await Text(context, 400, "Name is required for a Business"); return; }
        if (Invalid(body) is { } error) { await Text(context, 400, error); return; }
        var contact = new MiniCrmContact(Interlocked.Increment(ref _nextId), type);
        Apply(contact, body);
        _contacts[contact.Id] = contact;
        await Json(context, new JsonObject { ["Id"] = contact.Id });
    }

    private async Task Update(HttpContext context, int id)
    {
        var body = await ReadJson(context);
        if (!_contacts.TryGetValue(id, out var contact)) { await Text(context, 404, "Contact not found"); return; }
        if (body is null) { await Text(context, 400, "Invalid JSON"); return; }
        if (body["Type"] is { } t && t.ToString() != contact.Type) { await Text(context, 400, "Type cannot be changed"); return; }
        if (Invalid(body) is { } error) { await Text(context, 400, error); return; }
        Apply(contact, body);
        await Json(context, new JsonObject { ["Id"] = id });
    }

    private static string? Invalid(JsonObject body) =>
        body["Email"]?.ToString() is { } email && (email.IndexOf('@') <= 0 || email.Contains(' ')) ? $"Invalid value for field Email: {email}" : null;

    private static void Apply(MiniCrmContact contact, JsonObject body)
    {
        foreach (var (key, value) in body)
            if (key is not ("Type" or "Id") && value is not null) contact.Fields[key] = value.ToString();
    }

    private static async Task<JsonObject?> ReadJson(HttpContext context)
    {
        try { return await JsonNode.ParseAsync(context.Request.Body) as JsonObject; }
        catch (JsonException) { return null; }
    }

    private static Task Json(HttpContext context, JsonNode node)
    {
        context.Response.StatusCode = 200;
        context.Response.ContentType = "application/json; charset=utf-8";
        return context.Response.WriteAsync(node.ToJsonString(), Encoding.UTF8);
    }

    private static Task Text(HttpContext context, int status, string text)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "text/plain; charset=utf-8";
        return context.Response.WriteAsync(text, Encoding.UTF8);
    }
}

public sealed class MiniCrmContact(int id, string type)
{
    public int Id { get; } = id;
    public string Type { get; } = type;
    public ConcurrentDictionary<string, string> Fields { get; } = new();

    public JsonObject ToJson()
    {
        var json = new JsonObject { ["Id"] = Id, ["Type"] = Type };
        foreach (var (key, value) in Fields) json[key] = value;
        return json;
    }

    public JsonObject Summary() => new()
    {
        ["Id"] = Id,
        ["Type"] = Type,
        ["Name"] = Type == "Business" ? Fields.GetValueOrDefault("Name") : $"{Fields.GetValueOrDefault("LastName")} {Fields.GetValueOrDefault("FirstName")}".Trim(),
        ["Email"] = Fields.GetValueOrDefault("Email"),
        ["Phone"] = Fields.GetValueOrDefault("Phone"),
        ["Url"] = $"https://r3.minicrm.hu/Contact/{Id}",
    };
}

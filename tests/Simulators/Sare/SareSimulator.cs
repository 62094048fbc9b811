using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Simulators.Sare;

/// <summary>
/// SARE REST API v1 from protocols/targets.md §2: `ApiKey` header, account UID in the path,
/// `{code, status, response}` envelopes, per-address errors inside a 200 as `response.error[] {email, why}`,
/// numeric statuses (8 confirmed, 6 unconfirmed default, 2/3/4/7 do-not-mail).
/// </summary>
public sealed class SareSimulator : IAsyncDisposable
{
    private SimulatorHost _host = null!;
    private readonly string _uid;
    private readonly string _apiKey;
    private readonly ConcurrentDictionary<string, SareSubscriber> _subscribers = new(StringComparer.OrdinalIgnoreCase);
    private readonly ConcurrentQueue<RecordedRequest> _requests = new();
    private readonly object _gate = new();

    private SareSimulator(string uid, string apiKey)
    {
        _uid = uid;
        _apiKey = apiKey;
    }

    public static async Task<SareSimulator> StartAsync(string uid = "12345", string apiKey = "0f8fad5b-d9cb-469f-a165-70867728950e", int port = 0)
    {
        var sim = new SareSimulator(uid, apiKey);
        sim._host = await SimulatorHost.StartAsync(sim.Map, port);
        return sim;
    }

    /// <summary>Without the UID: "http://127.0.0.1:port/api/v1".</summary>
    public string BaseUrl => _host.BaseUrl + "/api/v1";
    public FaultPlan Faults { get; } = new();
    public IReadOnlyDictionary<string, SareSubscriber> Subscribers => _subscribers;
    public IReadOnlyCollection<RecordedRequest> Requests => _requests.ToArray();
    /// <summary>Addresses per page of status_by_email_list.</summary>
    public int StatusPageSize { get; set; } = 100;
    public Dictionary<int, string> Groups { get; } = new() { [1] = "Newsletter", [21] = "Klienci sklepu", [341] = "VIP" };
    public int ConfirmationsSent { get; private set; }

    public SareSubscriber Add(string email, int status, params int[] groups)
    {
        var subscriber = new SareSubscriber(email) { Status = status };
        subscriber.Groups.UnionWith(groups);
        _subscribers[email] = subscriber;
        return subscriber;
    }

    /// <summary>The recipient clicked the unsubscribe link: SARE sets "removal requested" (4).</summary>
    public void Unsubscribe(string email, int status = 4) => _subscribers[email].Status = status;

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
            if (await Faults.ApplyAsync(context)) return;
            if (context.Request.Headers["ApiKey"].ToString() != _apiKey)
            {
                await Envelope(context, 401, "error", "Invalid ApiKey");
                return;
            }
            await next();
        });
        var api = app.MapGroup($"/api/v1/{_uid}");
        api.MapPost("/email/add", AddEmails);
        api.MapPost("/email/delete", DeleteEmails);
        api.MapPost("/email/status_by_email_list/{page:int}", StatusByEmailList);
        api.MapGet("/email/props", (HttpContext c) => Envelope(c, 200, "ok", new JsonArray(
            Enumerable.Range(1, 9).Select(i => (JsonNode)new JsonObject { ["name"] = $"prop{i}", ["label"] = i == 1 ? "Miasto" : $"Cecha {i}", ["type"] = "text" })
                .Append(new JsonObject { ["name"] = "customer_number", ["label"] = "Numer klienta", ["type"] = "text", ["custom"] = true })
                .ToArray())));
        api.MapGet("/group/list", (HttpContext c) => Envelope(c, 200, "ok", new JsonArray(
            Groups.Select(g => (JsonNode)new JsonObject { ["id"] = g.Key, ["name"] = g.Value }).ToArray())));
    }

    private async Task AddEmails(HttpContext context)
    {
        var body = await ReadJson(context);
        var updateOnDuplicate = body?["update_on_duplicate"]?.GetValue<bool>() ?? false;
        var updateStatus = body?["update_status_on_duplicate"]?.GetValue<bool>() ?? false;
        var onlyAddToGroups = body?["only_add_to_groups"]?.GetValue<bool>() ?? false;
        var sendConfirmation = body?["send_confirmation"]?.GetValue<bool>() ?? false;
        JsonArray added = [], updated = [], errors = [];
        lock (_gate)
        {
            foreach (var item in body?["emails"] as JsonArray ?? [])
            {
                var email = item?["email"]?.ToString();
                if (email is null || !IsEmail(email))
                {
                    errors.Add(new JsonObject { ["email"] = email, ["why"] = "Niepoprawny adres e-mail (invalid e-mail address)" });
                    continue;
                }
                var exists = _subscribers.TryGetValue(email, out var subscriber);
                if (exists && !updateOnDuplicate)
                {
                    errors.Add(new JsonObject { ["email"] = email, ["why"] = "Adres już istnieje (address exists)" });
                    continue;
                }
                subscriber ??= new SareSubscriber(email);
                var status = item!["status"]?.GetValue<int>();
                if (!exists) subscriber.Status = status ?? 6;
                else if (updateStatus && status is { } s) subscriber.Status = s;
                if (item["name"] is { } name) subscriber.Name = name.ToString();
                if (item["gsm"] is { } gsm) subscriber.Gsm = gsm.ToString();
                if (item["groups"] is JsonArray groups)
                {
                    if (!onlyAddToGroups) subscriber.Groups.Clear();
                    subscriber.Groups.UnionWith(groups.Select(g => g!.GetValue<int>()));
                }
                foreach (var (key, value) in item["prop"] as JsonObject ?? []) subscriber.Prop[key] = value?.ToString();
                foreach (var (key, value) in item["prop_cust"] as JsonObject ?? []) subscriber.PropCust[key] = value?.ToString();
                if (!exists && sendConfirmation && subscriber.Status == 6) ConfirmationsSent++;
                _subscribers[email] = subscriber;
                (exists ? updated : added).Add(email);
            }
        }
        await Envelope(context, 200, "ok", new JsonObject { ["added"] = added, ["updated"] = updated, ["error"] = errors });
    }

    private async Task DeleteEmails(HttpContext context)
    {
        var body = await ReadJson(context);
        JsonArray deleted = [];
        foreach (var email in (body?["emails"] as JsonArray ?? []).Select(e => e?.ToString()).OfType<string>())
            if (_subscribers.TryRemove(email, out _)) deleted.Add(email);
        await Envelope(context, 200, "ok", new JsonObject { ["deleted"] = deleted, ["error"] = new JsonArray() });
    }

    private async Task StatusByEmailList(HttpContext context, int page)
    {
        var body = await ReadJson(context);
        var found = (body?["emails"] as JsonArray ?? [])
            .Select(e => e is JsonObject o ? o["email"]?.ToString() : e?.ToString())
            .OfType<string>()
            .Select(e => _subscribers.TryGetValue(e, out var s) ? s : null)
            .OfType<SareSubscriber>()
            .Skip(page * StatusPageSize).Take(StatusPageSize)
            .Select(s => (JsonNode)new JsonObject { ["email"] = s.Email, ["status"] = s.Status })
            .ToArray();
        await Envelope(context, 200, "ok", new JsonArray(found));
    }

    private static bool IsEmail(string s) => s.IndexOf('@') is > 0 and var at && s.IndexOf('.', at) > at + 1 && !s.Contains(' ');

    private static async Task<JsonNode?> ReadJson(HttpContext context)
    {
        try { return await JsonNode.ParseAsync(context.Request.Body); }
        catch (JsonException) { return null; }
    }

    private static Task Envelope(HttpContext context, int code, string status, JsonNode response)
    {
        context.Response.StatusCode = code;
        context.Response.ContentType = "application/json; charset=utf-8";
        return context.Response.WriteAsync(new JsonObject { ["code"] = code, ["status"] = status, ["response"] = response }.ToJsonString(), Encoding.UTF8);
    }
}

public sealed class SareSubscriber(string email)
{
    public string Email { get; } = email;
    public int Status { get; set; } = 6;
    public string? Name { get; set; }
    public string? Gsm { get; set; }
    public HashSet<int> Groups { get; } = [];
    public Dictionary<string, string?> Prop { get; } = [];
    public Dictionary<string, string?> PropCust { get; } = [];
}

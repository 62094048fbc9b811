using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Relay.Infrastructure;
using Relay.Mapping;

namespace Relay.Targets.Sare;

/// <summary>
/// SARE REST API v1 ("new REST API"): `ApiKey` header, account UID in the path, answers wrapped in
/// `{code, status, response}`. Subscribers are keyed by e-mail. An upsert never changes a status
/// (update_status_on_duplicate=false); only <see cref="SetConsentAsync"/> does.
/// </summary>
public sealed class SareClient(ISareApi api, string accountId, SareSettings settings, TimeProvider time) : ITarget
{
    private const string Name = "SARE";
    private readonly OutboundCall _call = new(accountId, settings.BaseUri);

    public async Task TestConnectionAsync(CancellationToken ct = default) => await SendAsync(() => api.ListGroupsAsync(settings.ApiKey, _call, ct), ct);

    public async Task<TargetSchema> DescribeAsync(CancellationToken ct = default)
    {
        var fields = new List<TargetField>
        {
            new("email", "E-mail", "email", Required: true),
            new("name", "Name", "string"),
            new("gsm", "Mobile phone (gsm)", "string"),
        };
        var props = await SendAsync(() => api.ListPropertiesAsync(settings.ApiKey, _call, ct), ct);
        foreach (var (id, label, type) in Properties(props))
            fields.Add(new TargetField(id, label, type));

        var groups = await SendAsync(() => api.ListGroupsAsync(settings.ApiKey, _call, ct), ct);
        var lists = Items(groups, "groups")
            .Select(g => (Id: Str(g, "id"), Label: Str(g, "name")))
            .Where(g => g.Id is not null)
            .Select(g => new TargetList(g.Id!, g.Label ?? $"group {g.Id}"))
            .ToList();
        return new TargetSchema(fields, lists);
    }

    /// <summary>
    /// `/email/props` has no published schema: accept a list of `{name|id, label|description, type}`
    /// or a map of name → label, with base properties prop1…prop9 and custom ones alike.
    /// </summary>
    private static IEnumerable<(string Id, string Label, string Type)> Properties(JsonElement response)
    {
        if (response.ValueKind == JsonValueKind.Object && !response.TryGetProperty("props", out _))
        {
            foreach (var p in response.EnumerateObject())
                yield return (p.Name, p.Value.ValueKind == JsonValueKind.String ? p.Value.GetString()! : Str(p.Value, "label") ?? p.Name, Str(p.Value, "type") ?? "string");
            yield break;
        }
        foreach (var p in Items(response, "props"))
            if ((Str(p, "name") ?? Str(p, "id")) is { } id)
                yield return (id, Str(p, "label") ?? Str(p, "description") ?? id, Str(p, "type") ?? "string");
    }

    public async Task<IReadOnlyList<UpsertOutcome>> UpsertContactsAsync(IReadOnlyList<Contact> contacts, CancellationToken ct = default)
    {
        var outcomes = new Dictionary<Contact, UpsertOutcome>(ReferenceEqualityComparer.Instance);
        foreach (var c in contacts.Where(c => string.IsNullOrWhiteSpace(c.Email)))
            outcomes[c] = new UpsertOutcome(c.Key, UpsertStatus.Rejected, "NO_EMAIL", "SARE subscribers need an e-mail address.");

        foreach (var batch in contacts.Where(c => !outcomes.ContainsKey(c)).Chunk(settings.BatchSize))
        {
            var body = new JsonObject
            {
                ["update_on_duplicate"] = true,
                ["update_status_on_duplicate"] = false,
                ["only_add_to_groups"] = true,
                ["send_confirmation"] = false,
                ["emails"] = new JsonArray(batch.Select(c => (JsonNode)SubscriberJson(c)).ToArray()),
            };
            var errors = ItemErrors(await SendAsync(() => api.AddEmailsAsync(body, settings.ApiKey, _call, ct), ct));
            foreach (var c in batch)
            {
                var why = errors.TryGetValue(Normalize(c.Email!), out var w) ? w
                    : errors.TryGetValue("", out var anonymous) && batch.Length == 1 ? anonymous
                    : null;
                outcomes[c] = why is null ? UpsertOutcome.Ok(c.Key) : new UpsertOutcome(c.Key, UpsertStatus.Rejected, "ITEM_ERROR", TargetText.Safe(why));
            }
        }
        return contacts.Select(c => outcomes[c]).ToList();
    }

    private JsonObject SubscriberJson(Contact c)
    {
        var subscriber = new JsonObject { ["email"] = c.Email };
        var name = string.Join(' ', new[] { c.FirstName, c.LastName }.Where(s => !string.IsNullOrWhiteSpace(s)));
        if (name.Length > 0) subscriber["name"] = name;
        if (settings.GroupIds.Count > 0) subscriber["groups"] = new JsonArray(settings.GroupIds.Select(g => (JsonNode)g).ToArray());
        var prop = new JsonObject();
        var custom = new JsonObject();
        foreach (var (field, value) in c.Fields)
        {
            if (value is null) continue;
            if (field == "gsm") subscriber["gsm"] = value;
            else if (field.Length is 5 && field.StartsWith("prop", StringComparison.Ordinal) && field[4] is >= '1' and <= '9') prop[field] = value;
            else if (field is not ("email" or "name" or "status" or "groups")) custom[field] = value;
        }
        if (prop.Count > 0) subscriber["prop"] = prop;
        if (custom.Count > 0) subscriber["prop_cust"] = custom;
        return subscriber;
    }

    public async Task SetConsentAsync(ConsentChange change, CancellationToken ct = default)
    {
        var email = change.Email ?? throw new TargetPermanentException("SARE addresses subscribers by e-mail; the consent change has none.");
        var status = SareStatuses.FromConsent(change.State);
        var subscriber = new JsonObject { ["email"] = email, ["status"] = (int)status };
        if (change.State != ConsentState.Unsubscribed && settings.GroupIds.Count > 0)
            subscriber["groups"] = new JsonArray(settings.GroupIds.Select(g => (JsonNode)g).ToArray());
        var body = new JsonObject
        {
            ["update_on_duplicate"] = true,
            ["update_status_on_duplicate"] = true,
            ["only_add_to_groups"] = true,
            ["send_confirmation"] = change.State == ConsentState.Unconfirmed && settings.SendConfirmation,
            ["emails"] = new JsonArray(subscriber),
        };
        var errors = ItemErrors(await SendAsync(() => api.AddEmailsAsync(body, settings.ApiKey, _call, ct), ct));
        if (errors.Count > 0)
            throw new TargetPermanentException($"SARE refused the status change: {TargetText.Safe(errors.Values.First())}", HttpStatusCode.OK, "ITEM_ERROR");
    }

    public async Task EraseContactAsync(string key, string? email, CancellationToken ct = default)
    {
        var address = email ?? throw new TargetPermanentException("SARE deletes subscribers by e-mail; none was given.");
        var body = new JsonObject { ["emails"] = new JsonArray(address) };
        var errors = ItemErrors(await SendAsync(() => api.DeleteEmailsAsync(body, settings.ApiKey, _call, ct), ct));
        if (errors.Count > 0)
            throw new TargetPermanentException($"SARE refused the deletion: {TargetText.Safe(errors.Values.First())}", HttpStatusCode.OK, "ITEM_ERROR");
    }

    /// <summary>
    /// SARE has no change feed: statuses of the given addresses are read in pages
    /// (`status_by_email_list/{page}`, 0-based) and reported as they are now. The pipeline compares
    /// and lets unsubscribe win; the cursor is only the time of this check.
    /// </summary>
    public async Task<PullResult> PullChangesAsync(PullRequest request, CancellationToken ct = default)
    {
        var now = time.GetUtcNow();
        var changes = (await StatusesAsync(request.Emails ?? [], ct))
            .Select(s => new ConsentChange { Key = s.Email, Email = s.Email, State = SareStatuses.ToConsent(s.Status), At = now, Source = "sare" })
            .ToList();
        return new PullResult(changes, [], now.ToString("O", CultureInfo.InvariantCulture));
    }

    /// <summary>
    /// The same batched status read as the pull (`status_by_email_list`, <see cref="SareSettings.BatchSize"/>
    /// addresses a call): addresses SARE does not have are not in its answer. SARE gives no time of
    /// the status, so it counts from now: an opt-out found here is never older than the shop's opt-in.
    /// Blocked (7) and removed (2, 3, 4) are opt-outs.
    /// </summary>
    public async Task<IReadOnlyDictionary<string, TargetConsent>> ReadConsentAsync(IReadOnlyList<Contact> contacts, CancellationToken ct = default)
    {
        var now = time.GetUtcNow();
        var keysByEmail = contacts.Where(c => !string.IsNullOrWhiteSpace(c.Email))
            .GroupBy(c => Normalize(c.Email!)).ToDictionary(g => g.Key, g => g.Select(c => c.Key).ToList());
        var found = new Dictionary<string, TargetConsent>(StringComparer.Ordinal);
        foreach (var (email, status) in await StatusesAsync(keysByEmail.Keys, ct))
            foreach (var key in keysByEmail.GetValueOrDefault(Normalize(email)) ?? [])
                found[key] = new TargetConsent(SareStatuses.ToConsent(status), now);
        return found;
    }

    private async Task<List<(string Email, int Status)>> StatusesAsync(IEnumerable<string> emails, CancellationToken ct)
    {
        var statuses = new List<(string, int)>();
        foreach (var chunk in emails.Distinct(StringComparer.OrdinalIgnoreCase).Chunk(settings.BatchSize))
        {
            var body = new JsonObject { ["emails"] = new JsonArray(chunk.Select(e => (JsonNode)new JsonObject { ["email"] = e }).ToArray()) };
            var seen = 0;
            for (var page = 0; page < 10_000 && seen < chunk.Length; page++)
            {
                var response = await SendAsync(() => api.StatusesByEmailAsync(page, body, settings.ApiKey, _call, ct), ct);
                var items = Items(response, "emails").ToList();
                if (items.Count == 0) break;
                seen += items.Count;
                foreach (var item in items)
                    if (Str(item, "email") is { } email && int.TryParse(Str(item, "status"), NumberStyles.Integer, CultureInfo.InvariantCulture, out var status))
                        statuses.Add((email, status));
            }
        }
        return statuses;
    }

    /// <summary>Per-address failures arrive inside a 200 as `response.error[] {email, why}`.</summary>
    private static Dictionary<string, string> ItemErrors(JsonElement response)
    {
        var errors = new Dictionary<string, string>();
        if (response.ValueKind != JsonValueKind.Object || !response.TryGetProperty("error", out var list)) return errors;
        foreach (var item in list.ValueKind == JsonValueKind.Array ? list.EnumerateArray().ToList() : [list])
        {
            var why = Str(item, "why") ?? Str(item, "message") ?? (item.ValueKind == JsonValueKind.String ? item.GetString() : null) ?? "rejected";
            errors.TryAdd(Normalize(Str(item, "email") ?? ""), why);
        }
        return errors;
    }

    private static string Normalize(string email) => email.Trim().ToLowerInvariant();

    private static IEnumerable<JsonElement> Items(JsonElement root, string name) =>
        root.ValueKind == JsonValueKind.Array ? root.EnumerateArray()
        : root.ValueKind == JsonValueKind.Object && root.TryGetProperty(name, out var list) && list.ValueKind == JsonValueKind.Array ? list.EnumerateArray()
        : [];

    private static string? Str(JsonElement obj, string name) =>
        obj.ValueKind == JsonValueKind.Object && obj.TryGetProperty(name, out var v)
            ? v.ValueKind == JsonValueKind.String ? v.GetString() : v.ValueKind == JsonValueKind.Number ? v.GetRawText() : null
            : null;

    /// <summary>"status: response" when the envelope carries a text, else the status alone.</summary>
    private static string? Describe(JsonElement root) =>
        root.ValueKind == JsonValueKind.Object && root.TryGetProperty("response", out var r) && r.ValueKind == JsonValueKind.String
            ? $"{Str(root, "status")}: {r.GetString()}"
            : Str(root, "status");

    /// <summary>Returns the `response` member of the envelope (cloned, so the document can go).</summary>
    private async Task<JsonElement> SendAsync(Func<Task<HttpResponseMessage>> call, CancellationToken ct)
    {
        using var response = await TargetHttp.SendAsync(call);
        var text = await response.Content.ReadAsStringAsync(ct);
        JsonDocument? doc = null;
        try { doc = string.IsNullOrWhiteSpace(text) ? null : JsonDocument.Parse(text); }
        catch (JsonException) { }
        using (doc)
        {
            var root = doc?.RootElement ?? default;
            var message = doc is null ? text : Describe(root);
            if (!response.IsSuccessStatusCode) throw TargetHttp.Error(Name, response, null, message, time);
            if (doc is null) throw new TargetTransientException($"SARE answered {(int)response.StatusCode} with a body that is not JSON.", response.StatusCode, "BAD_BODY");
            // The envelope repeats the status; an error can hide in a 200.
            if (int.TryParse(Str(root, "code"), NumberStyles.Integer, CultureInfo.InvariantCulture, out var code) && code is not (200 or 201))
            {
                using var inner = new HttpResponseMessage((HttpStatusCode)code);
                throw TargetHttp.Error(Name, inner, code.ToString(CultureInfo.InvariantCulture), message, time);
            }
            return root.TryGetProperty("response", out var payload) ? payload.Clone() : root.Clone();
        }
    }
}

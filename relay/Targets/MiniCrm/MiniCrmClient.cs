using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Relay.Infrastructure;
using Relay.Mapping;

namespace Relay.Targets.MiniCrm;

/// <summary>
/// MiniCRM R3 API: Basic SystemId:APIKey, JSON in and out, plain-text error bodies. There is no
/// external key on contacts, so a Person is found by e-mail and then created or updated; a
/// company becomes a Business the Person belongs to. No batch endpoint: one contact, several calls,
/// all paced in the system's shared budget (<see cref="MiniCrmSettings.Pace"/>).
/// </summary>
public sealed partial class MiniCrmClient(IMiniCrmApi api, string accountId, MiniCrmSettings settings, TimeProvider time) : ITarget
{
    private const string Name = "MiniCRM";
    private readonly OutboundCall _call = new(accountId, settings.BaseUri);
    private readonly OutboundPace _pace = settings.Pace;
    /// <summary>
    /// Person ids by address as this client found or made them (it lives for one unit of work): the
    /// consent read before an upsert already searched, and at 60 calls a minute the upsert should not
    /// search again. Null: searched, no such person.
    /// </summary>
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, int?> _personIds = new(StringComparer.OrdinalIgnoreCase);

    public async Task TestConnectionAsync(CancellationToken ct = default) =>
        await SendAsync(() => api.ListCategoriesAsync(settings.BasicAuthorization, _call, _pace, ct), ct);

    public async Task<TargetSchema> DescribeAsync(CancellationToken ct = default)
    {
        var fields = new List<TargetField>();
        foreach (var field in (await SendAsync(() => api.GetSchemaAsync("Person", settings.BasicAuthorization, _call, _pace, ct), ct)).AsObjectOrEmpty())
            fields.Add(new TargetField(field.Key, field.Key, TypeOf(field.Value), Required: field.Key is "FirstName"));
        foreach (var field in (await SendAsync(() => api.GetSchemaAsync("Business", settings.BasicAuthorization, _call, _pace, ct), ct)).AsObjectOrEmpty())
            fields.Add(new TargetField("Business." + field.Key, "Business: " + field.Key, TypeOf(field.Value)));
        var lists = (await SendAsync(() => api.ListCategoriesAsync(settings.BasicAuthorization, _call, _pace, ct), ct)).AsObjectOrEmpty()
            .Select(c => new TargetList(c.Key, c.Value is JsonValue v && v.TryGetValue<string>(out var s) ? s : c.Value?["Name"]?.ToString() ?? c.Key))
            .ToList();
        return new TargetSchema(fields, lists);
    }

    private static string TypeOf(JsonNode? schema) => schema switch
    {
        JsonValue v when v.TryGetValue<string>(out var s) => s,
        JsonObject o when o["Type"] is { } t => t.ToString(),
        _ => "string",
    };

    public async Task<IReadOnlyList<UpsertOutcome>> UpsertContactsAsync(IReadOnlyList<Contact> contacts, CancellationToken ct = default)
    {
        var outcomes = new List<UpsertOutcome>(contacts.Count);
        TargetTransientException? failing = null;
        foreach (var contact in contacts)
        {
            if (failing is not null)
            {
                outcomes.Add(new UpsertOutcome(contact.Key, UpsertStatus.RetryLater, failing.Code, failing.Message));
                continue;
            }
            try
            {
                outcomes.Add(await UpsertOneAsync(contact, ct));
            }
            catch (TargetPermanentException e)
            {
                outcomes.Add(new UpsertOutcome(contact.Key, UpsertStatus.Rejected, e.Code ?? ((int?)e.Status)?.ToString(CultureInfo.InvariantCulture), e.Message));
            }
            catch (TargetTransientException e)
            {
                // The rest would meet the same outage; they are retried with this one.
                failing = e;
                outcomes.Add(new UpsertOutcome(contact.Key, UpsertStatus.RetryLater, e.Code, e.Message));
            }
        }
        return outcomes;
    }

    private async Task<UpsertOutcome> UpsertOneAsync(Contact contact, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(contact.Email))
            return new UpsertOutcome(contact.Key, UpsertStatus.Rejected, "NO_EMAIL", "MiniCRM contacts are matched by e-mail; this one has none.");

        int? businessId = null;
        if (!string.IsNullOrWhiteSpace(contact.Company))
        {
            businessId = await FindAsync("Business", "Name", contact.Company, ct);
            if (businessId is null)
            {
                var business = new JsonObject { ["Type"] = "Business", ["Name"] = contact.Company };
                foreach (var (field, value) in contact.Fields)
                    if (field.StartsWith("Business.", StringComparison.Ordinal) && value is not null) business[field["Business.".Length..]] = value;
                businessId = IdOf(await CreateAsync(business, ct));
            }
        }

        var person = new JsonObject();
        void Put(string name, string? value) { if (!string.IsNullOrWhiteSpace(value)) person[name] = value; }
        Put("FirstName", contact.FirstName);
        Put("LastName", contact.LastName);
        Put("Email", contact.Email);
        Put("Phone", contact.Phone);
        if (businessId is not null) person["BusinessId"] = businessId;
        foreach (var (field, value) in contact.Fields)
            if (!field.StartsWith("Business.", StringComparison.Ordinal) && field is not ("Type" or "Id")) Put(field, value);

        var personId = await FindPersonAsync(contact.Email, ct);
        if (personId is { } id)
        {
            await SendAsync(() => api.UpdateContactAsync(id, person, settings.BasicAuthorization, _call, _pace, ct), ct);
            return UpsertOutcome.Ok(contact.Key, id.ToString(CultureInfo.InvariantCulture));
        }
        person["Type"] = "Person";
        // A Person cannot be created without FirstName.
        if (person["FirstName"] is null) person["FirstName"] = contact.LastName ?? contact.Email.Split('@')[0];
        var created = IdOf(await CreateAsync(person, ct));
        _personIds[contact.Email.Trim()] = created;
        return UpsertOutcome.Ok(contact.Key, created?.ToString(CultureInfo.InvariantCulture));
    }

    private async Task<int?> FindPersonAsync(string email, CancellationToken ct)
    {
        if (_personIds.TryGetValue(email.Trim(), out var known)) return known;
        return _personIds[email.Trim()] = await FindAsync("Person", "Email", email, ct);
    }

    /// <summary>Field search; MiniCRM may match loosely, so the value is compared again.</summary>
    private async Task<int?> FindAsync(string type, string field, string value, CancellationToken ct) =>
        (await FindAllAsync(type, field, value, ct)).Cast<int?>().FirstOrDefault();

    private async Task<List<int>> FindAllAsync(string type, string field, string value, CancellationToken ct)
    {
        var found = new List<int>();
        var filter = new Dictionary<string, string> { [field] = value, ["Type"] = type };
        var result = await SendAsync(() => api.SearchContactsAsync(filter, settings.BasicAuthorization, _call, _pace, ct), ct);
        var results = result?["Results"] switch
        {
            JsonObject map => map.Select(r => r.Value),
            JsonArray list => list.AsEnumerable(),
            _ => [],
        };
        foreach (var r in results)
        {
            if (r?["Type"]?.ToString() is { } t && t != type) continue;
            if (r?[field]?.ToString() is { } v && !string.Equals(v.Trim(), value.Trim(), StringComparison.OrdinalIgnoreCase)) continue;
            if (IdOf(r) is { } id) found.Add(id);
        }
        return found;
    }

    private static int? IdOf(JsonNode? node) =>
        node?["Id"] is JsonValue v && (v.TryGetValue<int>(out var i) || v.TryGetValue<string>(out var s) && int.TryParse(s, out i)) ? i : null;

    public async Task SetConsentAsync(ConsentChange change, CancellationToken ct = default)
    {
        if (settings.ConsentField is null) return;
        var email = change.Email ?? throw new TargetPermanentException("MiniCRM contacts are matched by e-mail; the consent change has none.");
        var id = await FindPersonAsync(email, ct)
            ?? throw new TargetPermanentException("MiniCRM has no person with this e-mail yet; upsert the contact first.", HttpStatusCode.NotFound, "CONTACT_NOT_FOUND");
        var value = change.State == ConsentState.Subscribed ? settings.ConsentSubscribed : settings.ConsentUnsubscribed;
        // Without a key, two events of one person handled at once can each create a Person: an opt-out reaches all of them.
        var ids = change.State == ConsentState.Unsubscribed ? await FindAllAsync("Person", "Email", email, ct) : [id];
        var consent = new JsonObject { [settings.ConsentField] = value };
        foreach (var person in ids.DefaultIfEmpty(id))
            await SendAsync(() => api.UpdateContactAsync(person, consent, settings.BasicAuthorization, _call, _pace, ct), ct);
    }

    public async Task EraseContactAsync(string key, string? email, CancellationToken ct = default)
    {
        if (email is null) throw new TargetPermanentException("MiniCRM contacts are matched by e-mail; none was given.");
        if (await FindPersonAsync(email, ct) is { } id)
        {
            await SendAsync(() => api.PurgePersonAsync(id, settings.BasicAuthorization, _call, _pace, ct), ct);
            _personIds[email.Trim()] = null;
        }
    }

    /// <summary>
    /// MiniCRM's API has no subscription state; the only consent it can hold is the account's own
    /// custom Person field (<see cref="MiniCrmSettings.ConsentField"/>). Without one the answer is
    /// "unknown" for everyone, at no cost. With one: a search by address and a read of the person,
    /// per contact (the API has no batch read; the search is remembered for the upsert that follows,
    /// so a person that does not exist yet costs nothing extra). A value that is neither the
    /// subscribed nor the unsubscribed one is unknown. The field has no time: it counts from now.
    /// </summary>
    public async Task<IReadOnlyDictionary<string, TargetConsent>> ReadConsentAsync(IReadOnlyList<Contact> contacts, CancellationToken ct = default)
    {
        var found = new Dictionary<string, TargetConsent>(StringComparer.Ordinal);
        if (settings.ConsentField is not { } field) return found;
        foreach (var contact in contacts)
        {
            if (string.IsNullOrWhiteSpace(contact.Email) || await FindPersonAsync(contact.Email, ct) is not { } id) continue;
            var value = (await SendAsync(() => api.GetContactAsync(id, settings.BasicAuthorization, _call, _pace, ct), ct))?[field]?.ToString()?.Trim();
            ConsentState? state =
                string.Equals(value, settings.ConsentUnsubscribed, StringComparison.OrdinalIgnoreCase) ? ConsentState.Unsubscribed
                : string.Equals(value, settings.ConsentSubscribed, StringComparison.OrdinalIgnoreCase) ? ConsentState.Subscribed
                : null;
            if (state is { } known) found[contact.Key] = new TargetConsent(known, time.GetUtcNow());
        }
        return found;
    }

    /// <summary>MiniCRM's API exposes no unsubscribe or bounce state to read back.</summary>
    public Task<PullResult> PullChangesAsync(PullRequest request, CancellationToken ct = default) =>
        Task.FromResult(PullResult.Empty(request.Cursor));

    /// <summary>PUT /Contact without an id creates: an attempt whose answer was lost is not repeated.</summary>
    private Task<JsonNode?> CreateAsync(JsonObject contact, CancellationToken ct) =>
        SendAsync(() => api.CreateContactAsync(contact, settings.BasicAuthorization, _call with { NotIdempotent = true }, _pace, ct), ct);

    private async Task<JsonNode?> SendAsync(Func<Task<HttpResponseMessage>> call, CancellationToken ct)
    {
        using var response = await TargetHttp.SendAsync(call);
        var text = await response.Content.ReadAsStringAsync(ct);
        // Errors are plain text, not JSON (MiniCRM's troubleshooting page); surface them as they are.
        if (!response.IsSuccessStatusCode) throw TargetHttp.Error(Name, response, null, text, time);
        if (string.IsNullOrWhiteSpace(text)) return null;
        try
        {
            return JsonNode.Parse(text);
        }
        catch (JsonException)
        {
            throw new TargetTransientException($"MiniCRM answered {(int)response.StatusCode} with a body that is not JSON: {TargetText.Safe(text, 120)}", response.StatusCode, "BAD_BODY");
        }
    }
}

internal static class JsonNodeExtensions
{
    public static IEnumerable<KeyValuePair<string, JsonNode?>> AsObjectOrEmpty(this JsonNode? node) =>
        node is JsonObject o ? o : [];
}

using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Relay.Infrastructure;
using Relay.Mapping;

namespace Relay.Targets.Spotler;

/// <summary>
/// Spotler Mail+ REST ("integrationservice"). Contacts are keyed by externalId = the relay's unique
/// key; newsletter consent is one bit of the `permissions` set property and is only ever written
/// by <see cref="SetConsentAsync"/>, never by an upsert.
/// </summary>
public sealed class SpotlerClient(ISpotlerApi api, string accountId, SpotlerSettings settings, TimeProvider time) : ITarget
{
    private const string Name = "Spotler";
    private readonly OutboundCall _call = new(accountId, settings.BaseUri);

    public async Task TestConnectionAsync(CancellationToken ct = default) =>
        await SendAsync(() => api.ListPropertiesAsync(_call, settings.Credentials, ct), ct);

    public async Task<TargetSchema> DescribeAsync(CancellationToken ct = default)
    {
        using var doc = await SendAsync(() => api.ListPropertiesAsync(_call, settings.Credentials, ct), ct);
        var fields = new List<TargetField>();
        var lists = new List<TargetList>();
        foreach (var property in Items(doc.RootElement, "properties"))
        {
            var name = Str(property, "name");
            if (name is null) continue;
            var type = Str(property, "type") ?? "string";
            if (name == "permissions")
            {
                foreach (var entry in Items(property, "entries"))
                    if (entry.TryGetProperty("bit", out var bit))
                        lists.Add(new TargetList(bit.ToString(), Str(entry, "description") ?? $"bit {bit}"));
                continue;
            }
            fields.Add(new TargetField(name, Str(property, "description") ?? name, type, Required: name == "email"));
        }
        return new TargetSchema(fields, lists);
    }

    public async Task<IReadOnlyList<UpsertOutcome>> UpsertContactsAsync(IReadOnlyList<Contact> contacts, CancellationToken ct = default)
    {
        if (contacts.Count == 1) return [await UpsertOneAsync(contacts[0], ct)];
        var outcomes = new List<UpsertOutcome>(contacts.Count);
        foreach (var batch in contacts.Chunk(SpotlerSettings.MaxBatch))
        {
            var body = new JsonObject
            {
                ["update"] = true,
                ["purge"] = false,
                ["contacts"] = new JsonArray(batch.Select(c => (JsonNode)ContactJson(c)).ToArray()),
            };
            using var doc = await SendAsync(() => api.PostContactListAsync(body, _call, settings.Credentials, ct), ct);
            var byKey = new Dictionary<string, UpsertOutcome>();
            foreach (var result in Items(doc.RootElement, "results"))
                if (Str(result, "externalId") is { } key)
                    byKey[key] = Outcome(key, Str(result, "code"), Str(result, "message"));
            outcomes.AddRange(batch.Select(c => byKey.GetValueOrDefault(c.Key)
                ?? new UpsertOutcome(c.Key, UpsertStatus.RetryLater, "NO_RESULT", "Spotler returned no result for this contact.")));
        }
        return outcomes;
    }

    private async Task<UpsertOutcome> UpsertOneAsync(Contact contact, CancellationToken ct)
    {
        try
        {
            var body = new JsonObject { ["update"] = true, ["purge"] = false, ["contact"] = ContactJson(contact) };
            using var _ = await SendAsync(() => api.PostContactAsync(body, _call, settings.Credentials, ct), ct);
            return UpsertOutcome.Ok(contact.Key);
        }
        catch (TargetPermanentException e) when (e.Status == HttpStatusCode.BadRequest)
        {
            return new UpsertOutcome(contact.Key, UpsertStatus.Rejected, e.Code, e.Message);
        }
    }

    private static UpsertOutcome Outcome(string key, string? code, string? message) => code switch
    {
        "OK" => UpsertOutcome.Ok(key),
        "ERROR" => new UpsertOutcome(key, UpsertStatus.RetryLater, code, TargetText.Safe(message)),
        _ => new UpsertOutcome(key, UpsertStatus.Rejected, code, TargetText.Safe(message)),
    };

    public async Task SetConsentAsync(ConsentChange change, CancellationToken ct = default)
    {
        var permissions = new JsonArray(new JsonObject { ["bit"] = BitOf(change.Channel), ["enabled"] = change.State == ConsentState.Subscribed });
        try
        {
            var contact = new JsonObject { ["externalId"] = change.Key, ["properties"] = new JsonObject { ["permissions"] = permissions } };
            var body = new JsonObject { ["purge"] = false, ["contact"] = contact };
            using var _ = await SendAsync(() => api.PutContactAsync(change.Key, body, _call, settings.Credentials, ct), ct);
        }
        catch (TargetPermanentException e) when (e.Status == HttpStatusCode.NotFound && change.Email is not null)
        {
            // Consent can arrive before the contact: create it with just the address and the bit.
            var contact = new JsonObject
            {
                ["externalId"] = change.Key,
                ["properties"] = new JsonObject { ["email"] = change.Email, ["permissions"] = permissions.DeepClone() },
            };
            var body = new JsonObject { ["update"] = true, ["purge"] = false, ["contact"] = contact };
            using var _ = await SendAsync(() => api.PostContactAsync(body, _call, settings.Credentials, ct), ct);
        }
    }

    private int BitOf(string channel) =>
        channel == ConsentChannels.Newsletter ? settings.PermissionBit
        : int.TryParse(channel, NumberStyles.None, CultureInfo.InvariantCulture, out var bit) && bit > 0 ? bit
        : throw new TargetPermanentException($"Spotler has no permission for channel '{channel}'; use \"newsletter\" or a permission bit.");

    /// <summary>Mail+ cannot delete contacts; anonymising is its GDPR erase.</summary>
    public async Task EraseContactAsync(string key, string? email, CancellationToken ct = default)
    {
        try
        {
            using var _ = await SendAsync(() => api.AnonymizeContactAsync(key, _call, settings.Credentials, ct), ct);
        }
        catch (TargetPermanentException e) when (e.Status == HttpStatusCode.NotFound)
        {
        }
    }

    /// <summary>
    /// Windows overlap the previous pull by <see cref="SpotlerSettings.PullOverlap"/> (as Spotler's
    /// own connector does); the cursor is the end of the last completed window.
    /// </summary>
    public async Task<PullResult> PullChangesAsync(PullRequest request, CancellationToken ct = default)
    {
        var now = time.GetUtcNow();
        var from = request.Cursor is { } cursor && DateTimeOffset.TryParse(cursor, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var last)
            ? last - settings.PullOverlap
            : now - settings.FirstPullLookback;
        if (from > now) from = now - settings.PullOverlap;

        var consent = new List<ConsentChange>();
        await ReadWindowAsync(api.ListUpdatesAsync, "contacts", from, now, settings.PageSize, contact =>
        {
            if (ConsentOf(contact, now) is { } change) consent.Add(change);
        }, ct);

        var bounces = new List<Bounce>();
        await ReadWindowAsync(api.ListBouncesAsync, "bounces", from, now, settings.PageSize, item =>
        {
            var contact = item.TryGetProperty("contact", out var c) && c.ValueKind == JsonValueKind.Object ? c : default;
            var email = contact.ValueKind == JsonValueKind.Object && contact.TryGetProperty("properties", out var p) ? Str(p, "email") : null;
            if (email is null) return;
            bounces.Add(new Bounce
            {
                Key = contact.ValueKind == JsonValueKind.Object ? Str(contact, "externalId") : null,
                Email = email,
                Kind = Str(item, "type") == "SOFTBOUNCE" ? BounceKind.Soft : BounceKind.Hard,
                At = Time(item, "date") ?? now,
            });
        }, ct);
        return new PullResult(consent, bounces, now.ToString("O", CultureInfo.InvariantCulture));
    }

    private readonly SemaphoreSlim _snapshotGate = new(1, 1);
    private Dictionary<string, TargetConsent>? _snapshot;
    private DateTimeOffset _snapshotAt;

    /// <summary>
    /// Mail+ has no bulk read by key: GET contact/{externalId} is a call per contact and contact/search
    /// takes one property value. Its changes feed does list many at once, and a contact's lastChanged
    /// is never before its creation, so contact/updates/list from <see cref="SpotlerSettings.FeedStart"/>
    /// to now lists the whole account, <see cref="SpotlerSettings.SnapshotPageSize"/> a call, and
    /// contact/bounces/list over the same window its hard bounces. A full sync takes that snapshot once
    /// per run (the client lives for one run) and answers every later page from memory. Trade-off:
    /// account size ÷ 10,000 calls per run and one small entry per contact of the account in memory
    /// (~130 bytes: 13 MB for 100,000), against one call per new contact, which would break the target
    /// of at most 1 call per 50 contacts. A single contact (a live event) is read on its own, as a whole
    /// account for one webhook would cost more. A snapshot older than
    /// <see cref="SpotlerSettings.SnapshotMaxAge"/> is brought up to date with the feed since it was
    /// taken, so a contact created and unsubscribed in Spotler while a long sync runs is seen in time.
    /// Not every answer is documented: that the feed accepts a window of decades is an assumption
    /// (the Swagger names no limit), and the per-contact read cannot see bounces.
    /// </summary>
    public async Task<IReadOnlyDictionary<string, TargetConsent>> ReadConsentAsync(IReadOnlyList<Contact> contacts, CancellationToken ct = default)
    {
        var found = new Dictionary<string, TargetConsent>(StringComparer.Ordinal);
        if (contacts.Count == 0) return found;
        if (_snapshot is null && contacts.Count <= SpotlerSettings.SingleReadMax)
        {
            foreach (var contact in contacts)
                if (await ReadOneAsync(contact.Key, ct) is { } consent) found[contact.Key] = consent;
            return found;
        }
        var snapshot = await SnapshotAsync(ct);
        foreach (var contact in contacts)
            if (snapshot.TryGetValue(contact.Key, out var consent)) found[contact.Key] = consent;
        return found;
    }

    private async Task<TargetConsent?> ReadOneAsync(string key, CancellationToken ct)
    {
        try
        {
            using var doc = await SendAsync(() => api.GetContactAsync(key, _call, settings.Credentials, ct), ct);
            return HeldConsent(doc.RootElement, time.GetUtcNow());
        }
        // 404 per the Swagger; some clients saw 400 with CONTACT_NOT_FOUND.
        catch (TargetPermanentException e) when (e.Status == HttpStatusCode.NotFound || e.Code == "CONTACT_NOT_FOUND")
        {
            return null;
        }
    }

    private async Task<Dictionary<string, TargetConsent>> SnapshotAsync(CancellationToken ct)
    {
        await _snapshotGate.WaitAsync(ct);
        try
        {
            var now = time.GetUtcNow();
            if (_snapshot is not null && now - _snapshotAt < SpotlerSettings.SnapshotMaxAge) return _snapshot;
            var from = _snapshot is null ? SpotlerSettings.FeedStart : _snapshotAt - settings.PullOverlap;
            var snapshot = _snapshot ?? new Dictionary<string, TargetConsent>(StringComparer.Ordinal);
            await ReadWindowAsync(api.ListUpdatesAsync, "contacts", from, now, SpotlerSettings.SnapshotPageSize, contact =>
            {
                if (Str(contact, "externalId") is not { } key || HeldConsent(contact, now) is not { } held) return;
                snapshot[key] = snapshot.TryGetValue(key, out var had) ? held with { HardBouncedAt = had.HardBouncedAt } : held;
            }, ct);
            await ReadWindowAsync(api.ListBouncesAsync, "bounces", from, now, SpotlerSettings.SnapshotPageSize, item =>
            {
                // A soft bounce is the mailbox's bad day, not a dead address.
                if (Str(item, "type") == "SOFTBOUNCE" || !item.TryGetProperty("contact", out var contact) || Str(contact, "externalId") is not { } key) return;
                var at = Time(item, "date") ?? now;
                snapshot[key] = snapshot.TryGetValue(key, out var had)
                    ? had with { HardBouncedAt = had.HardBouncedAt > at ? had.HardBouncedAt : at }
                    : new TargetConsent(ConsentState.Unsubscribed, at, at);
            }, ct);
            (_snapshot, _snapshotAt) = (snapshot, now);
            return snapshot;
        }
        finally
        {
            _snapshotGate.Release();
        }
    }

    /// <summary>
    /// The newsletter bit as a first-contact answer. Spotler reports a bit nobody set as disabled, so
    /// a contact it created moments ago with the bit off is most likely the relay's own create for a
    /// concurrent event of the same person (workers handle a shop's events in parallel, and the
    /// ledger learns of a create only after it), not someone who opted out: unknown, not an opt-out.
    /// </summary>
    private TargetConsent? HeldConsent(JsonElement contact, DateTimeOffset now)
    {
        if (ConsentOf(contact, now) is not { } change) return null;
        if (change.State == ConsentState.Unsubscribed && Time(contact, "created") is { } created && now - created < SpotlerSettings.OwnCreateWindow) return null;
        return new TargetConsent(change.State, change.At);
    }

    private ConsentChange? ConsentOf(JsonElement contact, DateTimeOffset now)
    {
        if (Str(contact, "externalId") is not { } key || !contact.TryGetProperty("properties", out var properties)) return null;
        foreach (var permission in Items(properties, "permissions"))
        {
            if (!permission.TryGetProperty("bit", out var bit) || !bit.TryGetInt32(out var b) || b != settings.PermissionBit) continue;
            var enabled = permission.TryGetProperty("enabled", out var e) && e.ValueKind == JsonValueKind.True;
            return new ConsentChange
            {
                Key = key,
                Email = Str(properties, "email"),
                State = enabled ? ConsentState.Subscribed : ConsentState.Unsubscribed,
                At = Time(contact, "lastChanged") ?? now,
                Source = "spotler",
            };
        }
        return null;
    }

    /// <summary>
    /// Reads every page of a window, handing each item over while its page is in hand (a whole
    /// account is not held as JSON). `/integrationservice` answers `{paging, contacts|bounces}`,
    /// `/integrationservice-1.1.0` a bare array; both are accepted, and both are paged by after/pageSize.
    /// </summary>
    private async Task ReadWindowAsync(WindowList list, string itemsName, DateTimeOffset from, DateTimeOffset to, int pageSize, Action<JsonElement> onItem, CancellationToken ct)
    {
        var after = 0;
        for (var page = 0; page < 10_000; page++)
        {
            using var doc = await SendAsync(() => list(IsoDate(from), IsoDate(to), after, pageSize, _call, settings.Credentials, ct), ct);
            var root = doc.RootElement;
            var count = 0;
            foreach (var item in Items(root, itemsName))
            {
                onItem(item);
                count++;
            }
            if (count == 0) break;
            if (root.ValueKind == JsonValueKind.Object)
            {
                var next = root.TryGetProperty("paging", out var paging) ? Str(paging, "next") : null;
                if (string.IsNullOrEmpty(next)) break;
                after = AfterOf(next) ?? after + count;
            }
            else
            {
                if (count < pageSize) break;
                after += count;
            }
        }
    }

    private static int? AfterOf(string next)
    {
        var q = next.IndexOf('?');
        if (q < 0) return null;
        foreach (var (key, value) in SpotlerOAuthSigner.QueryParameters(next[q..]))
            if (key == "after" && int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var after)) return after;
        return null;
    }

    private delegate Task<HttpResponseMessage> WindowList(string fromDate, string toDate, int after, int pageSize, OutboundCall call, SpotlerCredentials credentials, CancellationToken ct);

    // Refit escapes query values itself.
    private static string IsoDate(DateTimeOffset t) => ZonelessTime.Write(t, SpotlerSettings.Zone);

    /// <summary>Epoch numbers of undocumented unit: above 1e11 they can only be milliseconds (1e11 s is the year 5138).</summary>
    internal static DateTimeOffset? Time(JsonElement obj, string name)
    {
        if (obj.ValueKind != JsonValueKind.Object || !obj.TryGetProperty(name, out var value)) return null;
        if (value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out var epoch))
            return epoch > 100_000_000_000 ? DateTimeOffset.FromUnixTimeMilliseconds(epoch) : DateTimeOffset.FromUnixTimeSeconds(epoch);
        if (value.ValueKind == JsonValueKind.String && ZonelessTime.Read(value.GetString(), SpotlerSettings.Zone) is { } parsed)
            return parsed;
        return null;
    }

    private static JsonObject ContactJson(Contact c)
    {
        var properties = new JsonObject();
        void Put(string name, string? value) { if (!string.IsNullOrWhiteSpace(value)) properties[name] = value; }
        Put("email", c.Email);
        Put("firstName", c.FirstName);
        Put("lastName", c.LastName);
        Put("street", c.Address?.Street);
        Put("houseNumber", c.Address?.HouseNumber);
        Put("postalCode", c.Address?.PostalCode);
        Put("city", c.Address?.City);
        Put("country", c.Address?.Country);
        Put("organisation", c.Company);
        foreach (var (name, value) in c.Fields)
            if (name != "permissions") Put(name, value);
        return new JsonObject { ["externalId"] = c.Key, ["properties"] = properties };
    }

    private static IEnumerable<JsonElement> Items(JsonElement root, string name) =>
        root.ValueKind == JsonValueKind.Array ? root.EnumerateArray()
        : root.ValueKind == JsonValueKind.Object && root.TryGetProperty(name, out var list) && list.ValueKind == JsonValueKind.Array ? list.EnumerateArray()
        : [];

    private static string? Str(JsonElement obj, string name) =>
        obj.ValueKind == JsonValueKind.Object && obj.TryGetProperty(name, out var v)
            ? v.ValueKind == JsonValueKind.String ? v.GetString() : v.ValueKind is JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False ? v.GetRawText() : null
            : null;

    private async Task<JsonDocument> SendAsync(Func<Task<HttpResponseMessage>> call, CancellationToken ct)
    {
        using var response = await TargetHttp.SendAsync(call);
        var text = await response.Content.ReadAsStringAsync(ct);
        if (!response.IsSuccessStatusCode) throw Error(response, text);
        if (string.IsNullOrWhiteSpace(text)) return JsonDocument.Parse("{}");
        try
        {
            return JsonDocument.Parse(text);
        }
        catch (JsonException)
        {
            throw new TargetTransientException($"Spotler answered {(int)response.StatusCode} with a body that is not JSON.", response.StatusCode, "BAD_BODY");
        }
    }

    private TargetException Error(HttpResponseMessage response, string body)
    {
        string? errorType = null, message = body;
        try
        {
            using var doc = JsonDocument.Parse(body);
            errorType = Str(doc.RootElement, "errorType");
            message = Str(doc.RootElement, "message") ?? body;
        }
        catch (JsonException)
        {
        }
        return errorType switch
        {
            "AUTH_NOT_FOUND" or "NOT_AUTHORIZED" =>
                new TargetAuthException($"Spotler rejected the credentials ({errorType}). Check the consumer key and secret.", response.StatusCode, errorType),
            "BACKEND_EXCEPTION" => new TargetTransientException($"Spotler failed internally: {TargetText.Safe(message)}", response.StatusCode, errorType, OutboundHttp.RetryAfter(response, time)),
            _ => TargetHttp.Error(Name, response, errorType, message, time),
        };
    }
}

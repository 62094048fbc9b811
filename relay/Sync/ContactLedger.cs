using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Relay.Mapping;
using Relay.Storage;

namespace Relay.Sync;

/// <summary>
/// What the relay knows about one contact of one shop: whether the target has it (OverwriteOnUpdate
/// rules are written only on create) and the last known consent on each side with its time (what
/// <see cref="ConsentPolicy"/> decides on). Kept without expiry: forgetting an opt-out is exactly
/// how a resync re-subscribes people. Erasing a contact deletes its entry.
/// </summary>
public sealed record ContactEntry
{
    public required string Key { get; init; }
    public string? Email { get; init; }
    public bool KnownInTarget { get; init; }
    /// <summary>
    /// The relay's own upsert created it, so the target holds no status of its own to keep: the
    /// customer phase of a full sync creates the contact, the subscriber phase still gives it the
    /// shop's status. False for contacts the target reported (a read by address, pull-back).
    /// </summary>
    public bool CreatedByRelay { get; init; }
    public ConsentSide? Shop { get; init; }
    public ConsentSide? Target { get; init; }
    public DateTimeOffset? HardBouncedAt { get; init; }
}

/// <summary>
/// Whose knowledge a ledger holds: one shop and one target account. What the relay knows about a
/// contact in one marketing system says nothing about another, so switching the shop's target (or
/// account) starts from a clean ledger instead of skipping writes the new target never got.
/// </summary>
public sealed record LedgerScope(string ShopKey, string Target)
{
    /// <summary>kind, base URL and the account's first credential (the provider's first credential: a consumer key, an account number): identifiers, never the secret.</summary>
    public static LedgerScope For(string shopKey, Targets.TargetAccount account, string? accountIdentifier) =>
        new(shopKey, ContactLedger.Hash($"{account.Kind.ToLowerInvariant()}|{account.BaseUrl}|{accountIdentifier}")[..12]);

    public string Item(string name) => StoreKeys.ShopItem(ShopKey, $"{Target}:{name}");
}

/// <summary>
/// Per-shop, per-target store of <see cref="ContactEntry"/>, keyed by a hash of the unique key (keys can be
/// addresses, and store keys show up in tooling), with two small indexes: by e-mail, because targets asked by
/// address and bounces name only the address, and by shop record, because a platform's delete event may name only
/// the id. Read-modify-write is not atomic: two events for one contact handled at the same instant
/// can lose one side's time stamp, never an opt-out sent to the target.
/// </summary>
public sealed class ContactLedger(IRelayStore store)
{
    private static string EntryKey(LedgerScope scope, string key) => scope.Item("contact:" + Hash(key));
    private static string EmailKey(LedgerScope scope, string email) => scope.Item("contact-email:" + Hash(email.Trim().ToLowerInvariant()));
    private static string RecordKey(LedgerScope scope, ShopRecordKind kind, string id) => RecordKeyOfHash(scope, kind, Hash(id));
    private static string RecordKeyOfHash(LedgerScope scope, ShopRecordKind kind, string hash) => scope.Item($"contact-record:{kind}:{hash}");
    private static string RecordIndexKey(LedgerScope scope, ShopRecordKind kind) => scope.Item($"contact-records:{kind}");

    public async Task<ContactEntry?> GetAsync(LedgerScope scope, string key) =>
        await store.GetAsync(EntryKey(scope, key)) is { } json ? JsonSerializer.Deserialize<ContactEntry>(json, JsonDefaults.Options) : null;

    public async Task<ContactEntry?> FindByEmailAsync(LedgerScope scope, string email) =>
        await store.GetAsync(EmailKey(scope, email)) is { } key ? await GetAsync(scope, key) : null;

    public async Task<ContactEntry?> FindByRecordAsync(LedgerScope scope, ShopRecordKind kind, string id) =>
        await store.GetAsync(RecordKey(scope, kind, id)) is { } key ? await GetAsync(scope, key) : null;

    /// <summary>The known entries of several contacts in one store round trip (a full-sync page), by key.</summary>
    public async Task<IReadOnlyDictionary<string, ContactEntry>> GetManyAsync(LedgerScope scope, IReadOnlyCollection<string> keys)
    {
        var distinct = keys.Distinct(StringComparer.Ordinal).ToList();
        var values = await store.GetManyAsync(distinct.Select(k => EntryKey(scope, k)).ToList());
        var found = new Dictionary<string, ContactEntry>(distinct.Count, StringComparer.Ordinal);
        for (var i = 0; i < distinct.Count; i++)
            if (values[i] is { } json) found[distinct[i]] = JsonSerializer.Deserialize<ContactEntry>(json, JsonDefaults.Options)!;
        return found;
    }

    /// <summary>An entry with its indexes, written as one store step.</summary>
    public Task SaveAsync(LedgerScope scope, ContactEntry entry, ShopRecord? record = null) => SaveManyAsync(scope, [(entry, record)]);

    /// <summary>
    /// Several entries with their indexes in one round trip (a full-sync page): the same as saving them
    /// one by one in this order, so a contact that comes twice ends with its later entry.
    /// </summary>
    public Task SaveManyAsync(LedgerScope scope, IReadOnlyList<(ContactEntry Entry, ShopRecord? Record)> saves)
    {
        var values = new List<KeyValuePair<string, string>>(saves.Count * 3);
        var linked = new Dictionary<ShopRecordKind, List<string>>();
        foreach (var (entry, record) in saves)
        {
            values.Add(new(EntryKey(scope, entry.Key), JsonSerializer.Serialize(entry, JsonDefaults.Options)));
            if (entry.Email is { Length: > 0 } email) values.Add(new(EmailKey(scope, email), entry.Key));
            if (record is null) continue;
            values.Add(new(RecordKey(scope, record.Kind, record.Id), entry.Key));
            if (!linked.TryGetValue(record.Kind, out var hashes)) linked[record.Kind] = hashes = [];
            hashes.Add(Hash(record.Id));
        }
        return Task.WhenAll(linked.Select(l => store.AddToIndexAsync(RecordIndexKey(scope, l.Key), l.Value)).Prepend(store.SetManyAsync(values)));
    }

    public async Task DeleteAsync(LedgerScope scope, ContactEntry entry, ShopRecordKind? kind = null, string? recordId = null)
    {
        await store.DeleteAsync(EntryKey(scope, entry.Key));
        if (entry.Email is { Length: > 0 } email) await store.DeleteAsync(EmailKey(scope, email));
        if (kind is { } k && recordId is not null) await ForgetRecordAsync(scope, k, Hash(recordId));
    }

    /// <summary>
    /// The shop records of one kind the ledger links to a contact, as (hash of the record id, contact key):
    /// reconciliation compares them with the ids the shop still has. Read from the kind's index set, not a
    /// keyspace scan, which would walk every dedup key of a busy relay and stall its Redis.
    /// </summary>
    public async Task<IReadOnlyList<(string RecordHash, string Key)>> ListRecordsAsync(LedgerScope scope, ShopRecordKind kind)
    {
        await IndexLegacyRecordsAsync(scope, kind);
        var hashes = await store.ListIndexAsync(RecordIndexKey(scope, kind));
        var result = new List<(string, string)>(hashes.Count);
        foreach (var chunk in hashes.Chunk(1000))
        {
            var keys = await store.GetManyAsync(chunk.Select(h => RecordKeyOfHash(scope, kind, h)).ToList());
            for (var i = 0; i < chunk.Length; i++)
                if (keys[i] is { } key) result.Add((chunk[i], key));
                else await store.RemoveFromIndexAsync(RecordIndexKey(scope, kind), chunk[i]); // its link was deleted half-way
        }
        return result;
    }

    /// <summary>Links written by a relay from before the index set: one scan per scope and kind, once.</summary>
    private async Task IndexLegacyRecordsAsync(LedgerScope scope, ShopRecordKind kind)
    {
        var movedKey = scope.Item($"contact-records-indexed:{kind}");
        if (await store.GetAsync(movedKey) is not null) return;
        var prefix = RecordKeyOfHash(scope, kind, "");
        var legacy = await store.ListKeysAsync(prefix);
        foreach (var chunk in legacy.Chunk(1000))
            await store.AddToIndexAsync(RecordIndexKey(scope, kind), chunk.Select(k => k[prefix.Length..]).ToList());
        await store.SetAsync(movedKey, "1");
    }

    /// <summary>Drops the link of a record that no longer exists in the shop; the contact's entry (and its opt-out) stays.</summary>
    public async Task ForgetRecordAsync(LedgerScope scope, ShopRecordKind kind, string recordHash)
    {
        await store.DeleteAsync(RecordKeyOfHash(scope, kind, recordHash));
        await store.RemoveFromIndexAsync(RecordIndexKey(scope, kind), recordHash);
    }

    /// <summary>The hash under which a record id is indexed (see <see cref="ListRecordsAsync"/>).</summary>
    public static string RecordHash(string id) => Hash(id);

    internal static string Hash(string value) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(value)))[..32];
}

/// <summary>
/// What the relay itself just wrote into a shop (an opt-out from pull-back), remembered briefly so
/// that the shop's resulting webhook is acknowledged and not forwarded back to the target. Keyed by
/// shop, address and state: a different change of the same person still goes through.
/// </summary>
public sealed class EchoSuppression(IRelayStore store)
{
    /// <summary>Long enough for a webhook that waits in a shop's queue and our retry set; short enough that a real change a day later is not mistaken for an echo.</summary>
    public static readonly TimeSpan Window = TimeSpan.FromMinutes(30);

    private static string Key(string shopKey, string email, ConsentState state) =>
        StoreKeys.ShopItem(shopKey, $"echo:{state}:{Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(email.Trim().ToLowerInvariant())))[..32]}");

    public Task MarkAsync(string shopKey, string email, ConsentState state) => store.SetAsync(Key(shopKey, email, state), "1", Window);

    public async Task<bool> IsEchoAsync(string shopKey, string email, ConsentState state) => await store.GetAsync(Key(shopKey, email, state)) is not null;
}

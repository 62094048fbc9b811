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
    /// shop's status. False for contacts the target reported (SARE's answer, pull-back).
    /// </summary>
    public bool CreatedByRelay { get; init; }
    public ConsentSide? Shop { get; init; }
    public ConsentSide? Target { get; init; }
    public DateTimeOffset? HardBouncedAt { get; init; }
}

/// <summary>
/// Per-shop store of <see cref="ContactEntry"/>, keyed by a hash of the unique key (keys can be
/// addresses, and store keys show up in tooling), with two small indexes: by e-mail, because SARE and
/// bounces name only the address, and by shop record, because Shopware's customer.deleted names only
/// the id. Read-modify-write is not atomic: two events for one contact handled at the same instant
/// can lose one side's time stamp, never an opt-out sent to the target.
/// </summary>
public sealed class ContactLedger(IRelayStore store)
{
    private static string EntryKey(string shopKey, string key) => StoreKeys.ShopItem(shopKey, "contact:" + Hash(key));
    private static string EmailKey(string shopKey, string email) => StoreKeys.ShopItem(shopKey, "contact-email:" + Hash(email.Trim().ToLowerInvariant()));
    private static string RecordKey(string shopKey, ShopRecordKind kind, string id) => StoreKeys.ShopItem(shopKey, $"contact-record:{kind}:{Hash(id)}");

    public async Task<ContactEntry?> GetAsync(string shopKey, string key) =>
        await store.GetAsync(EntryKey(shopKey, key)) is { } json ? JsonSerializer.Deserialize<ContactEntry>(json, JsonDefaults.Options) : null;

    public async Task<ContactEntry?> FindByEmailAsync(string shopKey, string email) =>
        await store.GetAsync(EmailKey(shopKey, email)) is { } key ? await GetAsync(shopKey, key) : null;

    public async Task<ContactEntry?> FindByRecordAsync(string shopKey, ShopRecordKind kind, string id) =>
        await store.GetAsync(RecordKey(shopKey, kind, id)) is { } key ? await GetAsync(shopKey, key) : null;

    public async Task SaveAsync(string shopKey, ContactEntry entry, ShopRecord? record = null)
    {
        await store.SetAsync(EntryKey(shopKey, entry.Key), JsonSerializer.Serialize(entry, JsonDefaults.Options));
        if (entry.Email is { Length: > 0 } email) await store.SetAsync(EmailKey(shopKey, email), entry.Key);
        if (record is not null) await store.SetAsync(RecordKey(shopKey, record.Kind, record.Id), entry.Key);
    }

    public async Task DeleteAsync(string shopKey, ContactEntry entry, ShopRecordKind? kind = null, string? recordId = null)
    {
        await store.DeleteAsync(EntryKey(shopKey, entry.Key));
        if (entry.Email is { Length: > 0 } email) await store.DeleteAsync(EmailKey(shopKey, email));
        if (kind is { } k && recordId is not null) await store.DeleteAsync(RecordKey(shopKey, k, recordId));
    }

    private static string Hash(string value) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(value)))[..32];
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

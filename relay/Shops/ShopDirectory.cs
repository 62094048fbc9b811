using System.Globalization;
using System.Text.Json;
using Relay.Storage;

namespace Relay.Shops;

public enum ShopStatus { Pending, Active, Inactive, NeedsReinstall, Deleted }

/// <summary>
/// What every part of the relay needs to know about a tenant, whatever its platform. The platform
/// folders keep their own credentials beside it (encrypted); this is the shared, harmless part.
/// </summary>
/// <param name="KeptUntil">
/// A <see cref="ShopStatus.Deleted"/> shop whose platform asked to keep its user data for a reinstall:
/// the <see cref="KeptShopSweep"/> forgets it once this has passed. Null: nothing is kept for it.
/// </param>
public sealed record ShopInfo(
    string Platform,
    string ShopId,
    string Url,
    ShopStatus Status,
    DateTimeOffset InstalledAt,
    DateTimeOffset UpdatedAt,
    DateTimeOffset? LastEventAt = null,
    string? StatusReason = null,
    DateTimeOffset? KeptUntil = null)
{
    public string Key => ShopKeys.Of(Platform, ShopId);
}

public static class ShopKeys
{
    public static string Of(string platform, string shopId) => $"{platform}:{shopId}";
}

/// <summary>The list of tenants and their shared record. Platform folders write it; everyone reads it.</summary>
public sealed class ShopDirectory(IRelayStore store)
{
    /// <summary>The set of shop keys. The schedulers list shops every tick; a key scan there would walk every dedup key.</summary>
    private const string IndexKey = "relay:shop-index";
    /// <summary>Before the set, each shop had a key under this prefix; <see cref="ListAsync"/> moves them into the set once.</summary>
    private const string LegacyIndexPrefix = "relay:shops:";
    private const string LegacyMovedKey = "relay:shop-index:legacy-moved";
    private volatile bool _legacyMoved;

    private static string LastEventKey(string shopKey) => StoreKeys.ShopItem(shopKey, "last-event-at");

    public async Task<ShopInfo?> GetAsync(string shopKey)
    {
        // Both keys carry the shop's hash tag: one MGET. A record saved before the separate key keeps its own value.
        var values = await store.GetManyAsync([StoreKeys.ShopItem(shopKey, "info"), LastEventKey(shopKey)]);
        if (values[0] is not { } json) return null;
        var shop = JsonSerializer.Deserialize<ShopInfo>(json, JsonDefaults.Options)!;
        return values[1] is { } lastEvent
            ? shop with { LastEventAt = DateTimeOffset.Parse(lastEvent, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind) }
            : shop;
    }

    /// <summary>
    /// When the shop last sent an event, in a key of its own rather than a read-modify-write of the record:
    /// a worker noting activity must never write back a status that an uninstall or a deactivation changed
    /// meanwhile (it would re-activate the shop, or bring back one that was forgotten).
    /// </summary>
    public Task NoteEventAsync(string shopKey, DateTimeOffset at) =>
        store.SetAsync(LastEventKey(shopKey), at.ToString("O", CultureInfo.InvariantCulture));

    public async Task SaveAsync(ShopInfo shop)
    {
        await store.SetAsync(StoreKeys.ShopItem(shop.Key, "info"), JsonSerializer.Serialize(shop, JsonDefaults.Options));
        await store.AddToIndexAsync(IndexKey, shop.Key);
    }

    public async Task<IReadOnlyList<ShopInfo>> ListAsync()
    {
        await MoveLegacyIndexAsync();
        var keys = await store.ListIndexAsync(IndexKey);
        var shops = new List<ShopInfo>(keys.Count);
        foreach (var key in keys)
            if (await GetAsync(key) is { } shop)
                shops.Add(shop);
        return shops; // the index lists keys in ordinal order
    }

    /// <summary>Shops installed by a relay from before the index set: one scan, once per store.</summary>
    private async Task MoveLegacyIndexAsync()
    {
        if (_legacyMoved) return;
        if (await store.GetAsync(LegacyMovedKey) is null)
        {
            foreach (var legacy in await store.ListKeysAsync(LegacyIndexPrefix))
            {
                await store.AddToIndexAsync(IndexKey, legacy[LegacyIndexPrefix.Length..]);
                await store.DeleteAsync(legacy);
            }
            await store.SetAsync(LegacyMovedKey, "1");
        }
        _legacyMoved = true;
    }

    /// <summary>Uninstall without kept user data: every key of the shop and its queued work goes.</summary>
    public async Task ForgetAsync(string shopKey, int partitions)
    {
        await store.PurgeShopAsync(shopKey, partitions);
        // A synced shop owns a ledger key per contact; one round trip per key would keep the uninstall
        // webhook waiting for as many round trips as the shop has contacts. Chunks go out pipelined.
        foreach (var chunk in (await store.ListKeysAsync(StoreKeys.Shop(shopKey))).Chunk(500))
            await Task.WhenAll(chunk.Select(store.DeleteAsync));
        await store.RemoveFromIndexAsync(IndexKey, shopKey);
    }
}

using Relay.Shops;
using Relay.Storage;
using Relay.Targets;

namespace Relay.Settings;

/// <summary>
/// Systems that take one shop only (<see cref="ITargetProvider.ExclusiveSystem"/>: MiniCRM allows one
/// webshop per system, and a second would overwrite the first one's orders). A binding is a key holding
/// the shop that has the system, taken with SET NX, so of two shops saving at once exactly one gets it,
/// on Redis and on the embedded store alike. A shop that was uninstalled gives its systems up.
/// </summary>
public sealed class TargetBindings(IRelayStore store, ShopDirectory shops, TargetFactory targets)
{
    private static string Key(string system) => $"{StoreKeys.Prefix}binding:{system}";

    public string? SystemOf(TargetSettings? target, string shopKey) =>
        target is not null && targets.Provider(target.Kind) is { } provider ? provider.ExclusiveSystem(target.ToAccount(shopKey)) : null;

    /// <summary>Binds the shop's new target and frees its old one. Null when bound; else the other shop's key.</summary>
    public async Task<string?> MoveBindingAsync(string shopKey, TargetSettings? previous, TargetSettings? next)
    {
        var before = SystemOf(previous, shopKey);
        var after = SystemOf(next, shopKey);
        if (after is not null && after != before && await ClaimAsync(after, shopKey) is { } other) return other;
        if (before is not null && before != after) await store.ReleaseLeaseAsync(Key(before), shopKey);
        return null;
    }

    private async Task<string?> ClaimAsync(string system, string shopKey)
    {
        for (var attempt = 0; attempt < 2; attempt++)
        {
            if (await store.SetIfAbsentAsync(Key(system), shopKey)) return null;
            var holder = await store.GetAsync(Key(system));
            if (holder is null) continue;
            if (holder == shopKey) return null;
            // A holder that is gone (uninstalled, forgotten) no longer has the system: released only if it still holds it.
            if (await shops.GetAsync(holder) is { Status: not ShopStatus.Deleted }) return holder;
            await store.ReleaseLeaseAsync(Key(system), holder);
        }
        return await store.GetAsync(Key(system)) is { } last && last != shopKey ? last : null;
    }
}

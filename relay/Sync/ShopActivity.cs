using Relay.Shops;

namespace Relay.Sync;

/// <summary>
/// Keeps ShopInfo.LastEventAt, in the worker rather than on the webhook's hot path. Written at
/// most once a minute per shop, which also keeps the read-modify-write of the shared record (the
/// platform folders save status changes into it) rare.
/// </summary>
public sealed class ShopActivity(ShopDirectory directory)
{
    public static readonly TimeSpan Resolution = TimeSpan.FromMinutes(1);

    public async Task TouchAsync(string shopKey, DateTimeOffset at)
    {
        if (await directory.GetAsync(shopKey) is not { } shop) return;
        if (shop.LastEventAt is { } last && at - last < Resolution) return;
        await directory.SaveAsync(shop with { LastEventAt = at });
    }
}

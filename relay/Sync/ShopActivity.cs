using Relay.Shops;

namespace Relay.Sync;

/// <summary>
/// Keeps ShopInfo.LastEventAt, in the worker rather than on the webhook's hot path, at most once a
/// minute per shop (<see cref="ShopDirectory.NoteEventAsync"/>).
/// </summary>
public sealed class ShopActivity(ShopDirectory directory)
{
    public static readonly TimeSpan Resolution = TimeSpan.FromMinutes(1);

    public async Task TouchAsync(string shopKey, DateTimeOffset at)
    {
        if (await directory.GetAsync(shopKey) is not { } shop) return;
        if (shop.LastEventAt is { } last && at - last < Resolution) return;
        await directory.NoteEventAsync(shopKey, at);
    }
}

namespace Relay.Orders;

/// <summary>
/// The shop side of the order sync, one per platform that has orders (<see cref="Platforms.IPlatform.Orders"/>).
/// Failures are the platform's <see cref="Platforms.ShopApiException"/>s, sorted by <see cref="Sync.SyncFailures"/>.
/// </summary>
public interface IShopOrders
{
    /// <summary>The statuses an order can have in this shop, for the merchant to pair.</summary>
    Task<IReadOnlyList<OrderStatus>> ListStatusesAsync(string shopKey, CancellationToken ct);

    /// <summary>One order as the shop holds it now; null when it no longer exists.</summary>
    Task<ShopOrder?> GetAsync(string shopKey, string orderId, CancellationToken ct);

    /// <summary>
    /// Orders created or changed at or after <paramref name="since"/> (null: all), a page at a time in a
    /// stable order. <paramref name="position"/> is null for the first page, else a <see cref="OrderPage.Next"/>.
    /// </summary>
    Task<OrderPage> ReadChangedAsync(string shopKey, DateTimeOffset? since, string? position, CancellationToken ct);
}

using Relay.Targets;

namespace Relay.Orders;

/// <summary>
/// A target that keeps orders (a CRM's webshop or orders module), implemented by its <see cref="ITarget"/>
/// next to the contact calls. Failures are the target exceptions, as for contacts.
/// </summary>
public interface IOrderTarget
{
    /// <summary>The statuses an order can have in the target, for the merchant to pair.</summary>
    Task<IReadOnlyList<OrderStatus>> ListOrderStatusesAsync(CancellationToken ct);

    /// <summary>
    /// Creates the order (<paramref name="sent"/> null) or brings the one created before to
    /// <paramref name="status"/>. Returns what the target now holds, which the relay keeps as the next
    /// call's <paramref name="sent"/>: an order is created once and updated after.
    /// </summary>
    Task<SentOrder> SendOrderAsync(ShopOrder order, string status, SentOrder? sent, CancellationToken ct);
}

/// <summary>An order as the relay last left it in the target: its id there and its status there.</summary>
public sealed record SentOrder(string TargetId, string Status);

/// <summary>
/// The target created the order but could not take it all the way to its status: <see cref="Sent"/> is
/// what it holds, for the ledger, so the retry only moves it on instead of creating it again.
/// </summary>
public sealed class OrderPartlySentException(SentOrder sent, Exception? inner = null)
    : Exception($"The order was created (id {sent.TargetId}, {sent.Status}) but not yet taken to its status.", inner)
{
    public SentOrder Sent { get; } = sent;
}

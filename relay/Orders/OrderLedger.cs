using System.Text.Json;
using Relay.Storage;
using Relay.Sync;

namespace Relay.Orders;

/// <summary>
/// What the relay left in the target for each order of a shop, per target account (<see cref="LedgerScope"/>):
/// the target's id and status, so an order is created once and only changes are sent after. Kept without
/// expiry. <see cref="OrderEntry.CreatingSince"/> marks a create whose answer is not in yet: a create
/// cannot be repeated safely (the target has no key for it), so an attempt that finds the mark stops.
/// </summary>
public sealed record OrderEntry(string? TargetId, string? Status, DateTimeOffset? CreatingSince = null)
{
    public SentOrder? Sent => TargetId is { } id && Status is { } status ? new SentOrder(id, status) : null;
}

public sealed class OrderLedger(IRelayStore store)
{
    private static string Key(LedgerScope scope, string orderId) => scope.Item("order:" + ContactLedger.Hash(orderId));

    public async Task<OrderEntry?> GetAsync(LedgerScope scope, string orderId) =>
        await store.GetAsync(Key(scope, orderId)) is { } json ? JsonSerializer.Deserialize<OrderEntry>(json, JsonDefaults.Options) : null;

    /// <summary>Entries of a page of orders in one round trip, by order id.</summary>
    public async Task<Dictionary<string, OrderEntry>> GetManyAsync(LedgerScope scope, IReadOnlyList<string> orderIds)
    {
        var found = new Dictionary<string, OrderEntry>(StringComparer.Ordinal);
        if (orderIds.Count == 0) return found;
        var values = await store.GetManyAsync(orderIds.Select(id => Key(scope, id)).ToList());
        for (var i = 0; i < orderIds.Count; i++)
            if (values[i] is { } json) found[orderIds[i]] = JsonSerializer.Deserialize<OrderEntry>(json, JsonDefaults.Options)!;
        return found;
    }

    public Task SaveAsync(LedgerScope scope, string orderId, OrderEntry entry) =>
        store.SetAsync(Key(scope, orderId), JsonSerializer.Serialize(entry, JsonDefaults.Options));

    /// <summary>Marks a create as under way; false when an earlier attempt's mark is still there.</summary>
    public Task<bool> MarkCreatingAsync(LedgerScope scope, string orderId, DateTimeOffset now) =>
        store.SetIfAbsentAsync(Key(scope, orderId), JsonSerializer.Serialize(new OrderEntry(null, null, now), JsonDefaults.Options));

    public Task ForgetAsync(LedgerScope scope, string orderId) => store.DeleteAsync(Key(scope, orderId));
}

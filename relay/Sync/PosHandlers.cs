using System.Text.Json;
using Relay.Mapping;
using Relay.Orders;
using Relay.Pipeline;
using Relay.Storage;
using Relay.Targets;

namespace Relay.Sync;

/// <summary>
/// Books one queued shop order in the till. Already there: skipped. An article the till does not know:
/// the order waits (retried on the pipeline's schedule, then a dead letter with the reason, replayable).
/// A till that is down or slow: retried; the till refuses a second order with the same shop number, so a
/// retry after a lost answer never books it twice.
/// </summary>
public sealed class PosOrderHandler(PosSync sync, ActivityLog activity, TimeProvider time) : IQueueHandler
{
    public bool Handles(string kind) => kind == PosSync.OrderKind;

    public async Task HandleAsync(QueueItem item, CancellationToken ct)
    {
        var order = JsonSerializer.Deserialize<ShopOrder>(item.Event.Body, JsonDefaults.Options)
            ?? throw new PermanentFailureException("The queued order is empty.");
        var shopKey = item.Event.ShopKey;
        var (ctx, skip) = await sync.ContextAsync(shopKey);
        if (ctx is null) throw new PermanentFailureException($"Order {order.Number} not booked: {skip}");
        PosOrderOutcome outcome;
        try
        {
            outcome = await ctx.Till.PlaceOrderAsync(order, ctx.Settings.OrderOptions, ct);
        }
        catch (Exception e) when (e is TargetException or TargetConfigurationException)
        {
            var permanent = SyncFailures.IsPermanent(e);
            if (permanent) await sync.ClearWaitingAsync(shopKey, order.Number);
            else await sync.NoteWaitingAsync(shopKey, order.Number, SyncFailures.Describe(e));
            await LogAsync(shopKey, permanent ? ActivityOutcome.Failed : ActivityOutcome.Retrying,
                $"Order {order.Number} not booked in {ctx.Provider.DisplayName}: {SyncFailures.Describe(e)}", order);
            throw SyncFailures.ForPipeline(e);
        }
        switch (outcome.Status)
        {
            case PosOrderStatus.Created:
                await sync.ClearWaitingAsync(shopKey, order.Number);
                await LogAsync(shopKey, ActivityOutcome.Ok, $"Order {order.Number} booked in {ctx.Provider.DisplayName}{(outcome.TillReference is { } r ? $" as {r}" : "")}.", order);
                break;
            case PosOrderStatus.AlreadyThere:
                await sync.ClearWaitingAsync(shopKey, order.Number);
                await LogAsync(shopKey, ActivityOutcome.Skipped, $"Order {order.Number} is in {ctx.Provider.DisplayName} already; not booked again.", order);
                break;
            default:
                await sync.NoteWaitingAsync(shopKey, order.Number, outcome.Reason ?? "The till cannot take it yet.");
                await LogAsync(shopKey, ActivityOutcome.Retrying, $"Order {order.Number} waits: {outcome.Reason}", order);
                throw new PosOrderWaitingException($"Order {order.Number} waits: {outcome.Reason}");
        }
    }

    private Task LogAsync(string shopKey, ActivityOutcome outcome, string message, ShopOrder order) =>
        activity.AppendAsync(shopKey, new ActivityEntry(time.GetUtcNow(), "pos.order", outcome, message, ActivityLog.MaskEmail(order.Email), order.Number));
}

/// <summary>The till cannot take the order yet (an unknown article): retried on the schedule, then a dead letter with this reason.</summary>
public sealed class PosOrderWaitingException(string message) : Exception(message);

/// <summary>
/// A product the shop refused during a catalog run (a SKU that belongs to another shop product), written
/// again alone. Still refused: a dead letter with the shop's reason, replayed after the merchant fixed it.
/// </summary>
public sealed class PosProductHandler(PosSync sync, ActivityLog activity, TimeProvider time) : IQueueHandler
{
    public bool Handles(string kind) => kind == PosSync.ProductKind;

    public async Task HandleAsync(QueueItem item, CancellationToken ct)
    {
        var product = JsonSerializer.Deserialize<PosProduct>(item.Event.Body, JsonDefaults.Options)
            ?? throw new PermanentFailureException("The queued product is empty.");
        var (ctx, skip) = await sync.ContextAsync(item.Event.ShopKey);
        if (ctx is null) throw new PermanentFailureException($"Product {product.Sku} not written: {skip}");
        var outcome = (await ctx.Catalog.UpsertProductsAsync(ctx.ShopKey, [product], ctx.Settings.Overwrite, ctx.Settings.ManageStock, ct))[0];
        if (outcome.Rejected is { } reason)
        {
            await activity.AppendAsync(ctx.ShopKey, new ActivityEntry(time.GetUtcNow(), "pos.product", ActivityOutcome.Failed, $"Product {product.Sku} not written: {reason}", EventId: product.Sku));
            throw new PermanentFailureException($"Product {product.Sku} not written: {reason}");
        }
        await activity.AppendAsync(ctx.ShopKey, new ActivityEntry(time.GetUtcNow(), "pos.product", ActivityOutcome.Ok,
            $"Product {product.Sku} {(outcome.Created ? "created" : "updated")} in the shop.", EventId: product.Sku));
    }
}

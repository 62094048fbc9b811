using Relay.Storage;
using System.Text.Json;
using Relay.Mapping;
using Relay.Pipeline;
using Relay.Sync;

namespace Relay.Platforms.Shoper;

/// <summary>
/// Queued Shoper webhooks → target. The kind carries the event name ("shoper.webhook:subscriber.edit");
/// the body is the resource object. Creates and edits are re-read from the REST API, so the target
/// gets what the shop holds now whatever order deliveries arrive in; a record the shop no longer has
/// was deleted. A deleted subscription counts as an unsubscribe; a deleted client is erased when the
/// merchant enabled it. Kinds without an event name (queued before the name was kept) are read by
/// their id field alone.
/// </summary>
public sealed class ShoperWebhookForwarder(SyncContexts contexts, ContactSync sync, ShopActivity shops, Orders.OrderSync orders) : IQueueHandler
{
    public bool Handles(string kind) => kind == ShoperEndpoints.WebhookKind || kind.StartsWith(ShoperEndpoints.WebhookKind + ":", StringComparison.Ordinal);

    private static bool IsOrderEvent(string? name) => name?.StartsWith("order.", StringComparison.Ordinal) == true;

    private static string? EventOf(string kind) => kind.Length > ShoperEndpoints.WebhookKind.Length ? kind[(ShoperEndpoints.WebhookKind.Length + 1)..] : null;

    public async Task HandleAsync(QueueItem item, CancellationToken ct)
    {
        var evt = item.Event;
        await shops.TouchAsync(evt.ShopKey, evt.AcceptedAt);
        JsonElement body;
        try
        {
            using var doc = JsonDocument.Parse(evt.Body);
            body = doc.RootElement.Clone();
        }
        catch (JsonException)
        {
            throw new PermanentFailureException("The queued Shoper webhook is not JSON.");
        }
        try
        {
            var (ctx, skip) = await contexts.ForShopAsync(evt.ShopKey);
            if (ctx is null)
            {
                await sync.LogAsync(evt.ShopKey, "shoper", ActivityOutcome.Skipped, skip!, null, evt.EventId);
                return;
            }
            ctx.ThrowIfPaused(IsOrderEvent(EventOf(evt.Kind)) ? ShopFeature.ReadOrders : ShopFeature.ReadContacts);
            await ForwardAsync(ctx, body, evt, ct);
        }
        catch (Exception e) when (e is not PermanentFailureException && SyncFailures.IsPermanent(e))
        {
            await sync.LogAsync(evt.ShopKey, "shoper", ActivityOutcome.Failed, SyncFailures.Describe(e), null, evt.EventId);
            throw SyncFailures.ForPipeline(e);
        }
    }

    private async Task ForwardAsync(SyncContext ctx, JsonElement body, InboxEvent evt, CancellationToken ct)
    {
        var eventName = EventOf(evt.Kind);
        var email = JsonFields.Str(body, "email");
        var subscriberId = JsonFields.Str(body, "subscriber_id");
        var userId = JsonFields.Str(body, "user_id");
        var isSubscriber = eventName?.StartsWith("subscriber.", StringComparison.Ordinal) ?? subscriberId is not null;
        var isClient = eventName?.StartsWith("client.", StringComparison.Ordinal) ?? (subscriberId is null && userId is not null);
        var deleted = eventName?.EndsWith(".delete", StringComparison.Ordinal) == true;

        // order.create/edit/paid/status/delete: the body's keys are camelCase unlike REST, but order_id is there;
        // the order is read again from REST (lines, status, currency as the shop holds them now).
        if (IsOrderEvent(eventName))
        {
            if ((JsonFields.Str(body, "order_id") ?? JsonFields.Str(body, "orderId")) is not { } orderId)
                throw new PermanentFailureException($"A Shoper {eventName} webhook without order_id.");
            if (deleted)
            {
                await sync.LogAsync(ctx, Orders.OrderSync.ActivityKind, ActivityOutcome.Skipped,
                    $"Order {orderId} was deleted in the shop; what the target has of it stays (its status there is the last one sent).", email, evt.EventId);
                await orders.ForgetLiveAsync(ctx, orderId, email, evt.EventId, ct);
            }
            else
                await orders.SendLiveAsync(ctx, orderId, evt.EventId, ct);
            return;
        }

        if (isSubscriber && subscriberId is not null)
        {
            var records = deleted ? [] : await ctx.Shop.GetAsync(ctx.ShopKey, ShopRecordKind.Subscriber, [subscriberId], ct);
            if (records.Count == 0)
            {
                if (email is null) throw new PermanentFailureException("A Shoper subscriber webhook without e-mail named a subscriber the shop no longer has.");
                records = [new ShopRecord
                {
                    Kind = ShopRecordKind.Subscriber,
                    Id = subscriberId,
                    Fields = new Dictionary<string, string?> { [ShopFields.Id] = subscriberId, [ShopFields.Email] = email },
                    Consent = new ShopConsent(ConsentState.Unsubscribed, evt.AcceptedAt),
                }];
            }
            await sync.PushAsync(ctx, records, SyncMode.Live, evt.EventId, ct);
        }
        else if (isClient && userId is not null)
        {
            var records = deleted ? [] : await ctx.Shop.GetAsync(ctx.ShopKey, ShopRecordKind.Customer, [userId], ct);
            if (records.Count == 0) await sync.EraseAsync(ctx, ShopRecordKind.Customer, userId, email, evt.EventId, ct);
            else await sync.PushAsync(ctx, records, SyncMode.Live, evt.EventId, ct);
        }
        else
            await sync.LogAsync(ctx, eventName ?? "shoper", ActivityOutcome.Skipped, "The relay does not forward this webhook (neither a subscriber nor a client).", null, evt.EventId);
    }
}

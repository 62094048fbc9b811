using Relay.Storage;
using System.Text;
using System.Text.Json;
using Relay.Mapping;
using Relay.Pipeline;
using Relay.Sync;

namespace Relay.Platforms.Shopware;

/// <summary>
/// Queued Shopware webhooks → target. Entity-written events carry only ids and newsletter events
/// may carry neither address nor status (protocol §3.3/§3.4), so every record is re-read from the
/// Admin API: what the target gets is what the shop holds now, whatever order events arrive in.
/// A re-read alone does not order two deliveries in flight at once (the older one may have read before
/// the change and write after the newer one), so sequenced deliveries (WEBHOOKS_REWORK) also go through
/// <see cref="OrderedWrites"/>, per customer and per newsletter recipient.
/// </summary>
public sealed class ShopwareWebhookForwarder(
    SyncContexts contexts, ContactSync sync, ShopActivity shops, OrderedWrites ordered, Orders.OrderSync orders) : IQueueHandler
{
    public bool Handles(string kind) => kind == ShopwareWebhooks.InboxKind;

    public async Task HandleAsync(QueueItem item, CancellationToken ct)
    {
        var evt = item.Event;
        await shops.TouchAsync(evt.ShopKey, evt.AcceptedAt);
        var envelope = ShopwareWebhooks.Parse(Encoding.UTF8.GetBytes(evt.Body))
            ?? throw new PermanentFailureException("The queued Shopware webhook is not a webhook body.");
        try
        {
            var (ctx, skip) = await contexts.ForShopAsync(evt.ShopKey);
            if (ctx is null)
            {
                await sync.LogAsync(evt.ShopKey, envelope.Event, ActivityOutcome.Skipped, skip!, null, evt.EventId);
                return;
            }
            // Every event is re-read from the shop: without the permission to read it, it waits in the queue.
            ctx.ThrowIfPaused(IsOrderEvent(envelope.Event) ? ShopFeature.ReadOrders : ShopFeature.ReadContacts);
            if (evt.Sequence is not { } sequence)
            {
                await ForwardAsync(ctx, envelope, evt.EventId, _ => true, ct);
                return;
            }
            await using var turn = await ordered.BeginAsync(evt.ShopKey, sequence, OrderingKeys(envelope));
            if (turn.Outdated.Count > 0)
                await sync.LogAsync(ctx, envelope.Event, ActivityOutcome.Skipped,
                    $"Not sent: this change of the record, or a newer one, reached the target already (delivery {sequence} came late).", null, evt.EventId);
            await ForwardAsync(ctx, envelope, evt.EventId, turn.IsCurrent, ct);
            await turn.CompleteAsync();
        }
        catch (Exception e) when (e is not PermanentFailureException && SyncFailures.IsPermanent(e))
        {
            await sync.LogAsync(evt.ShopKey, envelope.Event, ActivityOutcome.Failed, SyncFailures.Describe(e), null, evt.EventId);
            throw SyncFailures.ForPipeline(e);
        }
    }

    /// <summary>The records an event changes, as ordering keys: the entity name and id, as Shopware names them.</summary>
    private static IEnumerable<string> OrderingKeys(ShopwareWebhookEnvelope envelope)
    {
        var payload = envelope.Payload;
        switch (envelope.Event)
        {
            case "customer.written":
            case "customer.deleted":
                return WrittenIds(payload, "customer").Select(w => CustomerKey(w.Id));
            case "checkout.customer.deleted":
                return Entity(payload, "customer") is { } deleted && JsonFields.Str(deleted, "id") is { } id ? [CustomerKey(id)] : [];
            case "checkout.customer.register":
            case "checkout.customer.double_opt_in_registration":
            case "checkout.customer.guest_register":
                return IdOf(Entity(payload, "customer")) is { } customerId ? [CustomerKey(customerId)] : [];
            case "newsletter.register":
            case "newsletter.confirm":
            case "newsletter.unsubscribe":
                return IdOf(Entity(payload, "newsletterRecipient")) is { } recipientId ? [RecipientKey(recipientId)] : [];
            default:
                return [];
        }
    }

    private static bool IsOrderEvent(string name) =>
        name is "checkout.order.placed" or "order.written" || name.StartsWith("state_enter.order", StringComparison.Ordinal);

    private static string CustomerKey(string id) => "customer:" + id;
    private static string RecipientKey(string id) => "newsletter_recipient:" + id;

    /// <param name="current">Whether this delivery may still write the record with that ordering key.</param>
    private async Task ForwardAsync(SyncContext ctx, ShopwareWebhookEnvelope envelope, string eventId, Func<string, bool> current, CancellationToken ct)
    {
        var payload = envelope.Payload;
        switch (envelope.Event)
        {
            case "customer.written":
            case "customer.deleted":
                var writes = WrittenIds(payload, "customer").Where(w => current(CustomerKey(w.Id))).ToList();
                foreach (var id in writes.Where(w => w.Deleted).Select(w => w.Id))
                    await sync.EraseAsync(ctx, ShopRecordKind.Customer, id, null, eventId, ct);
                var changed = writes.Where(w => !w.Deleted).Select(w => w.Id).Distinct().ToList();
                if (changed.Count > 0) await PushAsync(ctx, ShopRecordKind.Customer, changed, eventId, ct);
                break;

            case "checkout.customer.deleted":
                // The business event carries the customer as it was, address included (protocol §3.4).
                if (Entity(payload, "customer") is { } deleted && JsonFields.Str(deleted, "id") is { } deletedId && current(CustomerKey(deletedId)))
                    await sync.EraseAsync(ctx, ShopRecordKind.Customer, deletedId, JsonFields.Str(deleted, "email"), eventId, ct);
                break;

            case "checkout.customer.register":
            case "checkout.customer.double_opt_in_registration":
            case "checkout.customer.guest_register":
                if (IdOf(Entity(payload, "customer")) is { } customerId && current(CustomerKey(customerId)))
                    await PushAsync(ctx, ShopRecordKind.Customer, [customerId], eventId, ct);
                break;

            case "newsletter.register":
            case "newsletter.confirm":
            case "newsletter.unsubscribe":
                var recipient = Entity(payload, "newsletterRecipient");
                if (IdOf(recipient) is not { } recipientId)
                    throw new PermanentFailureException($"{envelope.Event} names no newsletter recipient id.");
                if (!current(RecipientKey(recipientId))) return;
                var records = await ctx.Shop.GetAsync(ctx.ShopKey, ShopRecordKind.Subscriber, [recipientId], ct);
                if (records.Count == 0 && envelope.Event == "newsletter.unsubscribe" && recipient is { } r && JsonFields.Str(r, "email") is { } email)
                    // Gone already (deleted right after unsubscribing): the event itself still says who and what.
                    records = [new ShopRecord
                    {
                        Kind = ShopRecordKind.Subscriber,
                        Id = recipientId,
                        Fields = new Dictionary<string, string?> { [ShopFields.Id] = recipientId, [ShopFields.Email] = email },
                        Consent = new ShopConsent(ConsentState.Unsubscribed, DateTimeOffset.FromUnixTimeSeconds(envelope.Timestamp)),
                    }];
                if (records.Count == 0)
                {
                    await sync.LogAsync(ctx, "consent", ActivityOutcome.Skipped, "The newsletter recipient no longer exists in the shop.", null, eventId);
                    return;
                }
                await sync.PushAsync(ctx, records, SyncMode.Live, eventId, ct);
                break;

            case "checkout.order.placed":
                if (IdOf(Entity(payload, "order")) is { } placedId)
                    await orders.SendLiveAsync(ctx, placedId, eventId, ct);
                break;

            case "order.written":
                foreach (var id in WrittenIds(payload, "order").Where(w => !w.Deleted).Select(w => w.Id).Distinct())
                    await orders.SendLiveAsync(ctx, id, eventId, ct);
                break;

            // An order or payment state entered (state_enter.order.state.completed, state_enter.order_transaction.state.paid…).
            case var stateEvent when stateEvent.StartsWith("state_enter.order", StringComparison.Ordinal):
                if (IdOf(Entity(payload, "order")) is { } changedId)
                    await orders.SendLiveAsync(ctx, changedId, eventId, ct);
                break;

            default:
                await sync.LogAsync(ctx, envelope.Event, ActivityOutcome.Skipped, "The relay does not forward this event.", null, eventId);
                break;
        }
    }

    private async Task PushAsync(SyncContext ctx, ShopRecordKind kind, IReadOnlyList<string> ids, string eventId, CancellationToken ct)
    {
        var records = await ctx.Shop.GetAsync(ctx.ShopKey, kind, ids, ct);
        if (records.Count == 0)
        {
            await sync.LogAsync(ctx, "contact", ActivityOutcome.Skipped, "The customer no longer exists in the shop.", null, eventId);
            return;
        }
        await sync.PushAsync(ctx, records, SyncMode.Live, eventId, ct);
    }

    /// <summary>Entries of one entity in an entity-written payload; its addresses and translations are other entities.</summary>
    private static IEnumerable<(string Id, bool Deleted)> WrittenIds(JsonElement payload, string entity)
    {
        if (payload.ValueKind != JsonValueKind.Array) yield break;
        foreach (var write in payload.EnumerateArray())
        {
            if (JsonFields.Str(write, "entity") != entity) continue;
            var id = write.TryGetProperty("primaryKey", out var pk) && pk.ValueKind == JsonValueKind.String ? pk.GetString() : null;
            if (id is null) continue;
            yield return (id, JsonFields.Str(write, "operation") == "delete");
        }
    }

    private static JsonElement? Entity(JsonElement payload, string name) =>
        payload.ValueKind == JsonValueKind.Object && payload.TryGetProperty(name, out var e) && e.ValueKind == JsonValueKind.Object ? e : null;

    /// <summary>Store-API encoding may strip "id" and leave only "_uniqueIdentifier" (protocol §3.4).</summary>
    private static string? IdOf(JsonElement? entity) =>
        entity is { } e ? JsonFields.Str(e, "id") ?? JsonFields.Str(e, "_uniqueIdentifier") : null;
}

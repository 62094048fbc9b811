using System.Text.Json;
using Relay.Mapping;
using Relay.Pipeline;
using Relay.Platforms.Shoper;

namespace Relay.Sync;

/// <summary>
/// Queued Shoper webhooks → target. The queue keeps only the body (the resource object; the event
/// name travelled in X-Webhook-Name and is not stored), so the kind of record is read from its id
/// field and its current state from the REST API: a subscriber or client the shop no longer has
/// was deleted. A deleted subscription counts as an unsubscribe; a deleted client is erased when
/// the merchant enabled it.
/// </summary>
public sealed class ShoperWebhookForwarder(SyncContexts contexts, ContactSync sync, ShopActivity shops) : IQueueHandler
{
    public bool Handles(string kind) => kind == ShoperEndpoints.WebhookKind;

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
        var email = JsonFields.Str(body, "email");
        if (JsonFields.Str(body, "subscriber_id") is { } subscriberId)
        {
            var records = await ctx.Shop.GetAsync(ctx.ShopKey, ShopRecordKind.Subscriber, [subscriberId], ct);
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
        else if (JsonFields.Str(body, "user_id") is { } userId)
        {
            var records = await ctx.Shop.GetAsync(ctx.ShopKey, ShopRecordKind.Customer, [userId], ct);
            if (records.Count == 0) await sync.EraseAsync(ctx, ShopRecordKind.Customer, userId, email, evt.EventId, ct);
            else await sync.PushAsync(ctx, records, SyncMode.Live, evt.EventId, ct);
        }
        else
            await sync.LogAsync(ctx, "shoper", ActivityOutcome.Skipped, "The relay does not forward this webhook (neither a subscriber nor a client).", null, evt.EventId);
    }
}

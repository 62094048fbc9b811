using System.Text;
using System.Text.Json;
using Relay.Mapping;
using Relay.Pipeline;
using Relay.Storage;
using Relay.Sync;

namespace Relay.Platforms.Shoprenter;

/// <summary>
/// Queued Shoprenter webhooks → target. The kind carries the event ("shoprenter.webhook:newsletter_unsubscribe");
/// the body is the delivery as JSON (<c>{"newsletter":{"subscriber":[…]}}</c> or <c>{"orders":{"order":[…]}}</c>,
/// XML deliveries converted at intake). Each subscriber or order is re-read from the REST API, so the target gets
/// what the shop holds now whatever order deliveries arrive in; a subscriber the shop no longer has was deleted,
/// which counts as an unsubscribe; orders go through the order sync (<see cref="Orders.OrderSync"/>).
/// </summary>
public sealed class ShoprenterWebhookForwarder(SyncContexts contexts, ContactSync sync, ShopActivity shops, Orders.OrderSync orders) : IQueueHandler
{
    public bool Handles(string kind) => kind == ShoprenterEndpoints.WebhookKind || kind.StartsWith(ShoprenterEndpoints.WebhookKind + ":", StringComparison.Ordinal);

    /// <summary>
    /// The REST id of a subscriber from the webhook's numeric id: Shoprenter's ids are base64 of
    /// "{resource}-{key}={innerId}" (the documented subscriber id decodes to "newsletterSubscriber-subscriber_id=1").
    /// </summary>
    public static string SubscriberId(string innerId) => Convert.ToBase64String(Encoding.UTF8.GetBytes("newsletterSubscriber-subscriber_id=" + innerId));

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
            throw new PermanentFailureException("The queued Shoprenter webhook is not JSON.");
        }
        var eventName = evt.Kind.Length > ShoprenterEndpoints.WebhookKind.Length ? evt.Kind[(ShoprenterEndpoints.WebhookKind.Length + 1)..] : "shoprenter";
        try
        {
            var (ctx, skip) = await contexts.ForShopAsync(evt.ShopKey);
            if (ctx is null)
            {
                await sync.LogAsync(evt.ShopKey, eventName, ActivityOutcome.Skipped, skip!, null, evt.EventId);
                return;
            }
            if (eventName.StartsWith("order_", StringComparison.Ordinal))
            {
                await ForwardOrdersAsync(ctx, ShoprenterWebhookBody.Orders(body), eventName, evt, ct);
                return;
            }
            var subscribers = ShoprenterWebhookBody.Subscribers(body);
            if (subscribers.Count == 0)
            {
                await sync.LogAsync(ctx, eventName, ActivityOutcome.Skipped, "The webhook carried no newsletter subscriber.", null, evt.EventId);
                return;
            }
            await ForwardAsync(ctx, subscribers, evt, ct);
        }
        catch (Exception e) when (e is not PermanentFailureException && SyncFailures.IsPermanent(e))
        {
            await sync.LogAsync(evt.ShopKey, eventName, ActivityOutcome.Failed, SyncFailures.Describe(e), null, evt.EventId);
            throw SyncFailures.ForPipeline(e);
        }
    }

    /// <summary>
    /// order_confirm / order_status_change: each order named is read again (orderExtend) and sent as the
    /// shop holds it now; its innerResourceId ("orders/{id}") or innerId names it.
    /// </summary>
    private async Task ForwardOrdersAsync(SyncContext ctx, IReadOnlyList<JsonElement> named, string eventName, InboxEvent evt, CancellationToken ct)
    {
        if (named.Count == 0)
            throw new PermanentFailureException($"A Shoprenter {eventName} webhook without orders.order.");
        foreach (var order in named)
        {
            var id = JsonFields.Str(order, "innerResourceId") is { Length: > 0 } resource && resource.LastIndexOf('/') is var slash and >= 0
                ? resource[(slash + 1)..]
                : JsonFields.Str(order, "innerId") is { Length: > 0 } inner ? ShoprenterOrders.OrderId(inner)
                : throw new PermanentFailureException($"A Shoprenter {eventName} webhook names an order by neither innerResourceId nor innerId.");
            await orders.SendLiveAsync(ctx, id, evt.EventId, ct);
        }
    }

    private async Task ForwardAsync(SyncContext ctx, IReadOnlyList<JsonElement> subscribers, InboxEvent evt, CancellationToken ct)
    {
        var ids = subscribers.Select(s => JsonFields.Str(s, "id")).OfType<string>().Where(id => id.Length > 0).Select(SubscriberId).ToList();
        var current = ids.Count == 0 ? [] : await ctx.Shop.GetAsync(ctx.ShopKey, ShopRecordKind.Subscriber, ids, ct);
        var records = current.ToList();
        foreach (var subscriber in subscribers)
        {
            var id = JsonFields.Str(subscriber, "id") is { Length: > 0 } inner ? SubscriberId(inner) : null;
            if (id is not null && current.Any(r => r.Id == id)) continue;
            var email = JsonFields.Str(subscriber, "email")
                ?? throw new PermanentFailureException("A Shoprenter newsletter webhook without e-mail named a subscriber the shop no longer has.");
            records.Add(new ShopRecord
            {
                Kind = ShopRecordKind.Subscriber,
                Id = id ?? email,
                Fields = new Dictionary<string, string?> { [ShopFields.Id] = id, [ShopFields.Email] = email },
                Consent = new ShopConsent(ConsentState.Unsubscribed, evt.AcceptedAt),
            });
        }
        await sync.PushAsync(ctx, records, SyncMode.Live, evt.EventId, ct);
    }
}

namespace Relay.Sync;

/// <summary>What one reconciliation of a shop did.</summary>
/// <param name="WebhooksReenabled">The relay's webhooks the shop had switched off, switched back on.</param>
/// <param name="Resynced">Records changed in the shop without a webhook reaching the relay, sent again.</param>
/// <param name="Deleted">Subscribers deleted in the shop, unsubscribed in the target.</param>
public sealed record ReconciliationResult(int WebhooksReenabled, int Resynced, int Deleted);

/// <summary>
/// A platform's safety net under its webhooks (<see cref="Platforms.IPlatform.Reconciliation"/>), run by
/// <see cref="PullBackRunner"/> after every pull, so what the pull just wrote into the shop is
/// recognised as the relay's own. Its failures are the platform's API exceptions, the target's, or
/// <see cref="ShopNotReachableException"/>.
/// </summary>
public interface IShopReconciliation
{
    Task<ReconciliationResult> RunAsync(SyncContext ctx, CancellationToken ct);
}

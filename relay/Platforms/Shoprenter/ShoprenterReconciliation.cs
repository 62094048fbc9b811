using System.Text.Json;
using Relay.Mapping;
using Relay.Storage;
using Relay.Sync;

namespace Relay.Platforms.Shoprenter;

/// <summary>Where a shop's polling stands: changes since <see cref="Since"/>, for one target account.</summary>
public sealed record ShoprenterReconciliationState(DateTimeOffset Since, string Target);

/// <summary>
/// The safety net under Shoprenter's webhooks, run with every pull-back of a Shoprenter shop. Customers
/// have no webhook at all, and a delivery that fails is not known to be retried, so each run (a)
/// registers the relay's webhooks again when the shop has none from it, and (b) re-sends what changed
/// since the last run as a resync (<see cref="ConsentPolicy"/>: nobody is re-subscribed): customers by
/// the updatedAtMin filter; subscribers, whose collection has no such filter, by their dateUpdated.
/// </summary>
public sealed class ShoprenterReconciliation(
    IServiceProvider services, IRelayStore store, ShoprenterShops shops, ShoprenterWebhooks webhooks, ContactSync sync,
    TimeProvider time, ILogger<ShoprenterReconciliation> logger) : IShopReconciliation
{
    /// <summary>The window starts this much before the last run: the shop's clock is not ours, and a re-sent contact costs one upsert.</summary>
    public static readonly TimeSpan Overlap = TimeSpan.FromMinutes(2);

    private static string StateKey(string shopKey) => StoreKeys.ShopItem(shopKey, "shoprenter:reconcile");

    private ShoprenterClient Client => services.GetRequiredService<ShoprenterClient>();
    private ShoprenterContacts Contacts => services.GetRequiredService<ShoprenterContacts>();

    public async Task<ShoprenterReconciliationState?> GetStateAsync(string shopKey) =>
        await store.GetAsync(StateKey(shopKey)) is { } json ? JsonSerializer.Deserialize<ShoprenterReconciliationState>(json, JsonDefaults.Options) : null;

    public async Task<ReconciliationResult> RunAsync(SyncContext ctx, CancellationToken ct)
    {
        var startedAt = time.GetUtcNow();
        var registered = 0;
        if (await shops.GetAsync(ctx.ShopKey) is { Webhooks.Count: 0, Legacy: null } && await webhooks.RegisterAsync(ctx.ShopKey, ct))
        {
            registered = ShoprenterWebhooks.Events.Length;
            await sync.LogAsync(ctx, "webhooks", ActivityOutcome.Ok, "The shop had none of the relay's webhooks; registered them again.", null, null);
        }

        var state = await GetStateAsync(ctx.ShopKey);
        var resynced = 0;
        // The first run (or the first for this target account) only sets the mark: the full sync brought the target up to date.
        if (state is not null && state.Target == ctx.Ledger.Target)
        {
            var since = state.Since - Overlap;
            var zone = await Contacts.ZoneOfAsync(ctx.ShopKey);
            var filter = new Dictionary<string, string> { ["updatedAtMin"] = ZonelessTime.Write(since, zone) };
            resynced += await ResyncAsync(ctx, ShopRecordKind.Customer, filter, _ => true, zone, ct);
            resynced += await ResyncAsync(ctx, ShopRecordKind.Subscriber, null,
                r => r.Field(ShopFields.UpdatedAt) is { } updated && DateTimeOffset.Parse(updated, System.Globalization.CultureInfo.InvariantCulture) >= since, zone, ct);
        }

        await store.SetAsync(StateKey(ctx.ShopKey), JsonSerializer.Serialize(new ShoprenterReconciliationState(startedAt, ctx.Ledger.Target), JsonDefaults.Options));
        if (registered + resynced > 0)
            logger.LogInformation("Reconciliation of {ShopKey}: {Webhooks} webhooks registered, {Resynced} records re-sent", ctx.ShopKey, registered, resynced);
        return new ReconciliationResult(registered, resynced, 0);
    }

    private async Task<int> ResyncAsync(SyncContext ctx, ShopRecordKind kind, IReadOnlyDictionary<string, string>? filter,
        Func<ShopRecord, bool> changed, TimeZoneInfo zone, CancellationToken ct)
    {
        var client = Client;
        var resource = ShoprenterContacts.ResourceOf(kind);
        var records = new List<ShopRecord>();
        for (var page = 0; ; page++)
        {
            var result = await client.ListAsync(ctx.ShopKey, resource, page, filters: filter, ct: ct);
            foreach (var row in result.Items)
            {
                var record = ShoprenterContacts.ToRecord(kind, row, zone);
                if (changed(record) && !await sync.IsOwnOptOutAsync(ctx, record)) records.Add(record);
            }
            if (!result.HasNext || result.Items.Count == 0) break;
        }
        var total = 0;
        foreach (var chunk in records.Chunk(ctx.Shop.PageSize))
        {
            var result = await sync.PushAsync(ctx, chunk, SyncMode.Resync, null, ct);
            total += result.Ok;
            if (result.Errors.Count > 0)
                await sync.LogAsync(ctx, "reconcile", ActivityOutcome.Failed, $"{result.Failed} changed records could not be sent, e.g. {result.Errors[0]}", null, null);
        }
        if (records.Count > 0)
            await sync.LogAsync(ctx, "reconcile", ActivityOutcome.Ok,
                $"{records.Count} {(kind == ShopRecordKind.Customer ? "customers" : "newsletter subscribers")} changed in the shop without a webhook reaching the relay; sent again.", null, null);
        return total;
    }
}

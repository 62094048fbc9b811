using System.Text.Json;
using Relay.Mapping;
using Relay.Storage;
using Relay.Sync;

namespace Relay.Platforms.Shopware;

/// <summary>Where the delta reconciliation of a shop stands: changes since <see cref="Since"/> (the shop's clock), for one target account.</summary>
public sealed record ReconciliationState(DateTimeOffset Since, string Target);

/// <summary>
/// The safety net under Shopware's webhooks, run with every pull-back of a Shopware shop. Shopware
/// switches an app's webhook off after ten failed deliveries and tells nobody (6.8: suspends it, with a
/// health API to see and revive it), and a shop writes customers and recipients (imports, the admin's
/// API) without any event at all. So each run (a) switches the relay's own deactivated webhooks back on
/// and records their health for the status view, (b) re-sends the customers and
/// newsletter recipients changed since the last run, as a resync (<see cref="ConsentPolicy"/>:
/// nobody is re-subscribed), and (c) compares the recipient ids the ledger knows with the ones the
/// shop still has: a recipient deleted in the shop is unsubscribed in the target, as
/// <c>newsletter.unsubscribe</c> of a vanished recipient would be.
/// </summary>
public sealed class ShopwareReconciliation(
    IServiceProvider services, IRelayStore store, ContactLedger ledger, ContactSync sync, ShopWebhookHealth health,
    TimeProvider time, ILogger<ShopwareReconciliation> logger) : IShopReconciliation
{
    /// <summary>The window starts this much before the last run: the shop's clock is not ours, and a re-sent contact costs one upsert.</summary>
    public static readonly TimeSpan Overlap = TimeSpan.FromMinutes(2);

    private static string StateKey(string shopKey) => StoreKeys.ShopItem(shopKey, "shopware:reconcile");

    private ShopwareAdminClient Client => services.GetRequiredService<ShopwareAdminClient>();

    public async Task<ReconciliationState?> GetStateAsync(string shopKey) =>
        await store.GetAsync(StateKey(shopKey)) is { } json ? JsonSerializer.Deserialize<ReconciliationState>(json, JsonDefaults.Options) : null;

    public async Task<ReconciliationResult> RunAsync(SyncContext ctx, CancellationToken ct)
    {
        var client = Client;
        var access = await client.AccessForAsync(ShopPlatforms.ShopIdOf(ctx.ShopKey))
            ?? throw new ShopNotReachableException($"The Shopware shop {ctx.ShopKey} has no confirmed Admin API access; the app may need a reinstall.");
        var startedAt = time.GetUtcNow();

        var reenabled = await ReviveWebhooksAsync(ctx, client, access, ct);

        // Without read access the mark stays: once it is back, the changes made meanwhile are sent.
        int resynced = 0, deleted = 0;
        if (ctx.PauseOf(ShopFeature.ReadContacts) is null)
        {
            var state = await GetStateAsync(ctx.ShopKey);
            // The first run (or the first for this target account) only sets the mark: the full sync brought the target up to date.
            if (state is not null && state.Target == ctx.Ledger.Target)
                resynced = await ResyncChangedAsync(ctx, client, access, state.Since - Overlap, ct);
            deleted = await UnsubscribeDeletedRecipientsAsync(ctx, client, access, ct);
            await store.SetAsync(StateKey(ctx.ShopKey), JsonSerializer.Serialize(new ReconciliationState(startedAt, ctx.Ledger.Target), JsonDefaults.Options));
        }
        if (reenabled + resynced + deleted > 0)
            logger.LogInformation("Reconciliation of {ShopKey}: {Webhooks} webhooks re-enabled, {Resynced} records re-sent, {Deleted} deleted recipients unsubscribed",
                ctx.ShopKey, reenabled, resynced, deleted);
        return new ReconciliationResult(reenabled, resynced, deleted);
    }

    /// <summary>
    /// The relay's webhooks back on, and their health for the status view. Where the shop has the webhook
    /// health API (6.8), it reports each webhook's state and revives suspended and disabled ones in calls of
    /// at most 50 names, ten calls a minute; older shops keep the webhook:read/update path.
    /// </summary>
    private async Task<int> ReviveWebhooksAsync(SyncContext ctx, ShopwareAdminClient client, ShopwareApiAccess access, CancellationToken ct)
    {
        try
        {
            if (await client.WebhookStatesAsync(access, ct) is { } states)
                return await ReviveThroughHealthApiAsync(ctx, client, access, states, ct);
            if (ctx.PauseOf(ShopFeature.WebhookUpkeep) is not null) return 0;
            return await ReenableWebhooksAsync(ctx, client, access, ct);
        }
        catch (ShopwareApiException e) when (e.Status is System.Net.HttpStatusCode.Forbidden or System.Net.HttpStatusCode.NotFound)
        {
            // An app installed before webhook:read/update were asked for: the rest of the run still helps.
            await sync.LogAsync(ctx, "webhooks", ActivityOutcome.Skipped,
                "The relay may not read or update its webhooks in this shop (webhook:read/update); update the app to let it switch them back on.", null, null);
            return 0;
        }
    }

    private async Task<int> ReviveThroughHealthApiAsync(
        SyncContext ctx, ShopwareAdminClient client, ShopwareApiAccess access, IReadOnlyList<ShopwareWebhookState> states, CancellationToken ct)
    {
        // Degraded ones are still retried by the shop itself; an operator's switch-off is the merchant's to undo.
        var revivable = states.Where(s => s.EndpointState is WebhookState.Suspended or WebhookState.Disabled && s.DisabledOrigin != OperatorDisabled)
            .Select(s => s.Name).ToList();
        var results = new Dictionary<string, ShopwareReactivation>(StringComparer.Ordinal);
        var left = 0;
        foreach (var batch in revivable.Chunk(ShopwareAdminClient.MaxReactivationNames))
        {
            try
            {
                if (!await TakeReactivationCallAsync(ctx.ShopKey))
                    throw new ShopwareApiException(System.Net.HttpStatusCode.TooManyRequests, "The relay used this minute's reactivation calls.");
                foreach (var r in await client.ReactivateWebhooksAsync(access, batch, ct)) results[r.Name] = r;
            }
            catch (ShopwareApiException e) when (e.Status == System.Net.HttpStatusCode.TooManyRequests)
            {
                left = revivable.Count - revivable.IndexOf(batch[0]);
                break;
            }
        }
        var revived = results.Values.Where(r => r.Reset).Select(r => r.Name).ToList();
        if (revived.Count > 0)
            await sync.LogAsync(ctx, "webhooks", ActivityOutcome.Ok,
                $"Shopware had suspended or switched off {revived.Count} of the relay's webhooks ({string.Join(", ", revived)}); switched back on.", null, null);
        if (left > 0)
            await sync.LogAsync(ctx, "webhooks", ActivityOutcome.Skipped,
                $"Shopware takes ten reactivation calls a minute; {left} webhooks are switched back on with the next run.", null, null);

        var now = time.GetUtcNow();
        var lastRevived = await LastRevivedAsync(client, access, ct);
        var report = states.Select(s =>
        {
            var reset = results.TryGetValue(s.Name, out var r) && r.Reset;
            var kept = s.DisabledOrigin == OperatorDisabled || r?.Refused is not null;
            return new WebhookHealth(
                s.Name, null,
                reset ? WebhookState.Healthy : s.EndpointState ?? WebhookState.Healthy,
                reset ? 0 : s.ErrorCount,
                reset ? null : ShopwareTimes.Parse(s.DisabledSince) ?? ShopwareTimes.Parse(s.SuspendedSince),
                kept && !reset ? "Switched off in the shop's administration; only the shop can switch it back on." : null,
                reset ? now : lastRevived.TryGetValue(s.Name, out var at) ? at : null);
        }).ToList();
        await health.SaveAsync(ctx.ShopKey, new WebhookHealthReport(now, Detailed: true, report));
        return revived.Count;
    }

    private const string OperatorDisabled = "operator";

    /// <summary>Shopware allows each app ten reactivation calls a minute; every relay instance counts against one window per shop.</summary>
    private async Task<bool> TakeReactivationCallAsync(string shopKey)
    {
        var minute = time.GetUtcNow().ToUnixTimeSeconds() / 60;
        return await store.IncrementAsync(StoreKeys.ShopItem(shopKey, $"shopware:reactivations:{minute}"), 1, TimeSpan.FromMinutes(2)) <= MaxReactivationCallsPerMinute;
    }

    public const int MaxReactivationCallsPerMinute = 10;

    /// <summary>When each webhook was last switched back on, from the shop's history where it keeps one.</summary>
    private static async Task<Dictionary<string, DateTimeOffset>> LastRevivedAsync(ShopwareAdminClient client, ShopwareApiAccess access, CancellationToken ct)
    {
        var last = new Dictionary<string, DateTimeOffset>(StringComparer.Ordinal);
        foreach (var entry in await client.ReactivationHistoryAsync(access, ct) ?? [])
            if (ShopwareTimes.Parse(entry.ReactivatedAt) is { } at && (!last.TryGetValue(entry.Name, out var known) || at > known))
                last[entry.Name] = at;
        return last;
    }

    /// <summary>Older shops: the app's webhooks found by URL (webhook:read), switched on with PATCH active=true (webhook:update).</summary>
    private async Task<int> ReenableWebhooksAsync(SyncContext ctx, ShopwareAdminClient client, ShopwareApiAccess access, CancellationToken ct)
    {
        var own = await client.ListOwnWebhooksAsync(access, ct);
        var off = own.Where(w => !w.Active).ToList();
        var count = off.Count == 0 ? 0 : await client.ReactivateOwnWebhooksAsync(access, ct);
        if (count > 0)
            await sync.LogAsync(ctx, "webhooks", ActivityOutcome.Ok,
                $"Shopware had switched off {count} of the relay's webhooks after failed deliveries ({string.Join(", ", off.Select(w => w.EventName).Distinct())}); switched back on.", null, null);
        // This shop only says on or off, and after this run they are all on.
        var now = time.GetUtcNow();
        await health.SaveAsync(ctx.ShopKey, new WebhookHealthReport(now, Detailed: false,
            own.Select(w => new WebhookHealth(w.Name, w.EventName, WebhookState.Healthy, 0, RevivedAt: w.Active ? null : now)).ToList()));
        return count;
    }

    private async Task<int> ResyncChangedAsync(SyncContext ctx, ShopwareAdminClient client, ShopwareApiAccess access, DateTimeOffset since, CancellationToken ct)
    {
        var total = 0;
        foreach (var kind in new[] { ShopRecordKind.Customer, ShopRecordKind.Subscriber })
        {
            // New rows have no updatedAt in Shopware, so created and updated are two searches.
            var changed = new Dictionary<string, ShopRecord>(StringComparer.Ordinal);
            foreach (var field in new[] { "createdAt", "updatedAt" })
            {
                var criteria = new ShopwareCriteria
                {
                    Limit = 100,
                    TotalCountMode = 0,
                    Filter = [ShopwareFilter.Since(field, since)],
                    Sort = [new ShopwareSort(field), new ShopwareSort("id")],
                };
                await foreach (var row in client.SearchAllAsync<JsonElement>(access, kind == ShopRecordKind.Customer ? "customer" : "newsletter-recipient", criteria, ct))
                {
                    var record = ShopwareContacts.ToRecord(kind, row);
                    if (record.Id.Length > 0) changed[record.Id] = record;
                }
            }
            var records = new List<ShopRecord>();
            foreach (var record in changed.Values)
                if (!await sync.IsOwnOptOutAsync(ctx, record)) records.Add(record);
            foreach (var page in records.Chunk(ctx.Shop.PageSize))
            {
                var result = await sync.PushAsync(ctx, page, SyncMode.Resync, null, ct);
                total += result.Ok;
                if (result.Errors.Count > 0)
                    await sync.LogAsync(ctx, "reconcile", ActivityOutcome.Failed, $"{result.Failed} changed records could not be sent, e.g. {result.Errors[0]}", null, null);
            }
            if (records.Count > 0)
                await sync.LogAsync(ctx, "reconcile", ActivityOutcome.Ok,
                    $"{records.Count} {(kind == ShopRecordKind.Customer ? "customers" : "newsletter recipients")} changed in the shop without a webhook reaching the relay; sent again.", null, null);
        }
        return total;
    }

    private async Task<int> UnsubscribeDeletedRecipientsAsync(SyncContext ctx, ShopwareAdminClient client, ShopwareApiAccess access, CancellationToken ct)
    {
        var known = await ledger.ListRecordsAsync(ctx.Ledger, ShopRecordKind.Subscriber);
        if (known.Count == 0) return 0;

        var present = new HashSet<string>(StringComparer.Ordinal);
        var presentEmails = new HashSet<string>(StringComparer.Ordinal);
        var criteria = new ShopwareCriteria
        {
            Limit = 500,
            TotalCountMode = 0,
            Sort = [new ShopwareSort("createdAt"), new ShopwareSort("id")],
            Includes = new Dictionary<string, string[]> { ["newsletter_recipient"] = ["id", "email"] },
        };
        await foreach (var row in client.SearchAllAsync<JsonElement>(access, "newsletter-recipient", criteria, ct))
        {
            if (JsonFields.Str(row, "id") is { } id) present.Add(ContactLedger.RecordHash(id));
            if (ContactMapper.NormalizeEmail(JsonFields.Str(row, "email")) is { } email) presentEmails.Add(email);
        }

        var deleted = 0;
        foreach (var (hash, key) in known)
        {
            if (present.Contains(hash)) continue;
            await ledger.ForgetRecordAsync(ctx.Ledger, ShopRecordKind.Subscriber, hash);
            if (await ledger.GetAsync(ctx.Ledger, key) is not { Email: { } email } entry) continue;
            // Still a recipient in another sales channel: the person did not leave the newsletter.
            if (presentEmails.Contains(email)) continue;
            if (entry is { Shop.State: ConsentState.Unsubscribed, Target.State: ConsentState.Unsubscribed }) continue;

            var record = new ShopRecord
            {
                Kind = ShopRecordKind.Subscriber,
                Id = hash,
                Fields = new Dictionary<string, string?> { [ShopFields.Email] = email },
                Consent = new ShopConsent(ConsentState.Unsubscribed, time.GetUtcNow()),
            };
            var result = await sync.PushAsync(ctx, [record], SyncMode.Resync, null, ct);
            // The push links the stand-in record to the contact; it names no shop row.
            await ledger.ForgetRecordAsync(ctx.Ledger, ShopRecordKind.Subscriber, ContactLedger.RecordHash(record.Id));
            if (result.Ok > 0)
            {
                deleted++;
                await sync.LogAsync(ctx, "consent", ActivityOutcome.Ok, $"The newsletter recipient was deleted in the shop; unsubscribed in {ctx.TargetKind}.", email, null);
            }
            else
                await sync.LogAsync(ctx, "consent", ActivityOutcome.Failed,
                    $"The newsletter recipient was deleted in the shop, but {ctx.TargetKind} could not be told: {result.Errors.FirstOrDefault() ?? "skipped"}", email, null);
        }
        return deleted;
    }
}

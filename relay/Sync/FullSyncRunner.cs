using Microsoft.Extensions.Options;
using Relay.Mapping;
using Relay.Shops;
using Relay.Storage;

namespace Relay.Sync;

public enum FullSyncRunOutcome { NotRunning, Busy, Paused, Finished, Retrying }

/// <summary>
/// Does a shop's full sync: customers, then subscribers, a page at a time within the shop's API
/// limits (<see cref="IShopContacts.PageSize"/>; the target client splits a page into its own
/// batches), each page pushed as a resync (<see cref="ConsentPolicy"/>: nobody is re-subscribed).
/// The next page is read while the current one goes to the target. After every page the cursor and
/// progress are stored and the lease renewed, so a crash or restart costs at most one page, done
/// again idempotently.
/// </summary>
public sealed class FullSyncRunner(
    FullSync jobs, SyncContexts contexts, ContactSync sync, Orders.PurchaseFigures purchases, IRelayStore store, SyncProblems problems,
    IOptions<SyncOptions> options, ILogger<FullSyncRunner> logger)
{
    private static string LeaseKey(string shopKey) => StoreKeys.ShopItem(shopKey, "fullsync:lease");

    /// <param name="owner">The instance (worker) running it; another owner's live lease means Busy.</param>
    /// <param name="maxPages">Stop after this many pages with the job still running (tests: a crash between pages).</param>
    public async Task<FullSyncRunOutcome> RunAsync(string shopKey, string owner, int? maxPages = null, CancellationToken ct = default)
    {
        if ((await jobs.GetAsync(shopKey)).State != SyncState.Running) return FullSyncRunOutcome.NotRunning;
        if (!await TakeLeaseAsync(shopKey, owner)) return FullSyncRunOutcome.Busy;

        try
        {
            var (ctx, skip) = await contexts.ForShopAsync(shopKey);
            if (ctx is null)
            {
                await jobs.FinishAsync(shopKey, (await jobs.GetAsync(shopKey)) with { State = SyncState.Failed, Error = skip });
                return FullSyncRunOutcome.Finished;
            }
            // With purchase figures mapped the run starts by reading the shop's orders, so it needs that too.
            if ((ctx.PauseOf(ShopFeature.ReadContacts)
                 ?? (Orders.PurchaseFigures.Mapped(ctx.Settings) && ctx.Platform.Orders is not null ? ctx.PauseOf(ShopFeature.ReadOrders) : null)) is { } pause)
            {
                // The job stays running and carries on from its cursor on a later tick, once the permission is back.
                await problems.ReportAsync(shopKey, SyncProblems.FullSync, pause.Reason);
                var waiting = await jobs.GetAsync(shopKey);
                if (waiting.State == SyncState.Running && waiting.Error != pause.Reason)
                    await jobs.SaveAsync(shopKey, waiting with { Error = pause.Reason });
                return FullSyncRunOutcome.Retrying;
            }
            var outcome = await RunPagesAsync(ctx, owner, maxPages, ct);
            await problems.ClearAsync(shopKey, SyncProblems.FullSync);
            return outcome;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            await problems.ReportAsync(shopKey, SyncProblems.FullSync, SyncFailures.Describe(e));
            var progress = await jobs.GetAsync(shopKey);
            if (SyncFailures.IsPermanent(e))
            {
                await jobs.FinishAsync(shopKey, progress with { State = SyncState.Failed, Error = SyncFailures.Describe(e) });
                await sync.LogAsync(shopKey, "fullsync", ActivityOutcome.Failed, $"Full sync stopped: {SyncFailures.Describe(e)}", null, null);
                return FullSyncRunOutcome.Finished;
            }
            // A shop or target outage: the job stays running and resumes from its cursor on a later tick.
            if (progress.State == SyncState.Running)
                await jobs.SaveAsync(shopKey, progress with { Error = $"Waiting to retry: {SyncFailures.Describe(e)}" });
            logger.LogWarning("Full sync of {ShopKey} paused by a transient failure: {Error}", shopKey, SyncFailures.Describe(e));
            return FullSyncRunOutcome.Retrying;
        }
        finally
        {
            await store.ReleaseLeaseAsync(LeaseKey(shopKey), owner);
        }
    }

    private async Task<FullSyncRunOutcome> RunPagesAsync(SyncContext ctx, string owner, int? maxPages, CancellationToken ct)
    {
        var shopKey = ctx.ShopKey;
        var runId = await jobs.RunIdAsync(shopKey);
        var cursor = await jobs.GetCursorAsync(shopKey);
        if (runId is null || cursor is null || cursor.RunId != runId) return FullSyncRunOutcome.NotRunning;

        var progress = await jobs.GetAsync(shopKey);
        if (progress.Total is null)
        {
            // Purchase figures first, so the pages carry them; a crash before the total is stored rebuilds them again.
            if (Orders.PurchaseFigures.Mapped(ctx.Settings) && ctx.Platform.Orders is { } orders)
            {
                var buyers = await purchases.RebuildAsync(shopKey, orders, ct);
                await sync.LogAsync(shopKey, "fullsync", ActivityOutcome.Ok, $"Purchase figures rebuilt from the shop's orders: {buyers} addresses.", null, null);
            }
            var customers = (await ctx.Shop.ReadPageAsync(shopKey, ShopRecordKind.Customer, 1, ct)).Total;
            var subscribers = (await ctx.Shop.ReadPageAsync(shopKey, ShopRecordKind.Subscriber, 1, ct)).Total;
            progress = progress with { Total = customers + subscribers };
            if (!await SaveIfStillOursAsync(shopKey, runId, progress)) return FullSyncRunOutcome.NotRunning;
            await sync.LogAsync(shopKey, "fullsync", ActivityOutcome.Ok, $"Full sync started: {progress.Total} records.", null, null);
        }

        // The shop and the target work at the same time: the next page is on its way while this one is pushed.
        using var stopReading = CancellationTokenSource.CreateLinkedTokenSource(ct);
        Task<ShopPage>? nextPage = null;
        try
        {
            for (var pages = 0; ; pages++)
            {
                if (maxPages is { } max && pages >= max) return FullSyncRunOutcome.Paused;
                ct.ThrowIfCancellationRequested();

                var page = await (nextPage ?? ctx.Shop.ReadPageAsync(shopKey, cursor.Phase, cursor.Page, stopReading.Token));
                nextPage = null;
                var last = page.Records.Count < ctx.Shop.PageSize;
                var following = last
                    ? cursor.Phase == ShopRecordKind.Customer ? cursor with { Phase = ShopRecordKind.Subscriber, Page = 1 } : null
                    : cursor with { Page = cursor.Page + 1 };
                if (following is not null && (maxPages is not { } limit || pages + 1 < limit))
                    nextPage = ctx.Shop.ReadPageAsync(shopKey, following.Phase, following.Page, stopReading.Token);

                var result = page.Records.Count == 0 ? PushResult.Empty : await sync.PushAsync(ctx, page.Records, SyncMode.Resync, null, ct);
                // A page that outlasted the lease may have been taken over by another instance, which carries
                // on from the stored cursor; this run then stops without writing its cursor or progress.
                if (!await store.RenewLeaseAsync(LeaseKey(shopKey), owner, options.Value.FullSyncLease)) return FullSyncRunOutcome.Busy;
                cursor = following;

                // Re-read: a cancel (or a cancel and a new start) between pages ends this run here.
                var current = await jobs.GetAsync(shopKey);
                if (current.State != SyncState.Running || await jobs.RunIdAsync(shopKey) != runId) return FullSyncRunOutcome.NotRunning;
                progress = current with { Done = current.Done + page.Records.Count, Failed = current.Failed + result.Failed, Error = null };
                if (result.Errors.Count > 0)
                    logger.LogInformation("Full sync of {ShopKey}: {Failed} records failed on this page, e.g. {Error}", shopKey, result.Failed, result.Errors[0]);

                if (cursor is null)
                {
                    var finished = await jobs.FinishAsync(shopKey, progress with { State = SyncState.Completed, Total = Math.Max(progress.Total ?? 0, progress.Done) });
                    await sync.LogAsync(shopKey, "fullsync", finished.Failed == 0 ? ActivityOutcome.Ok : ActivityOutcome.Failed,
                        $"Full sync finished: {finished.Done} records, {finished.Failed} failed.", null, null);
                    return FullSyncRunOutcome.Finished;
                }
                await jobs.SaveCursorAsync(shopKey, cursor);
                await jobs.SaveAsync(shopKey, progress);
            }
        }
        finally
        {
            // A read ahead that this run will not use (cancel, pause, a failure): stopped and awaited, so
            // it neither outlives the lease nor leaves an unobserved failure; the next run reads that page again.
            if (nextPage is not null)
            {
                await stopReading.CancelAsync();
                try { await nextPage; }
                catch (Exception e) when (e is not OutOfMemoryException)
                {
                    logger.LogDebug("Full sync of {ShopKey}: the page read ahead was dropped ({Error})", shopKey, e.Message);
                }
            }
        }
    }

    private async Task<bool> SaveIfStillOursAsync(string shopKey, string runId, SyncProgress progress)
    {
        if ((await jobs.GetAsync(shopKey)).State != SyncState.Running || await jobs.RunIdAsync(shopKey) != runId) return false;
        await jobs.SaveAsync(shopKey, progress);
        return true;
    }

    private async Task<bool> TakeLeaseAsync(string shopKey, string owner) =>
        await store.SetIfAbsentAsync(LeaseKey(shopKey), owner, options.Value.FullSyncLease)
        || await store.RenewLeaseAsync(LeaseKey(shopKey), owner, options.Value.FullSyncLease);
}

/// <summary>
/// Picks up running full syncs: ones just started from the admin page, and ones whose instance died
/// (its lease ran out). Each shop's sync runs as its own task so a long first sync (hours, say the
/// seeds) does not hold up another shop's.
/// </summary>
public sealed class FullSyncWorker(
    ShopDirectory directory, FullSync jobs, FullSyncRunner runner, IOptions<SyncOptions> options, TimeProvider time, ILogger<FullSyncWorker> logger) : BackgroundService
{
    private readonly Dictionary<string, Task> _running = [];

    public string Owner { get; } = $"{Environment.MachineName}-{Environment.ProcessId}-{Guid.NewGuid().ToString("N")[..8]}";

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.Value.BackgroundEnabled) return;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                foreach (var shop in await directory.ListAsync())
                {
                    if (_running.TryGetValue(shop.Key, out var task) && !task.IsCompleted) continue;
                    try
                    {
                        if ((await jobs.GetAsync(shop.Key)).State != SyncState.Running) continue;
                    }
                    catch (Exception e) when (e is not OperationCanceledException)
                    {
                        // One shop's unreadable job must not keep the others' from starting.
                        logger.LogWarning("The full sync of {ShopKey} could not be read: {Error}", shop.Key, e.Message);
                        continue;
                    }
                    _running[shop.Key] = Task.Run(() => runner.RunAsync(shop.Key, Owner, ct: stoppingToken), stoppingToken);
                }
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogWarning(e, "Looking for full syncs failed; trying again next tick");
            }
            try { await Task.Delay(options.Value.SchedulerTick, time, stoppingToken); }
            catch (OperationCanceledException) { }
        }
        try { await Task.WhenAll(_running.Values); }
        catch (OperationCanceledException) { }
    }
}

using System.Globalization;
using Microsoft.Extensions.Options;
using Relay.Shops;
using Relay.Storage;
using Relay.Sync;

namespace Relay.Orders;

/// <summary>
/// Does a shop's order sync: reads the orders changed since the last run a page at a time, sends each
/// through <see cref="OrderSync"/> (the ledger makes an order the target already has cost no call), and
/// after every page stores the platform's position and the counts and renews the lease, so a restart
/// continues where it stopped. A shop or target outage leaves the run running: it resumes from the stored
/// position on a later tick.
/// </summary>
public sealed class OrderSyncRunner(
    OrderSyncJobs jobs, SyncContexts contexts, OrderSync orders, OrderLedger ledger, ContactSync activity, IRelayStore store,
    SyncProblems problems, IOptions<SyncOptions> options, ILogger<OrderSyncRunner> logger)
{
    public const string Job = SyncProblems.Orders;
    /// <summary>Customers whose orders are sent at the same time within one shop's run.</summary>
    public const int SendersPerShop = 2;

    private static string LeaseKey(string shopKey) => StoreKeys.ShopItem(shopKey, "orders:sync:lease");

    public async Task<FullSyncRunOutcome> RunAsync(string shopKey, string owner, int? maxPages = null, CancellationToken ct = default)
    {
        if (!await store.SetIfAbsentAsync(LeaseKey(shopKey), owner, options.Value.FullSyncLease)
            && !await store.RenewLeaseAsync(LeaseKey(shopKey), owner, options.Value.FullSyncLease))
            return FullSyncRunOutcome.Busy;
        try
        {
            var (ctx, skip) = await contexts.ForShopAsync(shopKey);
            var reason = skip ?? (ctx!.Platform.Orders is null ? $"The platform {ctx.Platform.Name} has no orders." : OrderSync.TargetOf(ctx).Reason);
            if (reason is not null)
            {
                await jobs.FinishAsync(shopKey, (await jobs.GetAsync(shopKey)) with { State = SyncState.Failed, Error = reason }, null);
                await activity.LogAsync(shopKey, OrderSync.ActivityKind, ActivityOutcome.Skipped, $"Order sync not run: {reason}", null, null);
                return FullSyncRunOutcome.Finished;
            }
            if (ctx!.PauseOf(ShopFeature.ReadOrders) is { } pause)
            {
                // The run stays running and carries on from its position on a later tick, once the permission is back.
                await problems.ReportAsync(shopKey, Job, pause.Reason);
                var waiting = await jobs.GetAsync(shopKey);
                if (waiting.State == SyncState.Running && waiting.Error != pause.Reason)
                    await jobs.SaveAsync(shopKey, waiting with { Error = pause.Reason });
                return FullSyncRunOutcome.Retrying;
            }
            var outcome = await RunPagesAsync(ctx, owner, maxPages, ct);
            await problems.ClearAsync(shopKey, Job);
            return outcome;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            await problems.ReportAsync(shopKey, Job, SyncFailures.Describe(e));
            var progress = await jobs.GetAsync(shopKey);
            if (SyncFailures.IsPermanent(e))
            {
                await jobs.FinishAsync(shopKey, progress with { State = SyncState.Failed, Error = SyncFailures.Describe(e) }, null);
                await activity.LogAsync(shopKey, OrderSync.ActivityKind, ActivityOutcome.Failed, $"Order sync stopped: {SyncFailures.Describe(e)}", null, null);
                return FullSyncRunOutcome.Finished;
            }
            if (progress.State == SyncState.Running)
                await jobs.SaveAsync(shopKey, progress with { Error = $"Waiting to retry: {SyncFailures.Describe(e)}" });
            logger.LogWarning("Order sync of {ShopKey} paused by a transient failure: {Error}", shopKey, SyncFailures.Describe(e));
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
        var shopOrders = ctx.Platform.Orders!;
        var runId = await jobs.RunIdAsync(shopKey);
        var cursor = await jobs.GetCursorAsync(shopKey);
        if (runId is null || cursor is null || cursor.RunId != runId) return FullSyncRunOutcome.NotRunning;
        var started = (await jobs.GetAsync(shopKey)).StartedAt;

        // The next page is read while this one is sent; a page not used (a failure, a pause) is awaited and dropped.
        Task<OrderPage>? nextPage = null;
        try
        {
            for (var pages = 0; ; pages++)
            {
                if (maxPages is { } max && pages >= max) return FullSyncRunOutcome.Paused;
                ct.ThrowIfCancellationRequested();
                var page = await (nextPage ?? shopOrders.ReadChangedAsync(shopKey, cursor.Since, cursor.Position, ct));
                nextPage = page.Next is { } following && (maxPages is not { } limit || pages + 1 < limit)
                    ? shopOrders.ReadChangedAsync(shopKey, cursor.Since, following, ct)
                    : null;
                var known = await ledger.GetManyAsync(ctx.Ledger, page.Orders.Select(o => o.Id).ToList());
                long sent = 0, waiting = 0, failed = 0, customersDone = 0;
                using var leaseLost = CancellationTokenSource.CreateLinkedTokenSource(ct);
                // Two customers at a time: while one call is on its way the next slot of the target's budget is
                // already taken, so the sync keeps to the limit (the shared budget, not this, sets the rate). One
                // customer's orders go one after another, so a new customer is not created twice.
                var customers = page.Orders.GroupBy(o => o.Email?.Trim().ToLowerInvariant() ?? "#" + o.Id);
                try
                {
                    await Parallel.ForEachAsync(customers, new ParallelOptions { MaxDegreeOfParallelism = SendersPerShop, CancellationToken = leaseLost.Token }, async (customer, token) =>
                    {
                        foreach (var order in customer)
                        {
                            switch (await orders.SendAsync(ctx, order, known.GetValueOrDefault(order.Id), live: false, null, token))
                            {
                                case OrderOutcome.Sent: Interlocked.Increment(ref sent); break;
                                case OrderOutcome.Waiting: Interlocked.Increment(ref waiting); break;
                                case OrderOutcome.Failed: Interlocked.Increment(ref failed); break;
                            }
                        }
                        // A long page at 60 calls a minute must not outlive the lease unnoticed.
                        if (Interlocked.Increment(ref customersDone) % 20 == 0 && !await store.RenewLeaseAsync(LeaseKey(shopKey), owner, options.Value.FullSyncLease))
                            await leaseLost.CancelAsync();
                    });
                }
                catch (OperationCanceledException) when (leaseLost.IsCancellationRequested && !ct.IsCancellationRequested)
                {
                    return FullSyncRunOutcome.Busy;
                }
                if (!await store.RenewLeaseAsync(LeaseKey(shopKey), owner, options.Value.FullSyncLease)) return FullSyncRunOutcome.Busy;

                var current = await jobs.GetAsync(shopKey);
                if (current.State != SyncState.Running || await jobs.RunIdAsync(shopKey) != runId) return FullSyncRunOutcome.NotRunning;
                var progress = current with
                {
                    Done = current.Done + page.Orders.Count,
                    Total = current.Total ?? page.Total,
                    Sent = current.Sent + sent,
                    Waiting = current.Waiting + waiting,
                    Failed = current.Failed + failed,
                    Error = null,
                };
                if (page.Next is null)
                {
                    // Changes are read again from this run's start, less how far the shop's clock may be off: an
                    // order the target already has costs nothing, one missed would be lost until it changes.
                    var nextSince = started - ctx.Shop.Clock.Uncertainty;
                    var finished = await jobs.FinishAsync(shopKey, progress with { State = SyncState.Completed, Total = Math.Max(progress.Total ?? 0, progress.Done) }, nextSince);
                    await activity.LogAsync(shopKey, OrderSync.ActivityKind, finished.Failed == 0 ? ActivityOutcome.Ok : ActivityOutcome.Failed,
                        string.Create(CultureInfo.InvariantCulture,
                            $"Order sync finished ({finished.Trigger}): {finished.Done} orders read, {finished.Sent} sent, {finished.Waiting} waiting for a status pairing, {finished.Failed} failed."),
                        null, null);
                    return FullSyncRunOutcome.Finished;
                }
                cursor = cursor with { Position = page.Next };
                await jobs.SaveCursorAsync(shopKey, cursor);
                await jobs.SaveAsync(shopKey, progress);
            }
        }
        finally
        {
            if (nextPage is not null)
            {
                try { await nextPage; }
                catch (Exception e) when (e is not OutOfMemoryException)
                {
                    logger.LogDebug("Order sync of {ShopKey}: the page read ahead was dropped ({Error})", shopKey, e.Message);
                }
            }
        }
    }
}

/// <summary>
/// Picks up running order syncs (started from the admin page, or left by an instance that died) and
/// starts each shop's nightly run at the merchant's time in the shop's zone. Each shop runs as its own
/// task and fails on its own (<see cref="SyncProblems"/>, job "orders").
/// </summary>
public sealed class OrderSyncWorker(
    ShopDirectory directory, OrderSyncJobs jobs, OrderSyncRunner runner, Settings.ShopSettingsStore settings, Platforms.ShopPlatforms platforms,
    IOptions<SyncOptions> options, TimeProvider time, ILogger<OrderSyncWorker> logger) : BackgroundService
{
    private readonly Dictionary<string, Task> _running = [];

    public string Owner { get; } = $"{Environment.MachineName}-{Environment.ProcessId}-orders-{Guid.NewGuid().ToString("N")[..8]}";

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.Value.BackgroundEnabled) return;
        while (!stoppingToken.IsCancellationRequested)
        {
            try { await TickAsync(stoppingToken); }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogWarning(e, "Looking for order syncs failed; trying again next tick");
            }
            try { await Task.Delay(options.Value.SchedulerTick, time, stoppingToken); }
            catch (OperationCanceledException) { }
        }
        try { await Task.WhenAll(_running.Values); }
        catch (OperationCanceledException) { }
    }

    /// <summary>One pass: tonight's starts, then every running sync not yet running here.</summary>
    public async Task TickAsync(CancellationToken ct)
    {
        foreach (var shop in await directory.ListAsync())
        {
            if (_running.TryGetValue(shop.Key, out var task) && !task.IsCompleted) continue;
            try
            {
                await StartNightlyIfDueAsync(shop.Key);
                if ((await jobs.GetAsync(shop.Key)).State != SyncState.Running) continue;
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogWarning("The order sync of {ShopKey} could not be read: {Error}", shop.Key, e.Message);
                continue;
            }
            _running[shop.Key] = Task.Run(() => runner.RunAsync(shop.Key, Owner, ct: ct), ct);
        }
    }

    /// <summary>
    /// Due from the merchant's time in the shop's zone for six hours, once per night: a relay that was
    /// down at that time still runs the night's sync when it comes back that night, and a shop configured
    /// by day does not start one at once (a night missed costs nothing: the next run reads every change
    /// since the last one began).
    /// </summary>
    public async Task StartNightlyIfDueAsync(string shopKey)
    {
        var saved = await settings.GetWithoutCredentialsAsync(shopKey);
        if (!saved.SyncEnabled || !saved.Orders.Enabled || OrderSettingsRules.NightlyTime(saved.Orders.NightlyAt) is not { } at) return;
        var zone = saved.TimeZone ?? platforms.For(shopKey)?.Contacts.Clock.Zone ?? "UTC";
        var local = TimeZoneInfo.ConvertTime(time.GetUtcNow(), ZonelessTime.Zone(zone)).DateTime;
        var sinceAt = local.TimeOfDay - at.ToTimeSpan();
        if (sinceAt < TimeSpan.Zero) sinceAt += TimeSpan.FromDays(1);
        if (sinceAt >= TimeSpan.FromHours(6)) return;
        if (!await jobs.ClaimNightAsync(shopKey, DateOnly.FromDateTime(local - sinceAt))) return;
        var (_, joined) = await jobs.StartAsync(shopKey, "nightly");
        logger.LogInformation("Nightly order sync of {ShopKey} {Started}", shopKey, joined ? "joined the running one" : "started");
    }
}

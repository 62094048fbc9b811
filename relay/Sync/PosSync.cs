using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Relay.Mapping;
using Relay.Pipeline;
using Relay.Platforms;
using Relay.Settings;
using Relay.Shops;
using Relay.Storage;
using Relay.Targets;

namespace Relay.Sync;

/// <summary>Where a shop's point-of-sale flows stand: the till's cursors, the shop's order cursor, the last run and what it did.</summary>
public sealed record PosState
{
    public string? CatalogCursor { get; init; }
    public string? StockCursor { get; init; }
    public string? OrderCursor { get; init; }
    public string? Till { get; init; }
    public DateTimeOffset? LastRunAt { get; init; }
    public DateTimeOffset? LastSuccessAt { get; init; }
    public long ProductsWritten { get; init; }
    public long StockWritten { get; init; }
    public long OrdersQueued { get; init; }
    public string? LastError { get; init; }
}

/// <summary>An order the till cannot take yet, and why (an article it does not know, the till down).</summary>
public sealed record PosWaitingOrder(string Number, string Reason, DateTimeOffset Since);

public enum PosRunOutcome { Done, Skipped, Busy, Failed }

public sealed record PosRunResult(PosRunOutcome Outcome, int Products = 0, int Rejected = 0, int Stock = 0, int Orders = 0, string? Reason = null);

/// <summary>A shop's till, catalog and orders for one run, or why the shop has none.</summary>
/// <param name="ShopClock">How far the shop's timestamps may be off: the order reads overlap by that much.</param>
/// <param name="Pauses">The shop's features paused for lack of a permission (<see cref="ShopPauses"/>).</param>
public sealed record PosContext(string ShopKey, PosSettings Settings, IPointOfSale Till, IPosProvider Provider, IShopCatalog Catalog, Orders.IShopOrders Orders,
    PartnerClock ShopClock, IReadOnlyList<FeaturePause> Pauses)
{
    public FeaturePause? PauseOf(string feature) => Pauses.FirstOrDefault(p => p.Feature == feature);
}

/// <summary>
/// Till → shop (products, categories, stock) and shop → queue (orders in the chosen states), for one shop
/// per run, with one runner per shop across instances (a lock with expiry). Cursors are stored after each
/// page, so a crash repeats at most a page, and the shop side upserts by SKU so a repeat changes nothing.
/// Orders are not booked here: each goes into the inbox (deduplicated by the shop's order number) and
/// <see cref="PosOrderHandler"/> books it with the pipeline's retries and dead letters, so a till that is
/// down loses no order and a repeat never books one twice.
/// </summary>
public sealed class PosSync(
    IRelayStore store, PosSettingsStore settings, PosFactory tills, ShopPlatforms platforms, ShopPauses pauses, Inbox inbox, ActivityLog activity,
    SyncProblems problems, IOptions<SyncOptions> options, TimeProvider time, ILogger<PosSync> logger)
{
    public const string OrderKind = "pos.order";
    public const string ProductKind = "pos.product";

    /// <summary>Per-item activity entries a run writes for stock before it sums the rest up in one line.</summary>
    public const int StockEntriesPerRun = 200;

    private static string StateKey(string shopKey) => StoreKeys.ShopItem(shopKey, "pos:state");
    private static string LockKey(string shopKey) => StoreKeys.ShopItem(shopKey, "pos:lock");
    private static string RequestKey(string shopKey) => StoreKeys.ShopItem(shopKey, "pos:run-requested");

    /// <summary>How long a request for a run is kept; the scheduler answers it within a tick, so this only bounds a stray key.</summary>
    public static readonly TimeSpan RunRequestRetention = TimeSpan.FromHours(1);

    private static string WaitingIndex(string shopKey) => StoreKeys.ShopItem(shopKey, "pos:waiting");
    private static string WaitingKey(string shopKey, string number) => StoreKeys.ShopItem(shopKey, "pos:waiting:" + number);

    /// <summary>How long a waiting mark outlives its order's last attempt (the pipeline's schedule ends in a day and a half).</summary>
    public static readonly TimeSpan WaitingRetention = TimeSpan.FromDays(3);

    /// <summary>Notes that an order waits (shown on the page until it is booked); keeps the time it started waiting.</summary>
    public async Task NoteWaitingAsync(string shopKey, string number, string reason)
    {
        var since = await store.GetAsync(WaitingKey(shopKey, number)) is { } json
            ? JsonSerializer.Deserialize<PosWaitingOrder>(json, JsonDefaults.Options)!.Since
            : time.GetUtcNow();
        await store.SetAsync(WaitingKey(shopKey, number), JsonSerializer.Serialize(new PosWaitingOrder(number, reason, since), JsonDefaults.Options), WaitingRetention);
        await store.AddToIndexAsync(WaitingIndex(shopKey), number);
    }

    public async Task ClearWaitingAsync(string shopKey, string number)
    {
        await store.DeleteAsync(WaitingKey(shopKey, number));
        await store.RemoveFromIndexAsync(WaitingIndex(shopKey), number);
    }

    public async Task<IReadOnlyList<PosWaitingOrder>> WaitingAsync(string shopKey)
    {
        var numbers = await store.ListIndexAsync(WaitingIndex(shopKey));
        if (numbers.Count == 0) return [];
        var values = await store.GetManyAsync(numbers.Select(n => WaitingKey(shopKey, n)).ToList());
        return values.OfType<string>().Select(json => JsonSerializer.Deserialize<PosWaitingOrder>(json, JsonDefaults.Options)!).OrderBy(w => w.Since).ToList();
    }

    public async Task<PosState> GetStateAsync(string shopKey) =>
        await store.GetAsync(StateKey(shopKey)) is { } json ? JsonSerializer.Deserialize<PosState>(json, JsonDefaults.Options)! : new PosState();

    private Task SaveStateAsync(string shopKey, PosState state) => store.SetAsync(StateKey(shopKey), JsonSerializer.Serialize(state, JsonDefaults.Options));

    /// <summary>The shop's till and catalog, or why it has none (a skip, not a failure).</summary>
    public async Task<(PosContext? Context, string? Skip)> ContextAsync(string shopKey)
    {
        var saved = await settings.GetAsync(shopKey);
        if (saved.Till is null) return (null, "No till is connected.");
        if (!saved.Enabled) return (null, "The till connection is switched off.");
        if (platforms.For(shopKey) is not { Catalog: { } catalog, Orders: { } orders } platform)
            return (null, $"The relay cannot write products into shops of platform '{ShopPlatforms.PlatformOf(shopKey)}' yet.");
        var account = saved.TillAccountFor(shopKey)!;
        return (new PosContext(shopKey, saved, tills.Create(account), tills.Provider(account.Kind)!, catalog, orders, platform.Contacts.Clock,
            await pauses.ListAsync(shopKey)), null);
    }

    /// <summary>
    /// Asks for a run at the scheduler's next tick instead of at the end of the poll interval: the till said something
    /// changed. Kept in the store, so any instance's scheduler answers it, and one arriving during a run asks for another.
    /// </summary>
    public Task RequestRunAsync(string shopKey) => store.SetAsync(RequestKey(shopKey), time.GetUtcNow().ToString("O"), RunRequestRetention);

    public async Task<bool> RunRequestedAsync(string shopKey) => await store.GetAsync(RequestKey(shopKey)) is not null;

    public async Task<PosRunResult> RunOnceAsync(string shopKey, CancellationToken ct = default)
    {
        var owner = Guid.NewGuid().ToString("N");
        if (!await store.SetIfAbsentAsync(LockKey(shopKey), owner, options.Value.PullLockTimeout))
            return new PosRunResult(PosRunOutcome.Busy, Reason: "Another instance is syncing this shop's till.");
        // Cleared before the till is read: a change the till announces from here on is seen by this run or asks for the next.
        await store.DeleteAsync(RequestKey(shopKey));
        var state = await GetStateAsync(shopKey);
        try
        {
            var (ctx, skip) = await ContextAsync(shopKey);
            if (ctx is null) return new PosRunResult(PosRunOutcome.Skipped, Reason: skip);
            // Another till's cursors mean nothing to this one; the shop's order cursor stays.
            var till = $"{ctx.Settings.Till!.Kind}@{ctx.Settings.Till.BaseUrl}";
            if (state.Till != till) state = new PosState { Till = till, OrderCursor = state.OrderCursor };
            state = state with { LastRunAt = time.GetUtcNow() };
            var result = new PosRunResult(PosRunOutcome.Done);
            // A flow whose shop permission the merchant took away waits (its cursor stays); the others run.
            var writeCatalog = ctx.Settings.SyncProducts || ctx.Settings.SyncStock ? ctx.PauseOf(ShopFeature.WriteCatalog) : null;
            var readOrders = ctx.Settings.SyncOrders ? ctx.PauseOf(ShopFeature.ReadOrders) : null;
            if (ctx.Settings.SyncProducts && writeCatalog is null) (state, result) = await CatalogAsync(ctx, state, result, ct);
            if (ctx.Settings.SyncStock && writeCatalog is null) (state, result) = await StockAsync(ctx, state, result, ct);
            if (ctx.Settings.SyncOrders && readOrders is null) (state, result) = await OrdersAsync(ctx, state, result, ct);
            await SaveStateAsync(shopKey, state with { LastSuccessAt = time.GetUtcNow(), LastError = null });
            if (new[] { writeCatalog, readOrders }.OfType<FeaturePause>().Select(p => p.Reason).ToList() is { Count: > 0 } waits)
            {
                var reason = string.Join(" ", waits);
                await problems.ReportAsync(shopKey, SyncProblems.PointOfSale, reason);
                return result with { Reason = reason };
            }
            await problems.ClearAsync(shopKey, SyncProblems.PointOfSale);
            return result;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // The till or the shop failed: the cursors stay where the last good page left them, and the next run
            // starts there. Shown in the shop's status and activity; no other shop waits for it.
            var reason = SyncFailures.Describe(e);
            logger.LogWarning("Till sync for {ShopKey} failed: {Error}", shopKey, reason);
            await activity.AppendAsync(shopKey, new ActivityEntry(time.GetUtcNow(), "pos", ActivityOutcome.Failed, $"Till sync failed: {reason}"));
            await problems.ReportAsync(shopKey, SyncProblems.PointOfSale, reason);
            var latest = await GetStateAsync(shopKey);
            await SaveStateAsync(shopKey, latest with { LastRunAt = time.GetUtcNow(), LastError = reason });
            return new PosRunResult(PosRunOutcome.Failed, Reason: reason);
        }
        finally
        {
            await store.ReleaseLeaseAsync(LockKey(shopKey), owner);
        }
    }

    private async Task<(PosState, PosRunResult)> CatalogAsync(PosContext ctx, PosState state, PosRunResult result, CancellationToken ct)
    {
        for (var page = 0; page < options.Value.PosCatalogPagesPerRun; page++)
        {
            var changes = await ctx.Till.PullCatalogAsync(state.CatalogCursor, ct);
            await ctx.Catalog.UpsertCategoriesAsync(ctx.ShopKey, changes.Categories, ct);
            foreach (var batch in changes.Products.Select(p => ProductMapper.Apply(p, ctx.Settings.ProductFields)).Chunk(ctx.Catalog.BatchSize))
            {
                var outcomes = await ctx.Catalog.UpsertProductsAsync(ctx.ShopKey, batch, ctx.Settings.Overwrite, ctx.Settings.ManageStock, ct);
                foreach (var (outcome, product) in outcomes.Zip(batch))
                {
                    if (outcome.Rejected is null)
                    {
                        await LogAsync(ctx.ShopKey, "pos.product", ActivityOutcome.Ok,
                            $"Product {product.Sku} {(outcome.Created ? "created" : "updated")} in the shop{(product.Variants.Count > 0 ? $" with {product.Variants.Count} variants" : "")}.", product.Sku);
                        result = result with { Products = result.Products + 1 };
                        continue;
                    }
                    // Through the queue, so it is retried and ends as a dead letter with its reason, replayable once the merchant fixed the shop.
                    await inbox.AcceptAsync(ctx.ShopKey, $"pos-product:{product.Sku}:{state.CatalogCursor}", ProductKind, JsonSerializer.Serialize(product, JsonDefaults.Options));
                    await LogAsync(ctx.ShopKey, "pos.product", ActivityOutcome.Retrying, $"Product {product.Sku} not written: {outcome.Rejected}", product.Sku);
                    result = result with { Rejected = result.Rejected + 1 };
                }
            }
            state = state with { CatalogCursor = changes.NextCursor ?? state.CatalogCursor, ProductsWritten = state.ProductsWritten + changes.Products.Count };
            await SaveStateAsync(ctx.ShopKey, state);
            if (!changes.More) break;
        }
        return (state, result);
    }

    private async Task<(PosState, PosRunResult)> StockAsync(PosContext ctx, PosState state, PosRunResult result, CancellationToken ct)
    {
        var changes = await ctx.Till.PullStockAsync(state.StockCursor, ct);
        if (changes.Levels.Count == 0) return (state with { StockCursor = changes.NextCursor ?? state.StockCursor }, result);
        var levels = changes.Levels.Select(l => (l.Sku, Stock: ctx.Settings.StockCalculation.Apply(l))).ToList();
        var missing = new HashSet<string>(await ctx.Catalog.SetStockAsync(ctx.ShopKey, levels, ctx.Settings.ManageStock, ct), StringComparer.Ordinal);
        var logged = 0;
        foreach (var (sku, stock) in levels)
        {
            if (logged++ >= StockEntriesPerRun) break;
            if (missing.Contains(sku))
                await LogAsync(ctx.ShopKey, "pos.stock", ActivityOutcome.Skipped, $"Stock of {sku} not written: the shop has no product with this SKU.", sku);
            else
                await LogAsync(ctx.ShopKey, "pos.stock", ActivityOutcome.Ok, $"Stock of {sku} set to {stock.ToString(CultureInfo.InvariantCulture)}.", sku);
        }
        if (levels.Count > StockEntriesPerRun)
            await LogAsync(ctx.ShopKey, "pos.stock", ActivityOutcome.Ok,
                $"Stock of {levels.Count - missing.Count} articles written in this run ({missing.Count} not in the shop); the first {StockEntriesPerRun} are listed.", null);
        state = state with { StockCursor = changes.NextCursor ?? state.StockCursor, StockWritten = state.StockWritten + levels.Count - missing.Count };
        await SaveStateAsync(ctx.ShopKey, state);
        return (state, result with { Stock = result.Stock + levels.Count - missing.Count });
    }

    /// <summary>
    /// Queues the shop's orders in the chosen statuses, read through the platform's order reader (the one the
    /// order sync uses) from the last run's start less the shop clock's uncertainty: an order queued already is
    /// not queued again, one missed would wait until it changes.
    /// </summary>
    private async Task<(PosState, PosRunResult)> OrdersAsync(PosContext ctx, PosState state, PosRunResult result, CancellationToken ct)
    {
        var started = time.GetUtcNow();
        DateTimeOffset? since = DateTimeOffset.TryParse(state.OrderCursor, CultureInfo.InvariantCulture, DateTimeStyles.None, out var cursor) ? cursor : null;
        var statuses = ctx.Settings.OrderStatuses.ToHashSet(StringComparer.OrdinalIgnoreCase);
        var queued = 0;
        string? position = null;
        do
        {
            var page = await ctx.Orders.ReadChangedAsync(ctx.ShopKey, since, position, ct);
            foreach (var order in page.Orders.Where(o => statuses.Contains(o.StatusId)))
            {
                // The shop's order number is the dedup key: overlapping reads and later status changes queue it once.
                if (await inbox.AcceptAsync(ctx.ShopKey, "pos-order:" + order.Number, OrderKind, JsonSerializer.Serialize(order, JsonDefaults.Options)) == AcceptOutcome.Accepted)
                {
                    queued++;
                    await LogAsync(ctx.ShopKey, "pos.order", ActivityOutcome.Ok, $"Order {order.Number} ({order.StatusId}) queued for the till.", order.Number);
                }
            }
            position = page.Next;
        }
        while (position is not null);
        state = state with { OrderCursor = (started - ctx.ShopClock.Uncertainty).ToString("O", CultureInfo.InvariantCulture), OrdersQueued = state.OrdersQueued + queued };
        await SaveStateAsync(ctx.ShopKey, state);
        return (state, result with { Orders = result.Orders + queued });
    }

    private Task LogAsync(string shopKey, string kind, ActivityOutcome outcome, string message, string? reference) =>
        activity.AppendAsync(shopKey, new ActivityEntry(time.GetUtcNow(), kind, outcome, message, EventId: reference));
}

/// <summary>
/// Runs each shop's <see cref="PosSync"/> when its <see cref="PosSettings.PollSeconds"/> have passed. Every
/// instance runs this loop; the runner's lock keeps one run per shop.
/// </summary>
public sealed class PosScheduler(ShopDirectory directory, PosSettingsStore settings, PosSync sync, IOptions<SyncOptions> options, TimeProvider time, ILogger<PosScheduler> logger)
    : BackgroundService
{
    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        options.Value.BackgroundEnabled
            ? SchedulerLoop.RunAsync("Till sync scheduling", RunDueAsync, options.Value.PosTick, time, logger, stoppingToken)
            : Task.CompletedTask;

    /// <summary>One pass: every active shop with a till switched on whose poll interval has passed, or whose till asked for a run, runs once.</summary>
    public async Task<int> RunDueAsync(CancellationToken ct = default)
    {
        var ran = 0;
        foreach (var shop in await directory.ListAsync())
        {
            ct.ThrowIfCancellationRequested();
            if (shop.Status != ShopStatus.Active) continue;
            var s = await settings.GetWithoutCredentialsAsync(shop.Key);
            if (!s.Enabled || s.Till is null) continue;
            var state = await sync.GetStateAsync(shop.Key);
            if (state.LastRunAt is { } last && time.GetUtcNow() - last < TimeSpan.FromSeconds(s.PollSeconds) && !await sync.RunRequestedAsync(shop.Key)) continue;
            if ((await sync.RunOnceAsync(shop.Key, ct)).Outcome == PosRunOutcome.Done) ran++;
        }
        return ran;
    }
}

using System.Text.Json;
using Relay.Storage;
using Relay.Sync;

namespace Relay.Orders;

/// <summary>
/// Where a running order sync stands: its run, the changes it reads (<see cref="Since"/>, null: all
/// orders) and the platform's position of the next page (null: the first).
/// </summary>
public sealed record OrderSyncCursor(string RunId, DateTimeOffset? Since, string? Position);

/// <summary>An order sync's progress and counts, as the admin page shows it.</summary>
/// <param name="Trigger">"button" or "nightly".</param>
public sealed record OrderSyncProgress(
    SyncState State,
    string Trigger,
    long Done,
    long? Total,
    long Sent,
    long Waiting,
    long Failed,
    DateTimeOffset? StartedAt,
    DateTimeOffset? FinishedAt,
    string? Error = null)
{
    public static readonly OrderSyncProgress Idle = new(SyncState.Idle, "button", 0, null, 0, 0, 0, null, null);

    /// <summary>The same figures in the shape the full sync's progress view reads (rate and estimate).</summary>
    public SyncProgress AsSyncProgress() => new(State, Done, Total, StartedAt, FinishedAt, Error, Failed);
}

/// <summary>
/// Order syncs, one at a time per shop: a second start (the button pressed again, the nightly run
/// while one runs) joins the running one. Each reads only orders changed since the last finished run
/// began (less the shop clock's uncertainty), and the ledger skips what the target already has, so
/// the history is not sent again. State, cursor and the last run's start survive a restart in the store.
/// </summary>
public sealed class OrderSyncJobs(IRelayStore store, TimeProvider time)
{
    private static string Key(string shopKey) => StoreKeys.ShopItem(shopKey, "orders:sync");
    private static string RunKey(string shopKey) => StoreKeys.ShopItem(shopKey, "orders:sync:run");
    private static string CursorKey(string shopKey) => StoreKeys.ShopItem(shopKey, "orders:sync:cursor");
    /// <summary>When the last finished run began: the next run reads changes from there.</summary>
    private static string SinceKey(string shopKey) => StoreKeys.ShopItem(shopKey, "orders:sync:since");
    /// <summary>The shop-local date of the last nightly start, so one night starts one run.</summary>
    private static string NightKey(string shopKey) => StoreKeys.ShopItem(shopKey, "orders:sync:night");

    public async Task<OrderSyncProgress> GetAsync(string shopKey) =>
        await store.GetAsync(Key(shopKey)) is { } json ? JsonSerializer.Deserialize<OrderSyncProgress>(json, JsonDefaults.Options)! : OrderSyncProgress.Idle;

    /// <summary>Starts a run, or returns the one already running (<c>Joined</c> true).</summary>
    public async Task<(OrderSyncProgress Progress, bool Joined)> StartAsync(string shopKey, string trigger)
    {
        var runId = Guid.NewGuid().ToString("N");
        if (!await store.SetIfAbsentAsync(RunKey(shopKey), runId))
        {
            var current = await GetAsync(shopKey);
            if (current.State == SyncState.Running) return (current, true);
            await store.SetAsync(RunKey(shopKey), runId); // left by a run whose process died before finishing
        }
        DateTimeOffset? since = await store.GetAsync(SinceKey(shopKey)) is { } text ? DateTimeOffset.Parse(text, System.Globalization.CultureInfo.InvariantCulture) : null;
        await SaveCursorAsync(shopKey, new OrderSyncCursor(runId, since, null));
        var started = OrderSyncProgress.Idle with { State = SyncState.Running, Trigger = trigger, StartedAt = time.GetUtcNow() };
        await SaveAsync(shopKey, started);
        return (started, false);
    }

    /// <summary>Claims tonight's nightly run for a shop-local date; false when this night already had one.</summary>
    public async Task<bool> ClaimNightAsync(string shopKey, DateOnly night)
    {
        var text = night.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
        if (await store.GetAsync(NightKey(shopKey)) == text) return false;
        await store.SetAsync(NightKey(shopKey), text);
        return true;
    }

    public async Task<string?> RunIdAsync(string shopKey) => await store.GetAsync(RunKey(shopKey));

    public async Task<OrderSyncCursor?> GetCursorAsync(string shopKey) =>
        await store.GetAsync(CursorKey(shopKey)) is { } json ? JsonSerializer.Deserialize<OrderSyncCursor>(json, JsonDefaults.Options) : null;

    public Task SaveCursorAsync(string shopKey, OrderSyncCursor cursor) =>
        store.SetAsync(CursorKey(shopKey), JsonSerializer.Serialize(cursor, JsonDefaults.Options));

    public Task SaveAsync(string shopKey, OrderSyncProgress progress) =>
        store.SetAsync(Key(shopKey), JsonSerializer.Serialize(progress, JsonDefaults.Options));

    /// <summary>Ends the run; a completed one moves the next run's start of changes to <paramref name="nextSince"/>.</summary>
    public async Task<OrderSyncProgress> FinishAsync(string shopKey, OrderSyncProgress result, DateTimeOffset? nextSince)
    {
        var finished = result with { FinishedAt = time.GetUtcNow() };
        await SaveAsync(shopKey, finished);
        if (nextSince is { } since) await store.SetAsync(SinceKey(shopKey), since.ToString("O"));
        await store.DeleteAsync(RunKey(shopKey));
        await store.DeleteAsync(CursorKey(shopKey));
        return finished;
    }
}

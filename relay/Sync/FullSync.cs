using System.Text.Json;
using Relay.Mapping;
using Relay.Settings;
using Relay.Storage;

namespace Relay.Sync;

public enum SyncState { Idle, Running, Completed, Cancelled, Failed }

/// <summary>A full sync's progress as the admin page shows it (count, rate and ETA are derived from it).</summary>
public sealed record SyncProgress(
    SyncState State,
    long Done,
    long? Total,
    DateTimeOffset? StartedAt,
    DateTimeOffset? FinishedAt,
    string? Error = null,
    long Failed = 0)
{
    public static readonly SyncProgress Idle = new(SyncState.Idle, 0, null, null, null);
}

/// <summary>
/// Where a running full sync stands: which run it belongs to (a cancel and a new start must not be
/// confused with the old run), which kind of record and which page comes next.
/// </summary>
public sealed record FullSyncCursor(string RunId, ShopRecordKind Phase, int Page);

/// <summary>
/// Full syncs, one at a time per shop: a second start joins the running one. This is the contract the
/// admin page talks to; <see cref="FullSyncRunner"/> does the work, picked up by
/// <see cref="FullSyncWorker"/> on whichever instance holds the shop's lease.
/// </summary>
public sealed class FullSync(IRelayStore store, TimeProvider time)
{
    private static string Key(string shopKey) => StoreKeys.ShopItem(shopKey, "fullsync");
    /// <summary>The running sync's id; SET NX on it is what makes a second start join instead of starting over.</summary>
    private static string RunKey(string shopKey) => StoreKeys.ShopItem(shopKey, "fullsync:run");
    private static string CursorKey(string shopKey) => StoreKeys.ShopItem(shopKey, "fullsync:cursor");
    /// <summary>Set once the shop was first configured to sync; kept (the shop's purge removes it with the rest).</summary>
    private static string ConfiguredKey(string shopKey) => StoreKeys.ShopItem(shopKey, "fullsync:configured");

    public async Task<SyncProgress> GetAsync(string shopKey) =>
        await store.GetAsync(Key(shopKey)) is { } json ? JsonSerializer.Deserialize<SyncProgress>(json, JsonDefaults.Options)! : SyncProgress.Idle;

    /// <summary>Starts a sync, or returns the one already running.</summary>
    public async Task<SyncProgress> StartAsync(string shopKey)
    {
        var runId = Guid.NewGuid().ToString("N");
        if (!await store.SetIfAbsentAsync(RunKey(shopKey), runId))
        {
            var current = await GetAsync(shopKey);
            if (current.State == SyncState.Running) return current;
            // A marker a finished run did not get to delete (the process died in between).
            await store.SetAsync(RunKey(shopKey), runId);
        }
        await store.SetAsync(CursorKey(shopKey), JsonSerializer.Serialize(new FullSyncCursor(runId, ShopRecordKind.Customer, 1), JsonDefaults.Options));
        var started = new SyncProgress(SyncState.Running, 0, null, time.GetUtcNow(), null);
        await SaveAsync(shopKey, started);
        return started;
    }

    /// <summary>
    /// The admin's save hook: the first save that makes a shop sync (switch on and a target) starts a
    /// full sync, so the marketing system begins with everything the shop holds. Later saves, a shop
    /// that was already syncing before the save, and a second call for the same save start nothing.
    /// Returns the started (or joined) sync, or null.
    /// </summary>
    /// <param name="previous">The settings before the save (version 0 defaults for a first save).</param>
    /// <param name="saved">The settings as saved.</param>
    public async Task<SyncProgress?> StartIfFirstConfigurationAsync(string shopKey, ShopSettings previous, ShopSettings saved)
    {
        if (!Syncs(saved)) return null;
        // Set even when nothing starts: a shop that was syncing before this marker existed is not "first" later.
        var first = await store.SetIfAbsentAsync(ConfiguredKey(shopKey), time.GetUtcNow().ToString("O"));
        if (!first || Syncs(previous)) return null;
        return await StartAsync(shopKey);

        static bool Syncs(ShopSettings s) => s.Version > 0 && s.SyncEnabled && s.Target is not null;
    }

    public async Task<SyncProgress> CancelAsync(string shopKey)
    {
        var current = await GetAsync(shopKey);
        if (current.State != SyncState.Running) return current;
        return await FinishAsync(shopKey, current with { State = SyncState.Cancelled });
    }

    // ---- For the runner --------------------------------------------------------------------

    public async Task<string?> RunIdAsync(string shopKey) => await store.GetAsync(RunKey(shopKey));

    public async Task<FullSyncCursor?> GetCursorAsync(string shopKey) =>
        await store.GetAsync(CursorKey(shopKey)) is { } json ? JsonSerializer.Deserialize<FullSyncCursor>(json, JsonDefaults.Options) : null;

    public Task SaveCursorAsync(string shopKey, FullSyncCursor cursor) =>
        store.SetAsync(CursorKey(shopKey), JsonSerializer.Serialize(cursor, JsonDefaults.Options));

    public Task SaveAsync(string shopKey, SyncProgress progress) =>
        store.SetAsync(Key(shopKey), JsonSerializer.Serialize(progress, JsonDefaults.Options));

    /// <summary>Ends the run: the result stays for the admin page, the run marker and cursor go.</summary>
    public async Task<SyncProgress> FinishAsync(string shopKey, SyncProgress result)
    {
        var finished = result with { FinishedAt = time.GetUtcNow() };
        await SaveAsync(shopKey, finished);
        await store.DeleteAsync(RunKey(shopKey));
        await store.DeleteAsync(CursorKey(shopKey));
        return finished;
    }
}

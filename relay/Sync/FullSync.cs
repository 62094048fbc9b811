using System.Text.Json;
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
/// Full syncs, one at a time per shop: a second start joins the running one. The work itself is
/// done by the sync engine (issue 6); this is the contract the admin page talks to.
/// </summary>
public sealed class FullSync(IRelayStore store, TimeProvider time)
{
    private static string Key(string shopKey) => StoreKeys.ShopItem(shopKey, "fullsync");

    public async Task<SyncProgress> GetAsync(string shopKey) =>
        await store.GetAsync(Key(shopKey)) is { } json ? JsonSerializer.Deserialize<SyncProgress>(json, JsonDefaults.Options)! : SyncProgress.Idle;

    /// <summary>Starts a sync, or returns the one already running.</summary>
    public async Task<SyncProgress> StartAsync(string shopKey)
    {
        var current = await GetAsync(shopKey);
        if (current.State == SyncState.Running) return current;
        var started = new SyncProgress(SyncState.Running, 0, null, time.GetUtcNow(), null);
        await store.SetAsync(Key(shopKey), JsonSerializer.Serialize(started, JsonDefaults.Options));
        return started;
    }

    public async Task<SyncProgress> CancelAsync(string shopKey)
    {
        var current = await GetAsync(shopKey);
        if (current.State != SyncState.Running) return current;
        var cancelled = current with { State = SyncState.Cancelled, FinishedAt = time.GetUtcNow() };
        await store.SetAsync(Key(shopKey), JsonSerializer.Serialize(cancelled, JsonDefaults.Options));
        return cancelled;
    }
}

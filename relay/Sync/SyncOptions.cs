namespace Relay.Sync;

public sealed class SyncOptions
{
    public const string Section = "Sync";

    /// <summary>Off: no pull-back scheduler and no full-sync worker in this process (tests drive them by hand).</summary>
    public bool BackgroundEnabled { get; set; } = true;

    /// <summary>How often the background loops look for due pull-backs and running full syncs.</summary>
    public TimeSpan SchedulerTick { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>A pull-back lock outlives a crashed runner by at most this long.</summary>
    public TimeSpan PullLockTimeout { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>A full sync whose instance stopped renewing its lease for this long is resumed by another.</summary>
    public TimeSpan FullSyncLease { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Addresses per pull for targets asked by address (<see cref="Targets.ITargetProvider.PullsByAddress"/>).</summary>
    public int PullAddressChunk { get; set; } = 1000;
}

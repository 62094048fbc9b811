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

    /// <summary>
    /// How often the point-of-sale loop looks for shops whose till is due (each shop's own
    /// <c>PosSettings.PollSeconds</c>). With a 1 s tick and the tightest poll of 2 s, a stock change in the
    /// till reaches the shop within about 3 s plus the calls.
    /// </summary>
    public TimeSpan PosTick { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Catalog pages one run reads before it lets the stock and orders of the shop have their turn.</summary>
    public int PosCatalogPagesPerRun { get; set; } = 1000;
}

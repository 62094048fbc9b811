using Microsoft.Extensions.Options;
using Relay.Pipeline;

namespace Relay.Shops;

/// <summary>
/// Forgets shops that were uninstalled with their user data kept once their <see cref="ShopInfo.KeptUntil"/>
/// has passed: every key, as an uninstall without kept data does at once. Every instance runs it (at
/// start, then hourly); forgetting a shop twice is harmless, so instances need no lock.
/// </summary>
public sealed class KeptShopSweep(
    ShopDirectory directory, IOptions<PipelineOptions> pipeline, TimeProvider time, ILogger<KeptShopSweep> logger) : BackgroundService
{
    /// <summary>Retentions are counted in days; an hour late is within what the README promises.</summary>
    public static readonly TimeSpan Interval = TimeSpan.FromHours(1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Paced by the machine's clock: a chore, not a deadline (which time decides).
        using var timer = new PeriodicTimer(Interval);
        do
        {
            try
            {
                await SweepAsync(stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogWarning("Sweeping kept shops failed; trying again in {Interval}: {Error}", Interval, e.Message);
            }
        }
        while (await WaitAsync(timer, stoppingToken));
    }

    private static async Task<bool> WaitAsync(PeriodicTimer timer, CancellationToken ct)
    {
        try { return await timer.WaitForNextTickAsync(ct); }
        catch (OperationCanceledException) { return false; }
    }

    /// <summary>One pass; returns the number of shops forgotten.</summary>
    public async Task<int> SweepAsync(CancellationToken ct = default)
    {
        var now = time.GetUtcNow();
        var forgotten = 0;
        foreach (var listed in await directory.ListAsync())
        {
            ct.ThrowIfCancellationRequested();
            if (!IsDue(listed, now)) continue;
            // A reinstall since the listing brought the shop back: it keeps its data.
            if (await directory.GetAsync(listed.Key) is not { } shop || !IsDue(shop, now)) continue;
            await directory.ForgetAsync(shop.Key, pipeline.Value.Partitions);
            logger.LogInformation("Forgot {ShopKey}: its kept user data reached the end of its retention ({KeptUntil:O})", shop.Key, shop.KeptUntil);
            forgotten++;
        }
        return forgotten;
    }

    private static bool IsDue(ShopInfo shop, DateTimeOffset now) =>
        shop.Status == ShopStatus.Deleted && shop.KeptUntil is { } until && until <= now;
}

using Relay.Settings;
using Relay.Sync;
using Relay.Tests.Platforms.Shoper;
using Simulators.Spotler;

namespace Relay.Tests.Faults;

/// <summary>A Shoper full sync while the shop answers 429 (Retry-After: 1) in repeated storms, on the testbed's manual clock.</summary>
[Collection(ShoperTestbed.Collection)]
public sealed class ShoperStormFaultTests
{
    [Fact]
    public async Task A_Shoper_full_sync_through_repeated_429_storms_completes_without_a_dead_letter()
    {
        await using var bed = await ShoperTestbed.StartAsync(settings: new() { ["Sync:BackgroundEnabled"] = "false" });
        await bed.InstallAsync();
        await using var spotler = await SpotlerSimulator.StartAsync("ck", "cs", bed.Time);
        var (saved, _) = await bed.Get<ShopSettingsStore>().SaveAsync(bed.ShopKey, new ShopSettings
        {
            SyncEnabled = true,
            Target = new TargetSettings
            {
                Kind = "spotler",
                BaseUrl = spotler.BaseUrl,
                Credentials = new Dictionary<string, string> { ["consumerKey"] = "ck", ["consumerSecret"] = "cs" },
            },
        }, 0);
        Assert.Equal(SaveOutcome.Saved, saved);
        for (var i = 0; i < 120; i++) bed.Shop.SeedSubscriber($"subskrybent{i:D3}@example.pl");
        var tooManyBefore = bed.Shop.Read(s => s.TooManyRequests);
        var jobs = bed.Get<FullSync>();
        var runner = bed.Get<FullSyncRunner>();

        await jobs.StartAsync(bed.ShopKey);
        for (var round = 0; round < 40; round++)
        {
            // A storm before each of the first pages: two 429s in a row, Retry-After 1 s each.
            if (round < 4) bed.Shop.FailNext(429, 1, times: 2);
            if (await runner.RunAsync(bed.ShopKey, "instance-a", maxPages: 1) == FullSyncRunOutcome.Finished) break;
            bed.Time!.Advance(TimeSpan.FromSeconds(2));
        }

        var progress = await jobs.GetAsync(bed.ShopKey);
        Assert.Equal(SyncState.Completed, progress.State);
        Assert.Equal(120, progress.Done);
        Assert.Equal(0, progress.Failed);
        Assert.Null(progress.Error);
        Assert.Equal(120, spotler.Contacts.Count);
        Assert.Equal(8, bed.Shop.Read(s => s.TooManyRequests) - tooManyBefore);
        Assert.Empty(await bed.Get<Relay.Storage.IRelayStore>().ListDeadLettersAsync(bed.ShopKey, 10));
    }
}

using Relay.Storage;
using Relay.Sync;
using Relay.Tests.Infrastructure;

namespace Relay.Tests.Sync;

/// <summary>Two relay instances on one real Redis: one full sync and one pull-back per shop, whichever instance runs them.</summary>
public sealed class SyncRedisTests(RedisServer redis) : IClassFixture<RedisServer>
{
    private Dictionary<string, string?> OnRedis() => new() { ["Storage:Redis"] = redis.ConnectionString };

    [Fact]
    public async Task A_second_instance_resumes_a_dead_instances_full_sync_from_its_cursor()
    {
        await using var bed = await SyncTestbed.StartAsync(OnRedis());
        await using var second = bed.SecondInstance(OnRedis());
        await bed.ConfigureAsync(bed.SpotlerTarget());
        for (var i = 0; i < 1150; i++) bed.AddCustomer($"redis{i:D4}@example.nl");

        await bed.Get<FullSync>().StartAsync(bed.ShopKey);
        Assert.Equal(FullSyncRunOutcome.Paused, await bed.Get<FullSyncRunner>().RunAsync(bed.ShopKey, "instance-a", maxPages: 1));
        // Instance A dies holding its lease; on Redis the lease simply runs out. Here: it is gone.
        var lease = StoreKeys.ShopItem(bed.ShopKey, "fullsync:lease");
        await bed.Get<IRelayStore>().SetAsync(lease, "instance-a", TimeSpan.FromMinutes(10));
        Assert.Equal(FullSyncRunOutcome.Busy, await second.Get<FullSyncRunner>().RunAsync(bed.ShopKey, "instance-b"));
        await bed.Get<IRelayStore>().DeleteAsync(lease);

        Assert.Equal(FullSyncRunOutcome.Finished, await second.Get<FullSyncRunner>().RunAsync(bed.ShopKey, "instance-b"));

        var progress = await bed.Get<FullSync>().GetAsync(bed.ShopKey);
        Assert.Equal(SyncState.Completed, progress.State);
        Assert.Equal(1150, progress.Done);
        // Pages of 500 in Spotler batches of 100; the page instance A finished was not sent again.
        Assert.Equal([.. Enumerable.Repeat(100, 11), 50], bed.Spotler.ContactListBatches);
    }

    [Fact]
    public async Task While_one_instance_pulls_a_shop_the_other_stays_out()
    {
        await using var bed = await SyncTestbed.StartAsync(OnRedis());
        await using var second = bed.SecondInstance(OnRedis());
        await bed.ConfigureAsync(bed.SpotlerTarget());
        var runLock = StoreKeys.ShopItem(bed.ShopKey, "pullback:lock");
        Assert.True(await bed.Get<IRelayStore>().SetIfAbsentAsync(runLock, "instance-a", TimeSpan.FromMinutes(10)));

        Assert.Equal(PullBackOutcome.Busy, (await second.Get<PullBackRunner>().RunOnceAsync(bed.ShopKey)).Outcome);
        Assert.Equal("instance-a", await bed.Get<IRelayStore>().GetAsync(runLock));

        await bed.Get<IRelayStore>().DeleteAsync(runLock);
        Assert.Equal(PullBackOutcome.Done, (await second.Get<PullBackRunner>().RunOnceAsync(bed.ShopKey)).Outcome);
        Assert.NotNull((await bed.Get<PullBackRunner>().GetStateAsync(bed.ShopKey)).LastRunAt);
    }
}

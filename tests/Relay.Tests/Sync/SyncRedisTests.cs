using Relay.Storage;
using Relay.Sync;
using Relay.Tests.Infrastructure;

namespace Relay.Tests.Sync;

/// <summary>
/// Two relay instances on one real Redis (one redis-server, or the cluster): one full sync and one
/// pull-back per shop, whichever instance runs them.
/// </summary>
public abstract class SyncRedisContract(ITestRedis redis)
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
    public async Task A_newer_Shopware_delivery_handled_by_one_instance_waits_for_an_older_write_in_flight_on_the_other()
    {
        await using var bed = await SyncTestbed.StartAsync(OnRedis(), webhooksRework: true);
        await using var second = bed.SecondInstance(OnRedis());
        await bed.ConfigureAsync(bed.SpotlerTarget());
        var customer = bed.AddCustomer("anna@example.nl", first: "Anna");
        var shop = bed.Shopware.Shop;

        customer.FirstName = "Bea";
        (await shop.SendWebhookAsync("customer.written", Platforms.Shopware.ShopwareTestbed.CustomerWritten(customer.Id))).Dispose();
        var held = bed.Spotler.Faults.HoldNext();
        var instanceA = bed.ProcessQueueAsync();
        await held.Arrived;

        customer.FirstName = "Cleo";
        (await shop.SendWebhookAsync("customer.written", Platforms.Shopware.ShopwareTestbed.CustomerWritten(customer.Id))).Dispose();
        await second.Get<Relay.Pipeline.QueueWorker>().ProcessOnceAsync();
        held.Release();
        await instanceA;
        Assert.Equal("Bea", bed.Spotler.Contacts["anna@example.nl"].Properties["firstName"]);

        bed.Time.Advance(TimeSpan.FromMinutes(1));
        await second.Get<Relay.Pipeline.QueueWorker>().ProcessOnceAsync();
        Assert.Equal("Cleo", bed.Spotler.Contacts["anna@example.nl"].Properties["firstName"]);
        Assert.Empty(await bed.DeadLettersAsync());
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

    [Fact]
    public async Task A_full_sync_whose_worker_dies_at_half_is_finished_by_a_new_instance_on_the_same_Redis()
    {
        var onRedis = ShopwareEndToEndTests.Unpaced(new() { ["Storage:Redis"] = redis.ConnectionString });
        await using var bed = await SyncTestbed.StartAsync(onRedis);
        const int count = 1_000;
        for (var i = 0; i < count; i++) bed.AddCustomer($"half{i:D4}@example.nl", number: $"H{i:D4}");
        await bed.SaveAsAdminAsync(s => s with { Target = bed.SpotlerTarget(), SyncEnabled = true });

        // The first worker does half of the pages and dies holding its lease.
        Assert.Equal(FullSyncRunOutcome.Paused, await bed.Get<FullSyncRunner>().RunAsync(bed.ShopKey, "worker-a", maxPages: 1));
        await bed.Get<IRelayStore>().SetAsync(StoreKeys.ShopItem(bed.ShopKey, "fullsync:lease"), "worker-a", TimeSpan.FromMinutes(10));
        Assert.Equal(500, (await bed.Get<FullSync>().GetAsync(bed.ShopKey)).Done);

        // A new process on the same Redis waits for the lease to run out, then resumes from the cursor.
        await using var second = bed.SecondInstance(onRedis);
        Assert.Equal(FullSyncRunOutcome.Busy, await second.Get<FullSyncRunner>().RunAsync(bed.ShopKey, "worker-b"));
        await bed.Get<IRelayStore>().DeleteAsync(StoreKeys.ShopItem(bed.ShopKey, "fullsync:lease"));
        Assert.Equal(FullSyncRunOutcome.Finished, await second.Get<FullSyncRunner>().RunAsync(bed.ShopKey, "worker-b"));

        var progress = await bed.Get<FullSync>().GetAsync(bed.ShopKey);
        Assert.Equal(SyncState.Completed, progress.State);
        Assert.Equal(count, bed.Spotler.Contacts.Count);
        // Each contact at most once more than needed: here none, the cursor pointed at page 2.
        Assert.InRange(bed.Spotler.ContactListBatches.Sum(), count, count + 500);
    }
}

public sealed class SyncRedisTests(RedisServer redis) : SyncRedisContract(redis), IClassFixture<RedisServer>;

[Collection(RedisCluster.Collection)]
public sealed class SyncRedisClusterTests(RedisCluster cluster) : SyncRedisContract(cluster);

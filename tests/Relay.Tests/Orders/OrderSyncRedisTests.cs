using Relay.Orders;
using Relay.Settings;
using Relay.Storage;
using Relay.Sync;
using Relay.Tests.Infrastructure;
using Relay.Tests.Sync;
using Simulators.MiniCrm;

namespace Relay.Tests.Orders;

/// <summary>
/// The order sync on a real Redis: a run whose instance dies is finished by another from the stored
/// position, no order is created twice; and of two shops only one can bind a MiniCRM system.
/// </summary>
public sealed class OrderSyncRedisTests(RedisServer redis) : IClassFixture<RedisServer>
{
    // Small pages, so that a few orders make several pages.
    private Dictionary<string, string?> OnRedis() => new() { ["Storage:Redis"] = redis.ConnectionString, ["Shopware:SearchPageSize"] = "3" };

    [Fact]
    public async Task An_order_sync_whose_instance_dies_is_finished_by_another_and_creates_every_order_once()
    {
        await using var bed = await SyncTestbed.StartAsync(OnRedis());
        await using var second = bed.SecondInstance(OnRedis());
        await using var minicrm = await MiniCrmSimulator.StartAsync("11223", "minicrm-api-key", bed.Time);
        minicrm.RequestsPerMinute = 6000;
        await bed.ConfigureAsync(OrderTestData.MiniCrm(minicrm.BaseUrl, "11223"), s => s with { Orders = OrderTestData.Pairing() });
        for (var i = 0; i < 8; i++) bed.ShopApi.AddOrder(OrderTestData.Order($"R{i}"));

        await bed.Get<OrderSyncJobs>().StartAsync(bed.ShopKey, "button");
        Assert.Equal(FullSyncRunOutcome.Paused, await bed.Get<OrderSyncRunner>().RunAsync(bed.ShopKey, "instance-a", maxPages: 1));
        var lease = StoreKeys.ShopItem(bed.ShopKey, "orders:sync:lease");
        await bed.Get<IRelayStore>().SetAsync(lease, "instance-a", TimeSpan.FromMinutes(10));
        Assert.Equal(FullSyncRunOutcome.Busy, await second.Get<OrderSyncRunner>().RunAsync(bed.ShopKey, "instance-b"));
        // The dead instance's lease runs out.
        await bed.Get<IRelayStore>().DeleteAsync(lease);
        Assert.Equal(FullSyncRunOutcome.Finished, await second.Get<OrderSyncRunner>().RunAsync(bed.ShopKey, "instance-b"));

        Assert.Equal(8, minicrm.Orders.Count);
        Assert.Equal(8, minicrm.Requests.Count(r => r.Method == "POST" && r.Path == "/Api/Order"));
        var run = await bed.Get<OrderSyncJobs>().GetAsync(bed.ShopKey);
        Assert.Equal((SyncState.Completed, 8L, 8L), (run.State, run.Done, run.Sent));
    }

    [Fact]
    public async Task Of_two_shops_binding_one_MiniCRM_system_at_once_exactly_one_gets_it()
    {
        await using var bed = await SyncTestbed.StartAsync(OnRedis());
        await using var other = await SyncTestbed.StartAsync(OnRedis());
        var target = OrderTestData.MiniCrm("https://r3.minicrm.hu", "99887");
        var bindings = bed.Get<TargetBindings>();

        var outcomes = await Task.WhenAll(bindings.MoveBindingAsync(bed.ShopKey, null, target), bindings.MoveBindingAsync(other.ShopKey, null, target));

        Assert.Single(outcomes, o => o is null);
        Assert.Contains(outcomes, o => o == bed.ShopKey || o == other.ShopKey);
        // The shop that has it gives it up when it moves to another system; then the other can bind.
        var holder = outcomes[0] is null ? bed.ShopKey : other.ShopKey;
        var waiting = holder == bed.ShopKey ? other.ShopKey : bed.ShopKey;
        Assert.Null(await bindings.MoveBindingAsync(holder, target, OrderTestData.MiniCrm("https://r3.minicrm.hu", "55555")));
        Assert.Null(await bindings.MoveBindingAsync(waiting, null, target));
    }
}

/// <summary>The nightly order sync: at the merchant's time in the shop's zone, once a night.</summary>
public sealed class NightlyOrderSyncTests : IAsyncLifetime
{
    private SyncTestbed _bed = null!;

    public async Task InitializeAsync() => _bed = await SyncTestbed.StartAsync();

    public async Task DisposeAsync() => await _bed.DisposeAsync();

    [Fact]
    public async Task The_nightly_sync_starts_at_the_merchants_time_in_the_shops_zone_once_a_night()
    {
        // 2026-11-22 09:00 UTC is 10:00 in Budapest; the merchant chose 02:30 there.
        await _bed.ConfigureAsync(OrderTestData.MiniCrm("https://r3.minicrm.hu"), s => s with
        {
            TimeZone = "Europe/Budapest",
            Orders = OrderTestData.Pairing() with { NightlyAt = "02:30" },
        });
        var worker = _bed.Get<OrderSyncWorker>();
        var jobs = _bed.Get<OrderSyncJobs>();

        // 10:00 is more than twelve hours after last night's 02:30: a shop configured by day does not start one.
        await worker.StartNightlyIfDueAsync(_bed.ShopKey);
        Assert.Equal(SyncState.Idle, (await jobs.GetAsync(_bed.ShopKey)).State);

        _bed.Time.Advance(TimeSpan.FromHours(16)); // 02:00 in Budapest
        await worker.StartNightlyIfDueAsync(_bed.ShopKey);
        Assert.Equal(SyncState.Idle, (await jobs.GetAsync(_bed.ShopKey)).State);

        _bed.Time.Advance(TimeSpan.FromMinutes(31)); // 02:31
        await worker.StartNightlyIfDueAsync(_bed.ShopKey);
        var started = await jobs.GetAsync(_bed.ShopKey);
        Assert.Equal((SyncState.Running, "nightly"), (started.State, started.Trigger));

        // Finished; later the same night nothing starts again, the next night it does.
        await jobs.FinishAsync(_bed.ShopKey, started with { State = SyncState.Completed }, null);
        _bed.Time.Advance(TimeSpan.FromHours(3));
        await worker.StartNightlyIfDueAsync(_bed.ShopKey);
        Assert.Equal(SyncState.Completed, (await jobs.GetAsync(_bed.ShopKey)).State);
        _bed.Time.Advance(TimeSpan.FromHours(21));
        await worker.StartNightlyIfDueAsync(_bed.ShopKey);
        Assert.Equal(SyncState.Running, (await jobs.GetAsync(_bed.ShopKey)).State);
    }
}

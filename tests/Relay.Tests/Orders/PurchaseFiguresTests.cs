using Relay.Orders;
using Relay.Sync;
using Relay.Tests.Infrastructure;
using Relay.Tests.Sync;
using Simulators.Shopware;
using static Relay.Tests.Orders.OrderTestData;

namespace Relay.Tests.Orders;

/// <summary>
/// Purchase figures on marketing contacts: a Shopware order placed, placed again (a re-delivered webhook) or
/// cancelled moves the buyer's first and last order, number of orders and total spent in Spotler through the
/// mapping; a full sync fills them from the shop's orders. On the embedded store and on Redis.
/// </summary>
public abstract class PurchaseFiguresTests : IAsyncLifetime
{
    private const string Buyer = "eva.kiss@example.hu";
    private SyncTestbed _bed = null!;

    protected abstract Dictionary<string, string?>? StoreSettings { get; }

    public async Task InitializeAsync() => _bed = await SyncTestbed.StartAsync(StoreSettings);

    public async Task DisposeAsync() => await _bed.DisposeAsync();

    private Task ConfigureAsync() => _bed.ConfigureAsync(_bed.SpotlerTarget(), s => s with { Customers = PurchaseMapping, Subscribers = PurchaseMapping });

    private SimulatedOrder PlaceOrder(string number, DateTimeOffset at, string payment = "paid")
    {
        var order = Order(number, Buyer, payment);
        order.OrderDateTime = at;
        return _bed.ShopApi.AddOrder(order);
    }

    private IReadOnlyDictionary<string, string> Figures() =>
        Assert.Single(_bed.Spotler.Contacts.Values, c => c.Properties.GetValueOrDefault("email") == Buyer).Properties;

    [Fact]
    public async Task A_placed_order_counts_once_however_often_it_arrives_and_a_cancelled_one_no_longer_counts()
    {
        _bed.AddCustomer(Buyer, "Éva", "Kiss");
        await ConfigureAsync();

        var first = PlaceOrder("20001", new DateTimeOffset(2026, 3, 1, 10, 0, 0, TimeSpan.Zero));
        await _bed.SendAsync("checkout.order.placed", Placed(first.Id));
        await _bed.ProcessQueueAsync();
        Assert.Equal(("2026-03-01", "2026-03-01", "1", "29.21 HUF"),
            (Figures()["firstPurchaseDate"], Figures()["lastPurchaseDate"], Figures()["profileField2"], Figures()["profileField3"]));

        var second = PlaceOrder("20002", new DateTimeOffset(2026, 4, 2, 10, 0, 0, TimeSpan.Zero));
        await _bed.SendAsync("checkout.order.placed", Placed(second.Id));
        await _bed.ProcessQueueAsync();
        Assert.Equal(("2026-03-01", "2026-04-02", "2", "58.42 HUF"),
            (Figures()["firstPurchaseDate"], Figures()["lastPurchaseDate"], Figures()["profileField2"], Figures()["profileField3"]));

        // The same order announced again changes nothing, so Spotler is not written.
        var writes = _bed.SpotlerWrites();
        await _bed.SendAsync("order.written", Written(second.Id));
        await _bed.ProcessQueueAsync();
        Assert.Equal(writes, _bed.SpotlerWrites());
        Assert.Equal("2", Figures()["profileField2"]);

        // Cancelled: it drops out of the count and the total.
        _bed.ShopApi.ChangeOrder(second.Id, o => o.StateMachineState = SimulatedState.Order("cancelled"));
        await _bed.SendAsync("state_enter.order.state.cancelled", Placed(second.Id));
        await _bed.ProcessQueueAsync();
        Assert.Equal(("1", "29.21 HUF"), (Figures()["profileField2"], Figures()["profileField3"]));
        Assert.Empty(await _bed.DeadLettersAsync());
    }

    [Fact]
    public async Task A_full_sync_fills_the_figures_of_existing_customers_from_the_shops_orders()
    {
        _bed.AddCustomer(Buyer, "Éva", "Kiss");
        _bed.AddCustomer("no.orders@example.hu", "Anna", "Nagy");
        PlaceOrder("30001", new DateTimeOffset(2025, 12, 24, 9, 0, 0, TimeSpan.Zero));
        PlaceOrder("30002", new DateTimeOffset(2026, 1, 5, 9, 0, 0, TimeSpan.Zero));
        PlaceOrder("30003", new DateTimeOffset(2026, 2, 5, 9, 0, 0, TimeSpan.Zero), payment: "refunded");
        await ConfigureAsync();

        await _bed.Get<FullSync>().StartAsync(_bed.ShopKey);
        Assert.Equal(FullSyncRunOutcome.Finished, await _bed.Get<FullSyncRunner>().RunAsync(_bed.ShopKey, "test"));

        Assert.Equal(("2025-12-24", "2026-01-05", "2", "58.42 HUF"),
            (Figures()["firstPurchaseDate"], Figures()["lastPurchaseDate"], Figures()["profileField2"], Figures()["profileField3"]));
        var withoutOrders = Assert.Single(_bed.Spotler.Contacts.Values, c => c.Properties.GetValueOrDefault("email") == "no.orders@example.hu");
        Assert.False(withoutOrders.Properties.ContainsKey("profileField2"));
    }
}

public sealed class PurchaseFiguresEmbeddedTests : PurchaseFiguresTests
{
    protected override Dictionary<string, string?>? StoreSettings => null;
}

public sealed class PurchaseFiguresRedisTests(RedisServer redis) : PurchaseFiguresTests, IClassFixture<RedisServer>
{
    protected override Dictionary<string, string?>? StoreSettings => new() { ["Storage:Redis"] = redis.ConnectionString };
}

using Relay.Mapping;
using Relay.Pipeline;
using Relay.Settings;
using Relay.Sync;
using Relay.Tests.Infrastructure;
using Relay.Tests.Platforms.Shoper;
using Simulators.Sare;
using Simulators.Shoper;
using Simulators.Spotler;

namespace Relay.Tests.Orders;

/// <summary>
/// Purchase figures for a Shoper shop: order.create, order.paid, order.status and order.edit name an order,
/// which is read again from REST; the buyer's first and last order, number of orders and total spent move in
/// Spotler (and in SARE, as custom properties) through the mapping. An order delivered again counts once, one whose status is of type 4 ("not
/// completed": cancelled) or that order.delete names drops out, and a full sync fills the figures from the shop's orders. On the
/// embedded store and on Redis.
/// </summary>
public abstract class ShoperPurchaseFiguresTests : IAsyncLifetime
{
    private const string Buyer = "anna@example.pl";
    private ShoperTestbed _bed = null!;
    private SpotlerSimulator _spotler = null!;

    protected abstract Dictionary<string, string?> StoreSettings { get; }

    public async Task InitializeAsync()
    {
        // On the real clock: the relay paces itself into the shop's bucket by waiting.
        var settings = new Dictionary<string, string?>(StoreSettings) { ["Sync:BackgroundEnabled"] = "false" };
        _bed = await ShoperTestbed.StartAsync(manualTime: false, shop: o => o.ShopLicense = "purchase" + Guid.NewGuid().ToString("N"), settings: settings);
        await _bed.InstallAsync();
        _spotler = await SpotlerSimulator.StartAsync("ck", "cs");
        var target = new TargetSettings
        {
            Kind = "spotler",
            BaseUrl = _spotler.BaseUrl,
            Credentials = new Dictionary<string, string> { ["consumerKey"] = "ck", ["consumerSecret"] = "cs" },
        };
        var (outcome, _) = await _bed.Get<ShopSettingsStore>().SaveAsync(_bed.ShopKey,
            new ShopSettings { Target = target, SyncEnabled = true, Customers = OrderTestData.PurchaseMapping, Subscribers = OrderTestData.PurchaseMapping }, 0);
        Assert.Equal(SaveOutcome.Saved, outcome);
    }

    public async Task DisposeAsync()
    {
        await _spotler.DisposeAsync();
        await _bed.DisposeAsync();
    }

    /// <summary>An order of 2 × 24.60 gross and 12.30 shipping, coupon taking 4.92: sum 56.58 PLN.</summary>
    private SimOrder PlaceOrder(string id, string status, DateTimeOffset at, string currencyId = "1")
    {
        var order = new SimOrder(id, Buyer, status, at, 56.58m, 12.30m, currencyId, PromoCode: "WIOSNA", Firstname: "Anna", Lastname: "Nowak");
        _bed.Shop.Orders[id] = order;
        _bed.Shop.OrderProducts.Add(new SimOrderProduct("1" + id, id, "Kubek", "KUB-1", 24.60m, 2, 23));
        return order;
    }

    private void SetStatus(string id, string status) => _bed.Shop.Orders[id] = _bed.Shop.Orders[id] with { StatusId = status };

    private async Task DeliverAsync(string eventName, SimOrder order)
    {
        using var response = await _bed.Client.SendAsync(_bed.Shop.BuildWebhookDelivery(eventName, _bed.Shop.OrderWebhookBody(_bed.Shop.Orders.GetValueOrDefault(order.OrderId) ?? order)));
        Assert.True(response.IsSuccessStatusCode, $"webhook refused: {(int)response.StatusCode}");
        await _bed.Get<QueueWorker>().ProcessOnceAsync();
    }

    private (string First, string Last, string Count, string Total) Figures()
    {
        var properties = Assert.Single(_spotler.Contacts.Values, c => c.Properties.GetValueOrDefault("email") == Buyer).Properties;
        return (properties["firstPurchaseDate"], properties["lastPurchaseDate"], properties["profileField2"], properties["profileField3"]);
    }

    private int SpotlerWrites() => _spotler.Requests.Count(r => r.Method is "POST" or "PUT");

    [Fact]
    public async Task Order_webhooks_move_the_figures_a_redelivered_order_counts_once_and_a_cancelled_or_deleted_one_drops_out()
    {
        _bed.Shop.SeedUser(Buyer, firstname: "Anna", lastname: "Nowak");

        var first = PlaceOrder("901", status: "1", new DateTimeOffset(2026, 3, 1, 10, 0, 0, TimeSpan.Zero));
        await DeliverAsync("order.create", first);
        Assert.Equal(("2026-03-01", "2026-03-01", "1", "56.58 PLN"), Figures());

        // Paid: the same order, its status moved; it still counts once and Spotler hears nothing new.
        var writes = SpotlerWrites();
        SetStatus("901", "2");
        await DeliverAsync("order.paid", first);
        await DeliverAsync("order.edit", first);
        Assert.Equal(("2026-03-01", "2026-03-01", "1", "56.58 PLN"), Figures());
        Assert.Equal(writes, SpotlerWrites());

        var second = PlaceOrder("902", status: "2", new DateTimeOffset(2026, 4, 2, 10, 0, 0, TimeSpan.Zero));
        await DeliverAsync("order.create", second);
        Assert.Equal(("2026-03-01", "2026-04-02", "2", "113.16 PLN"), Figures());

        // Cancelled (a status of type 4): it drops out of the count, the total and the last order.
        SetStatus("902", "4");
        await DeliverAsync("order.status", second);
        Assert.Equal(("2026-03-01", "2026-03-01", "1", "56.58 PLN"), Figures());

        // Deleted in the shop: the delete still names the buyer, and the order no longer counts.
        _bed.Shop.Orders.Remove("901");
        await DeliverAsync("order.delete", first);
        Assert.Equal("0", Figures().Count);
        Assert.Empty(await _bed.Get<global::Relay.Storage.IRelayStore>().ListDeadLettersAsync(_bed.ShopKey, 10));
    }

    [Fact]
    public async Task A_full_sync_fills_the_figures_of_existing_customers_from_the_shops_orders()
    {
        _bed.Shop.SeedUser(Buyer, firstname: "Anna", lastname: "Nowak");
        _bed.Shop.SeedUser("bez.zamowien@example.pl");
        PlaceOrder("951", status: "3", new DateTimeOffset(2025, 12, 24, 9, 0, 0, TimeSpan.Zero));
        PlaceOrder("952", status: "2", new DateTimeOffset(2026, 1, 5, 9, 0, 0, TimeSpan.Zero));
        PlaceOrder("953", status: "4", new DateTimeOffset(2026, 2, 5, 9, 0, 0, TimeSpan.Zero));
        // Paid in another currency: counted, but not in the total of the buyer's main currency.
        PlaceOrder("954", status: "2", new DateTimeOffset(2025, 11, 1, 9, 0, 0, TimeSpan.Zero), currencyId: "2");
        // Another customer's 60 orders: the orders take two pages of 50.
        _bed.Shop.SeedUser("stala.klientka@example.pl");
        for (var i = 0; i < 60; i++)
            _bed.Shop.Orders[(1000 + i).ToString(System.Globalization.CultureInfo.InvariantCulture)] =
                new SimOrder((1000 + i).ToString(System.Globalization.CultureInfo.InvariantCulture), "stala.klientka@example.pl", "3", new DateTimeOffset(2026, 1, 1, 9, 0, 0, TimeSpan.Zero).AddDays(i), 10m, 0m);

        await _bed.Get<FullSync>().StartAsync(_bed.ShopKey);
        Assert.Equal(FullSyncRunOutcome.Finished, await _bed.Get<FullSyncRunner>().RunAsync(_bed.ShopKey, "test"));

        Assert.Equal(("2025-11-01", "2026-01-05", "3", "113.16 PLN"), Figures());
        var regular = Assert.Single(_spotler.Contacts.Values, c => c.Properties.GetValueOrDefault("email") == "stala.klientka@example.pl").Properties;
        Assert.Equal(("60", "600.00 PLN"), (regular["profileField2"], regular["profileField3"]));
        // The figures need no lines, and the shop's statuses and currencies are read once for all the pages.
        var calls = _bed.Shop.Read(shop => shop.Requests.Select(r => r.Path).ToList());
        Assert.Equal(2, calls.Count(p => p.EndsWith("/orders", StringComparison.Ordinal)));
        Assert.DoesNotContain(calls, p => p.EndsWith("/order-products", StringComparison.Ordinal));
        Assert.Single(calls, p => p.EndsWith("/statuses", StringComparison.Ordinal));
        Assert.Single(calls, p => p.EndsWith("/currencies", StringComparison.Ordinal));
        var withoutOrders = Assert.Single(_spotler.Contacts.Values, c => c.Properties.GetValueOrDefault("email") == "bez.zamowien@example.pl");
        Assert.False(withoutOrders.Properties.ContainsKey("profileField2"));
    }

    [Fact]
    public async Task In_SARE_the_figures_are_custom_properties_of_the_subscriber()
    {
        await using var sare = await SareSimulator.StartAsync();
        var store = _bed.Get<ShopSettingsStore>();
        var current = await store.GetAsync(_bed.ShopKey);
        var mapping = new FieldMapping
        {
            Rules =
            [
                new FieldRule { Target = "first_order", Sources = [ShopFields.FirstOrderAt], Transforms = ["date:yyyy-MM-dd"] },
                new FieldRule { Target = "orders", Sources = [ShopFields.OrderCount] },
                new FieldRule { Target = "spent", Sources = [ShopFields.TotalSpent] },
            ],
        };
        var (outcome, _) = await store.SaveAsync(_bed.ShopKey, current with
        {
            Target = new TargetSettings
            {
                Kind = "sare",
                BaseUrl = sare.BaseUrl,
                Credentials = new Dictionary<string, string> { ["uid"] = "12345", ["apiKey"] = "0f8fad5b-d9cb-469f-a165-70867728950e" },
            },
            Customers = mapping,
            Subscribers = mapping,
        }, current.Version);
        Assert.Equal(SaveOutcome.Saved, outcome);
        _bed.Shop.SeedUser(Buyer, newsletter: true, firstname: "Anna", lastname: "Nowak");

        var first = PlaceOrder("971", status: "2", new DateTimeOffset(2026, 5, 1, 10, 0, 0, TimeSpan.Zero));
        await DeliverAsync("order.create", first);
        Assert.Equal(("2026-05-01", "1", "56.58"), (sare.Subscribers[Buyer].PropCust["first_order"], sare.Subscribers[Buyer].PropCust["orders"], sare.Subscribers[Buyer].PropCust["spent"]));

        SetStatus("971", "4");
        await DeliverAsync("order.status", first);
        Assert.Equal(("0", "0.00"), (sare.Subscribers[Buyer].PropCust["orders"], sare.Subscribers[Buyer].PropCust["spent"]));
    }
}

[Collection(ShoperTestbed.Collection)]
public sealed class ShoperPurchaseFiguresEmbeddedTests : ShoperPurchaseFiguresTests
{
    protected override Dictionary<string, string?> StoreSettings => [];
}

[Collection(ShoperTestbed.Collection)]
public sealed class ShoperPurchaseFiguresRedisTests(RedisServer redis) : ShoperPurchaseFiguresTests, IClassFixture<RedisServer>
{
    protected override Dictionary<string, string?> StoreSettings => new() { ["Storage:Redis"] = redis.ConnectionString };
}

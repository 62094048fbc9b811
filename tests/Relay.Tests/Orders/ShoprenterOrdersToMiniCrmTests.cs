using Relay.Orders;
using Relay.Pipeline;
using Relay.Platforms.Shoprenter;
using Relay.Settings;
using Relay.Sync;
using Relay.Tests.Platforms.Shoprenter;
using Simulators.MiniCrm;
using Simulators.Shoprenter;

namespace Relay.Tests.Orders;

/// <summary>
/// Shoprenter orders into MiniCRM: order_confirm and order_status_change name the order (innerResourceId),
/// which is read again as orderExtend with its products, totals and currency; the statuses to pair are
/// orderStatuses named by orderStatusDescriptions; the sync button pages orderExtend without abandoned carts.
/// </summary>
[Collection(ShoprenterTestbed.Collection)]
public sealed class ShoprenterOrdersToMiniCrmTests : IAsyncLifetime
{
    private static readonly string Pending = ShoprenterShopSimulator.OrderStatusId(1);
    private static readonly string Completed = ShoprenterShopSimulator.OrderStatusId(5);
    private static readonly string Cancelled = ShoprenterShopSimulator.OrderStatusId(7);

    private ShoprenterTestbed _bed = null!;
    private MiniCrmSimulator _minicrm = null!;

    public async Task InitializeAsync()
    {
        // On the real clock: the relay paces itself into the shop's 3 a second and MiniCRM's budget by waiting.
        _bed = await ShoprenterTestbed.StartAsync(time: TimeProvider.System);
        await _bed.InstallAsync();
        _minicrm = await MiniCrmSimulator.StartAsync("12345", "minicrm-api-key");
        _minicrm.RequestsPerMinute = 6000;
        var pairing = new OrderSettings
        {
            Enabled = true,
            StatusPairs = new Dictionary<string, string> { [Pending] = "Draft", [Completed] = "Successful", [Cancelled] = "Failed" },
            SendFrom = [Completed],
        };
        var (outcome, _) = await _bed.Get<ShopSettingsStore>().SaveAsync(_bed.ShopKey,
            new ShopSettings { Target = OrderTestData.MiniCrm(_minicrm.BaseUrl), SyncEnabled = true, Orders = pairing }, 0);
        Assert.Equal(SaveOutcome.Saved, outcome);
    }

    public async Task DisposeAsync()
    {
        await _minicrm.DisposeAsync();
        await _bed.DisposeAsync();
    }

    private SrOrder AddOrder(int id, int status, bool abandoned = false)
    {
        // 2 × 1000 HUF net at 27 %, shipping 1270 gross, coupon TAVASZ taking 254 gross: 3556 in all.
        var order = new SrOrder(id, "anna@example.hu", status, DateTimeOffset.Parse("2026-11-20T10:00:00Z"), _bed.Time.GetUtcNow(),
            [new SrOrderProduct("Bögre", "BOG-1", 1000m, 2, 27m)], ShippingGross: 1270m, CouponCode: "TAVASZ", CouponGross: 254m, AbandonedCart: abandoned);
        _bed.Shop.SeedOrder(order);
        return order;
    }

    private async Task DeliverAsync(string eventName, int id)
    {
        using var response = await _bed.Client.SendAsync(_bed.Shop.BuildWebhookDelivery(eventName, _bed.Shop.OrderPayload(id)));
        Assert.True(response.IsSuccessStatusCode, $"webhook refused: {(int)response.StatusCode}");
        await _bed.Get<QueueWorker>().ProcessOnceAsync();
    }

    [Fact]
    public async Task The_statuses_to_pair_are_the_shops_order_statuses_with_their_names()
    {
        var statuses = await _bed.Get<ShoprenterOrders>().ListStatusesAsync(_bed.ShopKey, CancellationToken.None);

        Assert.Equal([(Pending, "Függőben lévő"), (Completed, "Teljesítve"), (Cancelled, "Törölve")], statuses.Select(s => (s.Id, s.Name)));
    }

    [Fact]
    public async Task A_confirmed_order_waits_for_its_status_and_a_status_change_sends_it_with_shipping_and_coupon()
    {
        AddOrder(301, status: 1);
        await DeliverAsync("order_confirm", 301);
        Assert.Empty(_minicrm.Orders);

        _bed.Shop.Read(s => s.Orders[301] = s.Orders[301] with { StatusInnerId = 5 });
        await DeliverAsync("order_status_change", 301);

        var sent = Assert.Single(_minicrm.Orders.Values);
        Assert.Equal(("HUF", "Successful"), (sent.CurrencyCode, sent.Status));
        Assert.Equal(["Bögre", "Futárszolgálat", "Coupon: \"TAVASZ\""], sent.ItemNames);
        Assert.Equal(1000m, sent.Items[0]!["PriceNet"]!.GetValue<decimal>());
        Assert.Equal(1000m, sent.Items[1]!["PriceNet"]!.GetValue<decimal>());
        Assert.Equal(-200m, sent.Items[2]!["PriceNet"]!.GetValue<decimal>());

        _bed.Shop.Read(s => s.Orders[301] = s.Orders[301] with { StatusInnerId = 7 });
        await DeliverAsync("order_status_change", 301);
        Assert.Equal("Failed", Assert.Single(_minicrm.Orders.Values).Status);
        Assert.Empty(await _bed.Get<global::Relay.Storage.IRelayStore>().ListDeadLettersAsync(_bed.ShopKey, 10));
    }

    [Fact]
    public async Task The_sync_button_sends_every_completed_order_once_and_leaves_abandoned_carts_out()
    {
        foreach (var i in Enumerable.Range(1, 30)) AddOrder(400 + i, status: i % 3 == 0 ? 1 : 5, abandoned: i == 1);
        var jobs = _bed.Get<OrderSyncJobs>();
        var runner = _bed.Get<OrderSyncRunner>();

        await jobs.StartAsync(_bed.ShopKey, "button");
        Assert.Equal(FullSyncRunOutcome.Finished, await runner.RunAsync(_bed.ShopKey, "instance-a"));

        Assert.Equal(19, _minicrm.Orders.Count);
        var run = await jobs.GetAsync(_bed.ShopKey);
        Assert.Equal((SyncState.Completed, 29L, 19L, 0L), (run.State, run.Done, run.Sent, run.Failed));
        Assert.Contains(_bed.Shop.Read(s => s.Requests.ToList()), r => r.Path == "/orderExtend" && r.Query.Contains("excludeAbandonedCart=1"));
    }
}

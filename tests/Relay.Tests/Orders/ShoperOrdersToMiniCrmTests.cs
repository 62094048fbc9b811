using Relay.Orders;
using Relay.Pipeline;
using Relay.Settings;
using Relay.Sync;
using Relay.Tests.Platforms.Shoper;
using Simulators.MiniCrm;
using Simulators.Shoper;

namespace Relay.Tests.Orders;

/// <summary>
/// Shoper orders into MiniCRM: order webhooks (camelCase bodies) name the order, which is read again from
/// REST with its order-products, status and currency; the coupon is the order's promo_code.
/// </summary>
[Collection(ShoperTestbed.Collection)]
public sealed class ShoperOrdersToMiniCrmTests : IAsyncLifetime
{
    private ShoperTestbed _bed = null!;
    private MiniCrmSimulator _minicrm = null!;

    public async Task InitializeAsync()
    {
        // On the real clock: the relay paces itself into the shop's bucket and MiniCRM's budget by waiting.
        _bed = await ShoperTestbed.StartAsync(manualTime: false, settings: new() { ["Sync:BackgroundEnabled"] = "false" });
        await _bed.InstallAsync();
        _minicrm = await MiniCrmSimulator.StartAsync("12345", "minicrm-api-key");
        _minicrm.RequestsPerMinute = 6000;
        var pairing = new OrderSettings
        {
            Enabled = true,
            StatusPairs = new Dictionary<string, string> { ["1"] = "Draft", ["2"] = "Successful", ["3"] = "Successful", ["4"] = "Failed" },
            SendFrom = ["2", "3"],
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

    private SimOrder AddOrder(string id, string status)
    {
        // 2 × 24.60 gross at 23 %, shipping 12.30, coupon WIOSNA taking 4.92: sum 56.58.
        var order = new SimOrder(id, "anna@example.pl", status, DateTimeOffset.Parse("2026-11-20T10:00:00Z"), 56.58m, 12.30m, PromoCode: "WIOSNA");
        _bed.Shop.Orders[id] = order;
        _bed.Shop.OrderProducts.Add(new SimOrderProduct("1" + id, id, "Kubek", "KUB-1", 24.60m, 2, 23));
        return order;
    }

    private async Task DeliverAsync(string eventName, SimOrder order)
    {
        using var response = await _bed.Client.SendAsync(_bed.Shop.BuildWebhookDelivery(eventName, _bed.Shop.OrderWebhookBody(order)));
        Assert.True(response.IsSuccessStatusCode, $"webhook refused: {(int)response.StatusCode}");
        await _bed.Get<QueueWorker>().ProcessOnceAsync();
    }

    [Fact]
    public async Task A_new_order_waits_for_payment_and_order_paid_sends_it_with_its_coupon_and_shipping()
    {
        var order = AddOrder("701", status: "1");
        await DeliverAsync("order.create", order);
        Assert.Empty(_minicrm.Orders);

        _bed.Shop.Orders["701"] = order with { StatusId = "2" };
        await DeliverAsync("order.paid", order);

        var sent = Assert.Single(_minicrm.Orders.Values);
        Assert.Equal(("PLN", "Successful"), (sent.CurrencyCode, sent.Status));
        Assert.Equal(["Kubek", "Shipping", "Coupon: \"WIOSNA\""], sent.ItemNames);
        Assert.Equal(20.00m, sent.Items[0]!["PriceNet"]!.GetValue<decimal>());
        Assert.Equal(-4.00m, sent.Items[2]!["PriceNet"]!.GetValue<decimal>());

        // Cancelled later: the same order is cancelled in MiniCRM.
        _bed.Shop.Orders["701"] = order with { StatusId = "4" };
        await DeliverAsync("order.status", order);
        Assert.Equal("Failed", Assert.Single(_minicrm.Orders.Values).Status);
        Assert.Empty(await _bed.Get<global::Relay.Storage.IRelayStore>().ListDeadLettersAsync(_bed.ShopKey, 10));
    }

    [Fact]
    public async Task The_sync_button_sends_every_paid_order_once_and_a_second_run_sends_nothing()
    {
        foreach (var i in Enumerable.Range(1, 120)) AddOrder((800 + i).ToString(System.Globalization.CultureInfo.InvariantCulture), status: i % 3 == 0 ? "1" : "2");
        var jobs = _bed.Get<OrderSyncJobs>();
        var runner = _bed.Get<OrderSyncRunner>();

        await jobs.StartAsync(_bed.ShopKey, "button");
        // Pressing it again while it runs shows the running one.
        Assert.True((await jobs.StartAsync(_bed.ShopKey, "button")).Joined);
        Assert.Equal(FullSyncRunOutcome.Paused, await runner.RunAsync(_bed.ShopKey, "instance-a", maxPages: 1));
        // Another instance (a restart) carries on from the stored position.
        Assert.Equal(FullSyncRunOutcome.Finished, await runner.RunAsync(_bed.ShopKey, "instance-b"));

        Assert.Equal(80, _minicrm.Orders.Count);
        var run = await jobs.GetAsync(_bed.ShopKey);
        Assert.Equal((SyncState.Completed, 120L, 80L, 0L), (run.State, run.Done, run.Sent, run.Failed));

        var calls = _minicrm.Requests.Count;
        await jobs.StartAsync(_bed.ShopKey, "button");
        Assert.Equal(FullSyncRunOutcome.Finished, await runner.RunAsync(_bed.ShopKey, "instance-a"));
        Assert.Equal(calls, _minicrm.Requests.Count);
    }
}

using System.Net.Http.Json;
using Relay.Orders;
using Relay.Storage;
using Relay.Sync;
using Relay.Tests.Sync;
using Simulators.MiniCrm;
using Simulators.Shopware;
using static Relay.Tests.Orders.OrderTestData;

namespace Relay.Tests.Orders;

/// <summary>
/// Shopware orders into MiniCRM's Orders API: created once with their lines, coupon, shipping and
/// status, moved on as the shop's status changes; what cannot go is said in the activity log and waits
/// or becomes a dead letter with the reason, never dropped.
/// </summary>
public sealed class ShopwareOrdersToMiniCrmTests : IAsyncLifetime
{
    private SyncTestbed _bed = null!;
    private MiniCrmSimulator _minicrm = null!;

    public async Task InitializeAsync()
    {
        _bed = await SyncTestbed.StartAsync();
        _minicrm = await MiniCrmSimulator.StartAsync("12345", "minicrm-api-key", _bed.Time);
        _minicrm.RequestsPerMinute = 6000;
    }

    public async Task DisposeAsync()
    {
        await _minicrm.DisposeAsync();
        await _bed.DisposeAsync();
    }

    private Task ConfigureAsync(OrderSettings? orders = null) =>
        _bed.ConfigureAsync(MiniCrm(_minicrm.BaseUrl), s => s with { Orders = orders ?? Pairing() });

    private async Task<string> ActivityAboutAsync(string text) =>
        Assert.Single(await _bed.ActivityAsync(), a => a.Kind == OrderSync.ActivityKind && a.Message.Contains(text, StringComparison.Ordinal)).Message;

    [Fact]
    public async Task A_placed_paid_order_arrives_with_its_lines_coupon_and_shipping_and_a_refund_moves_the_same_order()
    {
        await ConfigureAsync();
        var order = _bed.ShopApi.AddOrder(Order("10001"));

        await _bed.SendAsync("checkout.order.placed", Placed(order.Id));
        await _bed.ProcessQueueAsync();

        var sent = Assert.Single(_minicrm.Orders.Values);
        Assert.Equal("Successful", sent.Status);
        Assert.Equal(["Finalize", "Complete", "Paid"], sent.Steps);
        Assert.Equal("HUF", sent.CurrencyCode);
        Assert.Equal(["Mug", "Coupon: \"SUMMER10\"", "Shipping: Standard"], sent.ItemNames);
        var mug = sent.Items[0]!;
        Assert.Equal(10.00m, mug["PriceNet"]!.GetValue<decimal>());
        Assert.Equal(2m, mug["Quantity"]!.GetValue<decimal>());
        Assert.Equal("MUG-1", mug["SKU"]!.ToString());
        Assert.Equal("27%", mug["VAT"]!.ToString());
        Assert.True(sent.Items[1]!["PriceNet"]!.GetValue<decimal>() < 0, "a coupon takes off: negative net price");
        var person = _minicrm.Contacts[sent.CustomerId];
        Assert.Equal("eva.kiss@example.hu", person.Fields["Email"]);
        Assert.Contains("created in minicrm as Successful", await ActivityAboutAsync("10001"));

        // Refunded in the shop: the same MiniCRM order is cancelled (storno), none is created.
        _bed.Time.Advance(TimeSpan.FromMinutes(5));
        _bed.ShopApi.ChangeOrder(order.Id, o => o.Transactions = [new SimulatedTransaction(SimulatedState.Payment("refunded"), new SimulatedPaymentMethod("Card"), DateTimeOffset.UnixEpoch)]);
        await _bed.SendAsync("state_enter.order_transaction.state.refunded", Placed(order.Id));
        await _bed.ProcessQueueAsync();

        Assert.Equal("Failed", Assert.Single(_minicrm.Orders.Values).Status);

        // The same change announced again (order.written) costs MiniCRM nothing.
        var calls = _minicrm.Requests.Count;
        await _bed.SendAsync("order.written", Written(order.Id));
        await _bed.ProcessQueueAsync();
        Assert.Equal(calls, _minicrm.Requests.Count);
        Assert.Empty(await _bed.DeadLettersAsync());
    }

    [Fact]
    public async Task An_order_is_sent_only_once_it_reaches_a_status_it_is_sent_from()
    {
        await ConfigureAsync(Pairing(sendFrom: "payment:paid"));
        var order = _bed.ShopApi.AddOrder(Order("10002", payment: "open"));

        await _bed.SendAsync("checkout.order.placed", Placed(order.Id));
        await _bed.ProcessQueueAsync();
        Assert.Empty(_minicrm.Orders);
        Assert.Contains("not sent yet", await ActivityAboutAsync("10002"));

        _bed.ShopApi.ChangeOrder(order.Id, o => o.Transactions = [new SimulatedTransaction(SimulatedState.Payment("paid"), new SimulatedPaymentMethod("Card"), DateTimeOffset.UnixEpoch)]);
        await _bed.SendAsync("state_enter.order_transaction.state.paid", Placed(order.Id));
        await _bed.ProcessQueueAsync();

        Assert.Equal("Successful", Assert.Single(_minicrm.Orders.Values).Status);
    }

    [Fact]
    public async Task An_order_in_an_unpaired_status_waits_and_the_sync_button_sends_it_after_pairing()
    {
        var pairing = Pairing();
        await ConfigureAsync(pairing with { StatusPairs = pairing.StatusPairs.Where(p => p.Key != "payment:paid").ToDictionary() });
        var order = _bed.ShopApi.AddOrder(Order("10003"));

        await _bed.SendAsync("checkout.order.placed", Placed(order.Id));
        await _bed.ProcessQueueAsync();

        Assert.Empty(_minicrm.Orders);
        Assert.Empty(await _bed.DeadLettersAsync());
        Assert.Contains("'payment:paid' is not paired", await ActivityAboutAsync("10003 waits"));

        await _bed.SaveAsAdminAsync(s => s with { Orders = Pairing() });
        await _bed.Get<OrderSyncJobs>().StartAsync(_bed.ShopKey, "button");
        Assert.Equal(FullSyncRunOutcome.Finished, await _bed.Get<OrderSyncRunner>().RunAsync(_bed.ShopKey, "test"));

        Assert.Equal("Successful", Assert.Single(_minicrm.Orders.Values).Status);
        var run = await _bed.Get<OrderSyncJobs>().GetAsync(_bed.ShopKey);
        Assert.Equal((SyncState.Completed, 1L, 1L, 0L), (run.State, run.Done, run.Sent, run.Failed));
    }

    [Fact]
    public async Task An_order_without_an_email_is_a_dead_letter_that_says_why()
    {
        await ConfigureAsync();
        var order = _bed.ShopApi.AddOrder(Order("10004", email: null));

        await _bed.SendAsync("checkout.order.placed", Placed(order.Id));
        await _bed.ProcessQueueAsync();

        Assert.Empty(_minicrm.Orders);
        Assert.Contains("10004 has no e-mail address", Assert.Single(await _bed.DeadLettersAsync()).Error);
        Assert.Contains("no e-mail", await ActivityAboutAsync("10004"));
    }

    [Fact]
    public async Task An_order_in_a_currency_MiniCRM_refuses_is_a_dead_letter_with_MiniCRMs_reason()
    {
        await ConfigureAsync();
        var order = _bed.ShopApi.AddOrder(Order("10005", currency: "XTS"));

        await _bed.SendAsync("checkout.order.placed", Placed(order.Id));
        await _bed.ProcessQueueAsync();

        Assert.Empty(_minicrm.Orders);
        Assert.Contains("CurrencyCode: XTS", Assert.Single(await _bed.DeadLettersAsync()).Error);

        // Nothing half-made stays behind: once MiniCRM takes the currency, a replay creates the order.
        _minicrm.Currencies.Add("XTS");
        var dead = Assert.Single(await _bed.DeadLettersAsync());
        Assert.True(await _bed.Get<IRelayStore>().ReplayDeadLetterAsync(_bed.ShopKey, dead.Id));
        await _bed.ProcessQueueAsync();
        Assert.Single(_minicrm.Orders.Values);
    }

    [Fact]
    public async Task An_order_of_500_lines_with_a_deleted_product_goes_in_one_order()
    {
        await ConfigureAsync();
        var big = Order("10006");
        big.LineItems = [.. Enumerable.Range(1, 499).Select(i => SimulatedLineItem.Gross("product", $"Item {i}", 1, 1.27m, 27, productId: ShopwareIds.New())),
            SimulatedLineItem.Gross("product", "Discontinued lamp", 1, 25.40m, 27, productId: null)];
        var order = _bed.ShopApi.AddOrder(big);

        await _bed.SendAsync("checkout.order.placed", Placed(order.Id));
        await _bed.ProcessQueueAsync();

        var sent = Assert.Single(_minicrm.Orders.Values);
        Assert.Equal(501, sent.Items.Count); // 500 lines and the shipping
        Assert.Contains("Discontinued lamp", sent.ItemNames);
    }

    [Fact]
    public async Task A_shop_answering_429_leaves_the_order_retrying_not_dead()
    {
        await ConfigureAsync();
        var order = _bed.ShopApi.AddOrder(Order("10007"));
        _bed.ShopApi.FailNext(429, 20);

        await _bed.SendAsync("checkout.order.placed", Placed(order.Id));
        await _bed.ProcessQueueAsync();

        Assert.Empty(_minicrm.Orders);
        Assert.Empty(await _bed.DeadLettersAsync());
        var partitions = _bed.Get<Microsoft.Extensions.Options.IOptions<global::Relay.Pipeline.PipelineOptions>>().Value.Partitions;
        Assert.Equal(1, (await _bed.Get<IRelayStore>().GetDepthAsync(StoreKeys.PartitionOf(_bed.ShopKey, partitions))).Retrying);
    }

    [Fact]
    public async Task Without_order_read_an_order_event_and_the_order_sync_wait_with_the_reason_and_carry_on_when_it_is_granted_again()
    {
        await ConfigureAsync();
        var order = _bed.ShopApi.AddOrder(Order("10070"));
        using (var revoked = await _bed.Shopware.Shop.RevokePermissionsAsync("order:read")) Assert.True(revoked.IsSuccessStatusCode);

        await _bed.SendAsync("checkout.order.placed", Placed(order.Id));
        await _bed.ProcessQueueAsync();
        await _bed.Get<OrderSyncJobs>().StartAsync(_bed.ShopKey, "button");
        Assert.Equal(FullSyncRunOutcome.Retrying, await _bed.Get<OrderSyncRunner>().RunAsync(_bed.ShopKey, "test"));

        Assert.Empty(_minicrm.Orders);
        Assert.Empty(await _bed.DeadLettersAsync());
        var waiting = await _bed.Get<OrderSyncJobs>().GetAsync(_bed.ShopKey);
        Assert.Equal(SyncState.Running, waiting.State);
        Assert.Contains("order:read", waiting.Error);
        Assert.Contains(await _bed.Get<SyncProblems>().ListAsync(_bed.ShopKey), p => p.Job == SyncProblems.Orders && p.Reason.Contains("order:read", StringComparison.Ordinal));

        using (var granted = await _bed.Shopware.Shop.GrantPermissionsAsync("order:read")) Assert.True(granted.IsSuccessStatusCode);
        _bed.Time.Advance(TimeSpan.FromMinutes(1));
        await _bed.ProcessQueueAsync();
        Assert.Equal(FullSyncRunOutcome.Finished, await _bed.Get<OrderSyncRunner>().RunAsync(_bed.ShopKey, "test"));

        Assert.Equal("Successful", Assert.Single(_minicrm.Orders.Values).Status);
        Assert.Equal(SyncState.Completed, (await _bed.Get<OrderSyncJobs>().GetAsync(_bed.ShopKey)).State);
        Assert.Empty(await _bed.DeadLettersAsync());
    }

    [Fact]
    public async Task By_hand_an_order_placed_through_the_shop_simulators_sim_route_shows_in_MiniCRMs()
    {
        await ConfigureAsync();
        using var http = new HttpClient();

        using var placed = await http.PostAsJsonAsync(_bed.Shopware.Shop.Origin + "/_sim/orders",
            new { number = "10042", email = "eva.kiss@example.hu", firstName = "Éva", lastName = "Kiss", coupon = "SUMMER10" });
        Assert.Equal(204, (await placed.Content.ReadFromJsonAsync<System.Text.Json.Nodes.JsonObject>())!["relayStatus"]!.GetValue<int>());
        await _bed.ProcessQueueAsync();

        var orders = await http.GetFromJsonAsync<System.Text.Json.Nodes.JsonArray>(_minicrm.BaseUrl + "/_sim/orders");
        var order = Assert.Single(orders!)!;
        Assert.Equal("Successful", order["Status"]!.GetValue<string>());
        Assert.Contains(order["Items"]!.AsArray(), i => i!["Name"]!.GetValue<string>() == "Coupon: \"SUMMER10\"");
    }
}

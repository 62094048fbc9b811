using System.Text.Json.Nodes;
using Relay.Mapping;
using Relay.Pipeline;
using Relay.Settings;
using Relay.Storage;
using Relay.Sync;
using Relay.Tests.Platforms.Shopware;
using Simulators.MplusKassa;
using Simulators.Shopware;

namespace Relay.Tests.Sync;

/// <summary>
/// The point-of-sale flows end to end: an installed Shopware shop, the MplusKASSA simulator, the relay's
/// till settings. Products, variants, categories and stock go into the shop with _action/sync; paid shop
/// orders go into the till once, wait for unknown articles, and survive a till that is down.
/// </summary>
public sealed class PosSyncTests : IAsyncLifetime
{
    private ShopwareTestbed _shop = null!;
    private MplusKassaSimulator _till = null!;

    public async Task InitializeAsync()
    {
        _shop = await ShopwareTestbed.StartAsync(settings: new()
        {
            ["Sync:BackgroundEnabled"] = "false",
            ["Targets:Http:RetryBaseDelay"] = "00:00:00.005",
            ["Targets:Http:BreakerMinimumThroughput"] = "100",
        });
        await _shop.InstallAsync();
        _till = await MplusKassaSimulator.StartAsync("ident", "secret");
    }

    public async Task DisposeAsync()
    {
        await _till.DisposeAsync();
        await _shop.DisposeAsync();
    }

    private ShopwareCatalogApi Catalog => _shop.Shop.Api.Catalog;
    private T Get<T>() where T : notnull => _shop.Relay.Get<T>();
    private string ShopKey => _shop.ShopKey;

    private async Task ConnectTillAsync(Func<PosSettings, PosSettings>? adjust = null)
    {
        var store = Get<PosSettingsStore>();
        var current = await store.GetAsync(ShopKey);
        var settings = new PosSettings
        {
            Enabled = true,
            Till = new TargetSettings
            {
                Kind = "mpluskassa", BaseUrl = _till.BaseUrl,
                Credentials = new Dictionary<string, string> { ["ident"] = "ident", ["secret"] = "secret" },
            },
            PaymentMethods = new Dictionary<string, string> { ["paypal"] = "PAYPAL" },
        };
        var (outcome, _) = await store.SaveAsync(ShopKey, adjust?.Invoke(settings) ?? settings, current.Version);
        Assert.Equal(SaveOutcome.Saved, outcome);
    }

    private Task<PosRunResult> RunAsync() => Get<PosSync>().RunOnceAsync(ShopKey);
    private Task<int> ProcessQueueAsync() => Get<QueueWorker>().ProcessOnceAsync();
    private Task<IReadOnlyList<ActivityEntry>> ActivityAsync() => Get<ActivityLog>().ReadAsync(ShopKey, 500);

    private void SeedTill()
    {
        _till.PutArticleGroup(new SimArticleGroup(10, "Clothing"));
        _till.PutArticleGroup(new SimArticleGroup(11, "Shirts", Parent: 10));
        _till.PutProduct(new SimProduct
        {
            ProductNumber = 500, Description = "T-shirt", ExtraText = "Organic cotton", GroupNumbers = [11],
            Articles = [new(5001, "T-shirt S", 2420, 2000, Size: "S"), new(5002, "T-shirt M", 2420, 2000, Size: "M"), new(5003, "T-shirt L", 2420, 2000, Size: "L")],
        });
        _till.PutProduct(new SimProduct { ProductNumber = 600, Description = "Mug", Articles = [new(6001, "Mug", 1090, 1000, VatPercentage: 9, Barcode: "8710000000035")] });
        _till.SetStock(5001, free: 10, reserved: 3);
        _till.SetStock(5002, free: 4);
        _till.SetStock(6001, free: 12, reserved: 2, incoming: 20);
    }

    private SimulatedOrder PlaceOrder(string number, string payment, string sku = "5001") => _shop.Shop.Api.AddOrder(PaidByPayPal(number, payment, sku));

    /// <summary>A Shopware order of one T-shirt (or <paramref name="sku"/>), paid by PayPal, as the shop's order reader reads it.</summary>
    internal static SimulatedOrder PaidByPayPal(string number, string payment, string sku = "5001") => new()
    {
        OrderNumber = number,
        AmountTotal = 24.20m,
        Currency = new SimulatedCurrency("EUR"),
        OrderCustomer = new SimulatedOrderCustomer("anna@example.com", "Anna", "de Vries"),
        BillingAddress = new SimulatedOrderAddress("Kerkstraat 1", "1011AA", "Amsterdam", new SimulatedCountry("NL")),
        LineItems = [SimulatedLineItem.Gross("product", "T-shirt S", 1, 24.20m, 21, new Dictionary<string, object?> { ["productNumber"] = sku }, ShopwareIds.New())],
        Transactions = [new SimulatedTransaction(SimulatedState.Payment(payment), new SimulatedPaymentMethod("PayPal"), DateTimeOffset.UnixEpoch)],
    };

    [Fact]
    public async Task The_tills_products_become_shop_products_with_variants_property_groups_categories_taxes_and_stock()
    {
        SeedTill();
        await ConnectTillAsync();

        var result = await RunAsync();

        Assert.True(result.Outcome == PosRunOutcome.Done, result.Reason);
        var parent = Catalog.ProductByNumber("P500")!;
        Assert.Equal("T-shirt", parent["name"]!.GetValue<string>());
        Assert.Equal(3, parent["configuratorSettings"]!.AsArray().Count);
        var medium = Catalog.ProductByNumber("5002")!;
        Assert.Equal(parent["id"]!.GetValue<string>(), medium["parentId"]!.GetValue<string>());
        var size = Assert.Single(Catalog.Rows("property_group"));
        Assert.Equal("Size", size["name"]!.GetValue<string>());
        Assert.Equal(["L", "M", "S"], Catalog.Rows("property_group_option").Select(o => o["name"]!.GetValue<string>()).Order());
        var shirts = Catalog.Rows("category").Single(c => c["name"]!.GetValue<string>() == "Shirts");
        var clothing = Catalog.Rows("category").Single(c => c["name"]!.GetValue<string>() == "Clothing");
        Assert.Equal(clothing["id"]!.GetValue<string>(), shirts["parentId"]!.GetValue<string>());
        Assert.Equal(ShopwareCatalogApi.NavigationCategoryId, clothing["parentId"]!.GetValue<string>());
        Assert.Contains(Catalog.Rows("tax"), t => t["taxRate"]!.GetValue<decimal>() == 9);
        // Free stock minus what sales reserved, the default calculation; the shop stops selling at zero.
        Assert.Equal(7, Catalog.ProductByNumber("5001")!["stock"]!.GetValue<long>());
        Assert.Equal(10, Catalog.ProductByNumber("6001")!["stock"]!.GetValue<long>());
        Assert.True(Catalog.ProductByNumber("6001")!["isCloseout"]!.GetValue<bool>());
        var activity = await ActivityAsync();
        Assert.Contains(activity, a => a.Kind == "pos.product" && a.Message.Contains("P500 created") && a.Message.Contains("3 variants"));
        Assert.Contains(activity, a => a.Kind == "pos.stock" && a.Message == "Stock of 5001 set to 7.");
    }

    [Fact]
    public async Task Without_product_write_permission_the_catalog_waits_while_orders_still_go_to_the_till()
    {
        SeedTill();
        await ConnectTillAsync();
        using (var revoked = await _shop.Shop.RevokePermissionsAsync("product:create")) Assert.True(revoked.IsSuccessStatusCode);
        PlaceOrder("30001", "paid");

        var result = await RunAsync();
        await ProcessQueueAsync();

        Assert.Contains("product:create", result.Reason);
        Assert.Equal(0, Catalog.SyncCalls);
        Assert.Contains(await Get<SyncProblems>().ListAsync(ShopKey), p => p.Job == SyncProblems.PointOfSale && p.Reason.Contains("product:create", StringComparison.Ordinal));
        Assert.Equal(1, result.Orders);

        using (var granted = await _shop.Shop.GrantPermissionsAsync("product:create")) Assert.True(granted.IsSuccessStatusCode);
        var resumed = await RunAsync();

        Assert.True(resumed.Outcome == PosRunOutcome.Done && resumed.Reason is null, resumed.Reason);
        Assert.NotNull(Catalog.ProductByNumber("P500"));
        Assert.Empty(await Get<SyncProblems>().ListAsync(ShopKey));
    }

    [Fact]
    public async Task An_import_writes_products_in_bulk_not_one_call_each()
    {
        for (var i = 1; i <= 250; i++)
            _till.PutProduct(new SimProduct { ProductNumber = i, Description = $"P{i}", Articles = [new(i * 10 + 1, "S", 100, 83, Size: "S"), new(i * 10 + 2, "M", 100, 83, Size: "M")] });
        await ConnectTillAsync();

        await RunAsync();

        Assert.Equal(250, Catalog.Rows("product").Count(p => p["parentId"] is null));
        // 3 product batches of 100, a category call would only come with categories, and one stock call.
        Assert.InRange(Catalog.SyncCalls, 3, 4);
    }

    [Fact]
    public async Task An_update_keeps_what_the_merchant_enriched_unless_the_field_group_is_ticked()
    {
        SeedTill();
        await ConnectTillAsync();
        await RunAsync();
        Catalog.EditProduct("6001", "description", "A much longer story about this mug");

        _till.PutProduct(new SimProduct { ProductNumber = 600, Description = "Mug", ExtraText = "From the till", Articles = [new(6001, "Mug", 1200, 1101, VatPercentage: 9)] });
        await RunAsync();
        Assert.Equal("A much longer story about this mug", Catalog.ProductByNumber("6001")!["description"]!.GetValue<string>());
        Assert.Equal(12.00m, Catalog.ProductByNumber("6001")!["price"]![0]!["gross"]!.GetValue<decimal>());

        await ConnectTillAsync(s => s with { Overwrite = s.Overwrite with { Descriptions = true } });
        _till.PutProduct(new SimProduct { ProductNumber = 600, Description = "Mug", ExtraText = "From the till", Articles = [new(6001, "Mug", 1200, 1101, VatPercentage: 9)] });
        await RunAsync();
        Assert.Equal("From the till", Catalog.ProductByNumber("6001")!["description"]!.GetValue<string>());
    }

    [Fact]
    public async Task Further_till_fields_reach_shop_product_fields_and_custom_fields_through_the_field_mapping()
    {
        _till.PutProduct(new SimProduct { ProductNumber = 600, Description = "Mug", Articles = [new(6001, "Mug", 1090, 1000, VatPercentage: 9, BrandName: " Moomin ", SupplierArticleNumber: "ARABIA-1")] });
        await ConnectTillAsync(s => s with
        {
            ProductFields = new FieldMapping
            {
                Rules =
                [
                    new FieldRule { Target = "manufacturerNumber", Sources = ["supplierArticleNumber"] },
                    new FieldRule { Target = "customFields.brand", Sources = ["brandName"], Transforms = ["trim", "upper"] },
                    // Written when the product is created, then the merchant's.
                    new FieldRule { Target = "customFields.label", Sources = ["brandName", "articleNumber"], Separator = " / ", Transforms = ["trim"], OverwriteOnUpdate = false },
                ],
            },
        });

        await RunAsync();
        var mug = Catalog.ProductByNumber("6001")!;
        Assert.Equal("ARABIA-1", mug["manufacturerNumber"]!.GetValue<string>());
        Assert.Equal("MOOMIN", mug["customFields"]!["brand"]!.GetValue<string>());
        Assert.Equal("Moomin  / 6001", mug["customFields"]!["label"]!.GetValue<string>());

        Catalog.EditProduct("6001", "customFields", new JsonObject { ["brand"] = "MOOMIN", ["label"] = "Mumin mug", ["merchantNote"] = "handle with care" });
        _till.PutProduct(new SimProduct { ProductNumber = 600, Description = "Mug", Articles = [new(6001, "Mug", 1090, 1000, VatPercentage: 9, BrandName: "Arabia", SupplierArticleNumber: "ARABIA-2")] });
        await RunAsync();
        mug = Catalog.ProductByNumber("6001")!;
        Assert.Equal("ARABIA-2", mug["manufacturerNumber"]!.GetValue<string>());
        Assert.Equal("ARABIA", mug["customFields"]!["brand"]!.GetValue<string>());
        Assert.Equal("Mumin mug", mug["customFields"]!["label"]!.GetValue<string>());
        // Shopware merges custom fields: one the relay does not map stays.
        Assert.Equal("handle with care", mug["customFields"]!["merchantNote"]!.GetValue<string>());
    }

    [Fact]
    public async Task Another_stock_calculation_and_unmanaged_stock_are_the_merchants_choice()
    {
        SeedTill();
        await ConnectTillAsync(s => s with { StockCalculation = StockCalculation.FreeMinusReservedPlusIncoming, ManageStock = false });

        await RunAsync();

        Assert.Equal(30, Catalog.ProductByNumber("6001")!["stock"]!.GetValue<long>());
        Assert.False(Catalog.ProductByNumber("6001")!["isCloseout"]!.GetValue<bool>());
    }

    [Fact]
    public async Task A_SKU_that_belongs_to_another_shop_product_is_not_taken_over_and_ends_as_a_dead_letter_with_the_reason()
    {
        SeedTill();
        Catalog.AddProduct(new JsonObject { ["id"] = "0123456789abcdef0123456789abcdef", ["productNumber"] = "HAND-1", ["name"] = "Hand made", ["stock"] = 1 });
        Catalog.AddProduct(new JsonObject { ["productNumber"] = "6001", ["parentId"] = "0123456789abcdef0123456789abcdef", ["stock"] = 1 });
        await ConnectTillAsync();

        var result = await RunAsync();
        await ProcessQueueAsync();

        Assert.Equal(1, result.Rejected);
        Assert.NotNull(Catalog.ProductByNumber("P500"));
        Assert.Equal("0123456789abcdef0123456789abcdef", Catalog.ProductByNumber("6001")!["parentId"]!.GetValue<string>());
        var dead = Assert.Single(await Get<IRelayStore>().ListDeadLettersAsync(ShopKey, 10));
        Assert.Equal(PosSync.ProductKind, dead.Event.Kind);
        Assert.Contains("SKU 6001 belongs to a variant of another product", dead.Error);
        Assert.Contains(await ActivityAsync(), a => a.Kind == "pos.product" && a.Outcome == ActivityOutcome.Failed && a.Message.Contains("6001"));
    }

    [Fact]
    public async Task A_paid_order_is_booked_in_the_till_once_with_its_customer_found_or_made_by_e_mail()
    {
        SeedTill();
        await ConnectTillAsync(s => s with { SyncProducts = false, SyncStock = false });
        var placed = PlaceOrder("10001", payment: "open");

        await RunAsync();
        await ProcessQueueAsync();
        Assert.Empty(_till.Orders);

        _shop.Time.Advance(TimeSpan.FromMinutes(1));
        _shop.Shop.Api.ChangeOrder(placed.Id, o => o.Transactions = [o.Transactions[0] with { StateMachineState = SimulatedState.Payment("paid") }]);
        await RunAsync();
        await ProcessQueueAsync();
        await RunAsync();
        await ProcessQueueAsync();

        var order = Assert.Single(_till.Orders);
        Assert.Equal(("10001", 999999L), (order.ExtId, order.EmployeeNumber));
        Assert.Equal(("PAYPAL", 2420L), Assert.Single(order.Payments));
        // The shared order carries net unit prices; the till books gross ones, in cents.
        Assert.Equal((5001L, 1L, 2420L), Assert.Single(order.Lines));
        // The customer is made from the shop's order as the shared order reader reads it, billing address included.
        var relation = Assert.Single(_till.Relations);
        Assert.Equal(("anna@example.com", "Anna de Vries", "Kerkstraat 1", "1011AA", "Amsterdam"),
            (relation.Email, relation.Name, relation.Address, relation.Zipcode, relation.City));
        var booked = Assert.Single(await ActivityAsync(), a => a.Kind == "pos.order" && a.Outcome == ActivityOutcome.Ok && a.Message.Contains("booked"));
        Assert.Equal("a***@example.com", booked.MaskedEmail);
    }

    [Fact]
    public async Task An_order_the_till_has_already_is_skipped_and_a_replay_books_nothing_twice()
    {
        SeedTill();
        await ConnectTillAsync(s => s with { SyncProducts = false, SyncStock = false });
        PlaceOrder("10002", payment: "paid");
        await RunAsync();
        await ProcessQueueAsync();

        // The same order offered again, as a replay or a second relay would.
        var again = (await _shop.Relay.Get<Relay.Platforms.ShopPlatforms>().For(ShopKey)!.Orders!.ReadChangedAsync(ShopKey, null, null, default)).Orders.Single();
        await Get<Inbox>().AcceptAsync(ShopKey, "pos-order:10002:again", PosSync.OrderKind, System.Text.Json.JsonSerializer.Serialize(again, JsonDefaults.Options));
        await ProcessQueueAsync();

        Assert.Single(_till.Orders);
        Assert.Contains(await ActivityAsync(), a => a.Outcome == ActivityOutcome.Skipped && a.Message.Contains("10002 is in MplusKASSA already"));
    }

    [Fact]
    public async Task An_order_with_an_article_the_till_does_not_know_waits_with_the_reason_and_is_booked_once_the_article_exists()
    {
        SeedTill();
        await ConnectTillAsync(s => s with { SyncProducts = false, SyncStock = false });
        PlaceOrder("10003", payment: "paid", sku: "7777");

        await RunAsync();
        await ProcessQueueAsync();
        Assert.Empty(_till.Orders);
        Assert.Contains(await ActivityAsync(), a => a.Outcome == ActivityOutcome.Retrying && a.Message.Contains("10003 waits") && a.Message.Contains("7777"));
        Assert.Empty(await Get<IRelayStore>().ListDeadLettersAsync(ShopKey, 10));

        _till.PutProduct(new SimProduct { ProductNumber = 777, Description = "Cap", Articles = [new(7777, "Cap", 2420, 2000)] });
        _shop.Time.Advance(TimeSpan.FromSeconds(10));
        await ProcessQueueAsync();

        Assert.Equal("10003", Assert.Single(_till.Orders).ExtId);
    }

    [Fact]
    public async Task A_till_that_is_down_loses_no_order_the_run_says_why_and_the_next_run_books_it()
    {
        SeedTill();
        await ConnectTillAsync(s => s with { SyncOrders = true });
        PlaceOrder("10004", payment: "paid");
        _till.Faults.FailNext(50, 503);

        var failed = await RunAsync();

        Assert.Equal(PosRunOutcome.Failed, failed.Outcome);
        Assert.Contains(await Get<SyncProblems>().ListAsync(ShopKey), p => p.Job == SyncProblems.PointOfSale);
        Assert.Contains(await ActivityAsync(), a => a.Kind == "pos" && a.Outcome == ActivityOutcome.Failed);

        _till.Faults.Clear();
        Assert.Equal(PosRunOutcome.Done, (await RunAsync()).Outcome);
        await ProcessQueueAsync();
        Assert.Equal("10004", Assert.Single(_till.Orders).ExtId);
        Assert.DoesNotContain(await Get<SyncProblems>().ListAsync(ShopKey), p => p.Job == SyncProblems.PointOfSale);
    }

    [Fact]
    public async Task A_till_that_refuses_service_for_an_order_leaves_it_queued_for_a_retry_and_books_it_once()
    {
        SeedTill();
        await ConnectTillAsync(s => s with { SyncProducts = false, SyncStock = false });
        PlaceOrder("10005", payment: "paid");
        await RunAsync();
        _till.Faults.FailNext(10, 503);

        await ProcessQueueAsync();
        Assert.Empty(_till.Orders);
        Assert.Contains(await ActivityAsync(), a => a.Outcome == ActivityOutcome.Retrying && a.Message.Contains("10005"));

        _till.Faults.Clear();
        _shop.Time.Advance(TimeSpan.FromSeconds(10));
        await ProcessQueueAsync();
        Assert.Equal("10005", Assert.Single(_till.Orders).ExtId);
    }
}

using Relay.Mapping;
using Relay.Orders;
using Relay.Targets;
using Simulators.MplusKassa;

namespace Relay.Tests.Targets.MplusKassa;

/// <summary>
/// The till's QAPI as the relay speaks it, against the strict simulator: SOAP 1.1 envelopes with ident and
/// secret in the query and the operation as SOAPAction, faults sorted into credentials, refusals and outages,
/// sync markers and stock ids as cursors, orders booked once per shop order number.
/// </summary>
public sealed class MplusKassaClientTests : IAsyncLifetime
{
    private readonly TargetTestHost _host = new();
    private MplusKassaSimulator _till = null!;

    public async Task InitializeAsync() => _till = await MplusKassaSimulator.StartAsync("ident-1", "s3cret&=?");

    public async Task DisposeAsync()
    {
        await _till.DisposeAsync();
        _host.Dispose();
    }

    private IPointOfSale Till(string secret = "s3cret&=?", Dictionary<string, string>? options = null) => _host.Tills.Create(new TargetAccount
    {
        Kind = "mpluskassa",
        AccountId = "shopware:test/pos/mpluskassa",
        BaseUrl = _till.BaseUrl,
        Credentials = new Dictionary<string, string> { ["ident"] = "ident-1", ["secret"] = secret },
        Options = options ?? [],
    });

    private static PosOrderOptions ByEmail => new(false, null, new Dictionary<string, string> { ["PayPal"] = "PAYPAL" });

    private void SeedTShirt()
    {
        _till.PutArticleGroup(new SimArticleGroup(10, "Clothing"));
        _till.PutArticleGroup(new SimArticleGroup(11, "Shirts", Parent: 10));
        _till.PutProduct(new SimProduct
        {
            ProductNumber = 500, Description = "T-shirt", ExtraText = "Organic cotton", GroupNumbers = [11],
            Articles =
            [
                new(5001, "T-shirt S red", 2420, 2000, Size: "S", Colour: "Red", Barcode: "8710000000011"),
                new(5002, "T-shirt M red", 2420, 2000, Size: "M", Colour: "Red", Barcode: "8710000000028"),
                new(5003, "T-shirt L red", 2420, 2000, Size: "L", Colour: "Red"),
            ],
        });
        _till.PutProduct(new SimProduct { ProductNumber = 600, Description = "Mug", Articles = [new(6001, "Mug", 1089, 900, VatPercentage: 9, Barcode: "8710000000035")] });
    }

    /// <summary>One T-shirt at 24.20 gross (20.00 net, 21 %), paid by PayPal.</summary>
    private static ShopOrder Order(string number, string sku = "5001", string? company = null, string email = "anna@example.com") => new()
    {
        Id = "order-" + number, Number = number, StatusId = "payment:paid", PlacedAt = new DateTimeOffset(2026, 7, 1, 10, 0, 0, TimeSpan.Zero),
        Currency = "EUR", Total = 24.20m, Email = email, FirstName = "Anna", LastName = "de Vries", Company = company,
        BillingAddress = new PostalAddress { Street = "Kerkstraat 1", PostalCode = "1011AA", City = "Amsterdam", Country = "NL" },
        Lines = [new OrderLine(OrderLineKind.Product, "T-shirt", 1, 20.00m, 21, sku)],
        PaymentMethod = "PayPal",
    };

    [Fact]
    public async Task A_call_is_a_SOAP_envelope_with_ident_and_secret_in_the_query_and_the_operation_as_SOAPAction()
    {
        await Till().TestConnectionAsync();

        Assert.Equal(["getCurrentSyncMarkers"], _till.Operations);
    }

    [Fact]
    public async Task A_wrong_secret_is_a_Client_Authentication_fault_the_relay_reports_as_credentials_and_does_not_retry()
    {
        var e = await Assert.ThrowsAsync<TargetAuthException>(() => Till(secret: "wrong").TestConnectionAsync());

        Assert.Contains("credentials", e.Message);
        Assert.Single(_till.Operations);
    }

    [Fact]
    public async Task A_Server_fault_is_retried_and_a_Client_fault_is_a_refusal()
    {
        _till.FaultNext("Server.Busy", "Try again");
        await Till().TestConnectionAsync();
        Assert.Equal(2, _till.Operations.Count);

        _till.FaultNext("Client.Validation", "Bad request");
        var refused = await Assert.ThrowsAsync<TargetPermanentException>(() => Till().TestConnectionAsync());
        Assert.Contains("Client.Validation", refused.Message);
    }

    [Fact]
    public async Task Articles_with_size_or_colour_are_the_variants_of_their_product_and_a_lone_article_is_a_simple_product()
    {
        SeedTShirt();

        var changes = await Till().PullCatalogAsync(null);

        var shirt = Assert.Single(changes.Products, p => p.Sku == "P500");
        Assert.Equal("T-shirt", shirt.Name);
        Assert.Equal("Organic cotton", shirt.Description);
        Assert.Equal(["11"], shirt.CategoryIds);
        Assert.Equal(["5001", "5002", "5003"], shirt.Variants.Select(v => v.Sku));
        Assert.Equal("M", shirt.Variants[1].Options["Size"]);
        Assert.Equal("Red", shirt.Variants[1].Options["Colour"]);
        Assert.Equal("8710000000028", shirt.Variants[1].Ean);
        var mug = Assert.Single(changes.Products, p => p.Sku == "6001");
        Assert.Empty(mug.Variants);
        Assert.Equal((1089, 900, 9), (mug.PriceInclCents, mug.PriceExclCents, mug.TaxPercent));
        Assert.Contains(changes.Categories, c => c is { Id: "11", Name: "Shirts", ParentId: "10" });
    }

    [Fact]
    public async Task The_sync_marker_cursor_returns_only_what_changed_since()
    {
        SeedTShirt();
        var first = await Till().PullCatalogAsync(null);

        var nothing = await Till().PullCatalogAsync(first.NextCursor);
        _till.PutProduct(new SimProduct { ProductNumber = 600, Description = "Mug XL", Articles = [new(6001, "Mug", 1210, 1000)] });
        var changed = await Till().PullCatalogAsync(first.NextCursor);

        Assert.Empty(nothing.Products);
        Assert.Equal("Mug XL", Assert.Single(changed.Products).Name);
    }

    [Fact]
    public async Task A_catalog_larger_than_the_sync_marker_limit_comes_in_pages()
    {
        for (var i = 1; i <= 5; i++) _till.PutProduct(new SimProduct { ProductNumber = i, Description = $"P{i}", Articles = [new(i, $"A{i}", 100, 83)] });
        var till = Till(options: new() { ["syncMarkerLimit"] = "2" });

        var pages = new List<CatalogChanges> { await till.PullCatalogAsync(null) };
        while (pages[^1].More) pages.Add(await till.PullCatalogAsync(pages[^1].NextCursor));

        Assert.Equal(["1", "2", "3", "4", "5"], pages.SelectMany(p => p.Products).Select(p => p.Sku));
    }

    [Fact]
    public async Task Stock_is_read_in_whole_units_per_branch_and_then_only_what_changed_after_the_stock_id()
    {
        _till.SetStock(5001, free: 10, reserved: 3, incoming: 5);
        _till.SetStock(5002, free: 4);
        _till.SetStock(5002, free: 99, branch: 2);

        var all = await Till().PullStockAsync(null);
        _till.SetStock(5001, free: 9, reserved: 3);
        var changed = await Till().PullStockAsync(all.NextCursor);

        Assert.Equal(new StockLevel("5001", 10, 3, 5), all.Levels.Single(l => l.Sku == "5001"));
        Assert.Equal(2, all.Levels.Count);
        Assert.Equal(6, StockCalculation.FreeMinusReserved.Apply(Assert.Single(changed.Levels)));
    }

    [Fact]
    public async Task An_order_books_a_person_debtor_found_or_made_by_e_mail_with_employee_999999_and_the_mapped_payment()
    {
        SeedTShirt();

        var outcome = await Till().PlaceOrderAsync(Order("10001"), ByEmail);

        Assert.Equal(PosOrderStatus.Created, outcome.Status);
        var order = Assert.Single(_till.Orders);
        var relation = Assert.Single(_till.Relations);
        Assert.Equal(("10001", 999999L, 1), (order.ExtId, order.EmployeeNumber, order.BranchNumber));
        Assert.Equal(relation.RelationNumber, order.RelationNumber);
        Assert.Equal(("Anna de Vries", "anna@example.com", null), (relation.Name, relation.Email, relation.CompanyName));
        Assert.Equal(("PAYPAL", 2420L), Assert.Single(order.Payments));
        Assert.Equal("2026-07-01 12:00:00", order.EntryTimestamp);

        await Till().PlaceOrderAsync(Order("10002"), ByEmail);
        Assert.Single(_till.Relations);
    }

    [Fact]
    public async Task A_company_name_makes_a_business_debtor_with_the_person_as_contact()
    {
        SeedTShirt();

        await Till().PlaceOrderAsync(Order("10003", company: "Fietsen BV"), ByEmail);

        var relation = Assert.Single(_till.Relations);
        Assert.Equal(("Fietsen BV", "Fietsen BV"), (relation.Name, relation.CompanyName));
        Assert.Equal(["Anna de Vries"], relation.ContactNames);
    }

    [Fact]
    public async Task A_default_debtor_takes_every_web_order_and_no_relation_is_searched()
    {
        SeedTShirt();
        var shop = _till.AddRelation("Webshop", "web@example.com");

        await Till().PlaceOrderAsync(Order("10004"), ByEmail with { DefaultDebtor = shop.RelationNumber });

        Assert.Equal(shop.RelationNumber, Assert.Single(_till.Orders).RelationNumber);
        Assert.DoesNotContain("findRelation", _till.Operations);
    }

    [Fact]
    public async Task An_order_the_till_has_already_is_not_booked_twice()
    {
        SeedTShirt();
        await Till().PlaceOrderAsync(Order("10005"), ByEmail);

        var again = await Till().PlaceOrderAsync(Order("10005"), ByEmail);

        Assert.Equal(PosOrderStatus.AlreadyThere, again.Status);
        Assert.Single(_till.Orders);
    }

    [Fact]
    public async Task An_order_with_an_article_the_till_does_not_know_waits_and_books_nothing()
    {
        SeedTShirt();

        var outcome = await Till().PlaceOrderAsync(Order("10006", sku: "7777"), ByEmail);

        Assert.Equal(PosOrderStatus.Waiting, outcome.Status);
        Assert.Contains("7777", outcome.Reason);
        Assert.Empty(_till.Orders);
        Assert.Empty(_till.Relations);
    }

    [Fact]
    public async Task As_an_invoice_the_order_is_saved_as_an_invoice_once()
    {
        SeedTShirt();

        await Till().PlaceOrderAsync(Order("10007"), ByEmail with { AsInvoice = true });
        var again = await Till().PlaceOrderAsync(Order("10007"), ByEmail with { AsInvoice = true });

        Assert.Equal("10007", Assert.Single(_till.Invoices).ExtId);
        Assert.Empty(_till.Orders);
        Assert.Equal(PosOrderStatus.AlreadyThere, again.Status);
    }

    [Fact]
    public async Task An_unreachable_till_is_transient()
    {
        await using var gone = await MplusKassaSimulator.StartAsync();
        var url = gone.BaseUrl;
        await gone.DisposeAsync();
        var till = _host.Tills.Create(new TargetAccount
        {
            Kind = "mpluskassa", AccountId = "x", BaseUrl = url,
            Credentials = new Dictionary<string, string> { ["ident"] = "a", ["secret"] = "b" },
        });

        await Assert.ThrowsAsync<TargetTransientException>(() => till.TestConnectionAsync());
    }

    [Fact]
    public async Task A_till_that_books_the_order_but_answers_too_late_is_transient_and_the_next_try_books_nothing_twice()
    {
        SeedTShirt();
        using var impatient = new TargetTestHost(http: o =>
        {
            o.AttemptTimeout = TimeSpan.FromMilliseconds(300);
            o.MaxRetryAttempts = 1;
        });
        var till = impatient.Tills.Create(new TargetAccount
        {
            Kind = "mpluskassa", AccountId = "slow", BaseUrl = _till.BaseUrl,
            Credentials = new Dictionary<string, string> { ["ident"] = "ident-1", ["secret"] = "s3cret&=?" },
        });
        _till.AnswerSlowly("createOrder", TimeSpan.FromSeconds(2));

        var slow = await Assert.ThrowsAsync<TargetTransientException>(() => till.PlaceOrderAsync(Order("10008"), ByEmail));
        _till.AnswerSlowly("createOrder", null);
        var again = await till.PlaceOrderAsync(Order("10008"), ByEmail);

        Assert.Equal("TIMEOUT", slow.Code);
        Assert.Equal(PosOrderStatus.AlreadyThere, again.Status);
        Assert.Single(_till.Orders);
    }

    [Fact]
    public void Without_its_address_the_till_is_not_configured()
    {
        var e = Assert.Throws<TargetConfigurationException>(() => _host.Tills.Create(new TargetAccount
        {
            Kind = "mpluskassa", AccountId = "x", Credentials = new Dictionary<string, string> { ["ident"] = "a", ["secret"] = "b" },
        }));
        Assert.Contains("port", e.Message);
    }
}

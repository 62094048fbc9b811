using System.Net;
using System.Text.Json.Nodes;
using Relay.Settings;
using Relay.Tests.Infrastructure;
using Simulators.MplusKassa;
using static Relay.Tests.Admin.AdminTestData;

namespace Relay.Tests.Admin;

/// <summary>
/// The page's till section: a till is connected beside the marketing system, credentials are write-only,
/// the flows' choices are validated and versioned, the connection is tested, and the status says what waits.
/// </summary>
public sealed class AdminPosApiTests : IAsyncLifetime
{
    private const string Shop = "shopware:CCCCCCCCCCCCCCCC";
    private RelayApplication _relay = null!;
    private HttpClient _client = null!;
    private MplusKassaSimulator _till = null!;
    private string _token = "";

    public async Task InitializeAsync()
    {
        _relay = new RelayApplication(new()
        {
            ["Pipeline:WorkersEnabled"] = "false",
            ["Sync:BackgroundEnabled"] = "false",
            ["Admin:AllowInsecureTargetUrls"] = "true",
        }, new ManualTimeProvider());
        _client = _relay.CreateClient();
        _till = await MplusKassaSimulator.StartAsync("ident", "s3cr3t-value");
        await SeedShopAsync(_relay.Services, "CCCCCCCCCCCCCCCC", "https://shop-c.example");
        _token = Session(_relay.Services, Shop);
    }

    public async Task DisposeAsync()
    {
        await _till.DisposeAsync();
        _client.Dispose();
        await _relay.DisposeAsync();
    }

    private async Task<(HttpStatusCode Status, JsonNode? Body)> SendAsync(HttpMethod method, string path, object? body = null)
    {
        using var response = await _client.SendAsync(Request(method, path, _token, body));
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, text.Length > 0 ? JsonNode.Parse(text) : null);
    }

    private object Till(string secret = "s3cr3t-value") => new
    {
        kind = "mpluskassa",
        baseUrl = _till.BaseUrl,
        credentials = new Dictionary<string, string> { ["ident"] = "ident", ["secret"] = secret },
        options = new Dictionary<string, string> { ["branchNumber"] = "2" },
    };

    [Fact]
    public async Task The_page_offers_the_tills_with_what_each_asks_for()
    {
        var (status, body) = await SendAsync(HttpMethod.Get, "/admin/api/pos");

        Assert.Equal(HttpStatusCode.OK, status);
        var till = body!["tills"]!.AsArray().Single(t => t!["kind"]!.GetValue<string>() == "mpluskassa")!;
        Assert.Equal(["ident", "secret"], till["credentialNames"]!.AsArray().Select(c => c!.GetValue<string>()));
        Assert.Contains(till["options"]!.AsArray(), o => o!["name"]!.GetValue<string>() == "employeeNumber" && o["default"]!.GetValue<string>() == "999999");
        Assert.Equal("freeMinusReserved", body["stockCalculation"]!.GetValue<string>());
        Assert.Equal(["payment:paid"], body["orderStatuses"]!.AsArray().Select(s => s!.GetValue<string>()));
    }

    [Fact]
    public async Task A_saved_till_keeps_its_credentials_write_only_and_its_choices_versioned()
    {
        var (saved, body) = await SendAsync(HttpMethod.Put, "/admin/api/pos", new
        {
            expectedVersion = 0, till = Till(), enabled = true, stockCalculation = "free", manageStock = false, ordersAsInvoice = true,
            orderStatuses = new[] { "payment:paid", "order:open" }, paymentMethods = new Dictionary<string, string> { ["PayPal"] = "PAYPAL" }, pollSeconds = 2,
            overwrite = new { name = false, descriptions = true, prices = true, ean = true, categories = false, active = true },
        });

        Assert.Equal(HttpStatusCode.OK, saved);
        Assert.Equal(["ident", "secret"], body!["till"]!["credentialsSet"]!.AsArray().Select(c => c!.GetValue<string>()));
        Assert.DoesNotContain("s3cr3t-value", body.ToJsonString());
        var stored = await _relay.Get<PosSettingsStore>().GetAsync(Shop);
        Assert.Equal(("s3cr3t-value", 2, true, Relay.Mapping.StockCalculation.Free), (stored.Till!.Credentials["secret"], stored.PollSeconds, stored.OrdersAsInvoice, stored.StockCalculation));

        var (stale, _) = await SendAsync(HttpMethod.Put, "/admin/api/pos", new { expectedVersion = 0, pollSeconds = 60 });
        Assert.Equal(HttpStatusCode.Conflict, stale);
        // A credential left blank keeps the stored one.
        var (again, _) = await SendAsync(HttpMethod.Put, "/admin/api/pos", new { expectedVersion = 1, till = Till(secret: "") });
        Assert.Equal(HttpStatusCode.OK, again);
        Assert.Equal("s3cr3t-value", (await _relay.Get<PosSettingsStore>().GetAsync(Shop)).Till!.Credentials["secret"]);
    }

    [Fact]
    public async Task Choices_the_flows_cannot_run_with_are_refused_field_by_field()
    {
        var (status, body) = await SendAsync(HttpMethod.Put, "/admin/api/pos", new
        {
            expectedVersion = 0, enabled = true, pollSeconds = 1, stockCalculation = "guess",
        });

        Assert.Equal(HttpStatusCode.BadRequest, status);
        var errors = body!["errors"]!.AsObject();
        Assert.True(errors.ContainsKey("pollSeconds"));
        Assert.True(errors.ContainsKey("stockCalculation"));
        Assert.True(errors.ContainsKey("enabled"));
    }

    [Fact]
    public async Task A_product_field_mapping_reads_the_tills_fields_and_fills_the_shops_product_fields_or_custom_fields()
    {
        var (refused, problem) = await SendAsync(HttpMethod.Put, "/admin/api/pos", new
        {
            expectedVersion = 0, till = Till(),
            productFields = new { rules = new object[] { new { target = "manufacturerNumber", sources = new[] { "shoeSize" } }, new { target = "stockValue", sources = new[] { "brandName" } } } },
        });
        Assert.Equal(HttpStatusCode.BadRequest, refused);
        Assert.True(problem!["errors"]!.AsObject().ContainsKey("productFields.rules[0].sources"));
        Assert.True(problem["errors"]!.AsObject().ContainsKey("productFields.rules[1].target"));

        var (saved, body) = await SendAsync(HttpMethod.Put, "/admin/api/pos", new
        {
            expectedVersion = 0, till = Till(),
            productFields = new { rules = new object[] { new { target = "manufacturerNumber", sources = new[] { "supplierArticleNumber" } }, new { target = "customFields.brand", sources = new[] { "brandName" }, overwriteOnUpdate = false } } },
        });

        Assert.Equal(HttpStatusCode.OK, saved);
        Assert.Contains("brandName", body!["productFieldChoices"]!["till"]!.AsArray().Select(f => f!.GetValue<string>()));
        Assert.Contains("manufacturerNumber", body["productFieldChoices"]!["shop"]!.AsArray().Select(f => f!.GetValue<string>()));
        var rules = (await _relay.Get<PosSettingsStore>().GetAsync(Shop)).ProductFields.Rules;
        Assert.Equal(["manufacturerNumber", "customFields.brand"], rules.Select(r => r.Target));
        Assert.False(rules[1].OverwriteOnUpdate);
    }

    [Fact]
    public async Task The_connection_test_reaches_the_till_and_names_refused_credentials()
    {
        var (_, ok) = await SendAsync(HttpMethod.Post, "/admin/api/pos/test", new { till = Till() });
        var (_, refused) = await SendAsync(HttpMethod.Post, "/admin/api/pos/test", new { till = Till(secret: "wrong") });

        Assert.True(ok!["ok"]!.GetValue<bool>());
        Assert.Equal("auth", refused!["outcome"]!.GetValue<string>());
    }

    [Fact]
    public async Task The_status_shows_the_last_run_and_what_waits()
    {
        await SendAsync(HttpMethod.Put, "/admin/api/pos", new { expectedVersion = 0, till = Till(), enabled = true });
        await _relay.Get<Relay.Sync.PosSync>().NoteWaitingAsync(Shop, "10001", "The till has no article 7777; the order waits until it does.");

        var (_, run) = await SendAsync(HttpMethod.Post, "/admin/api/pos/run");
        var (_, status) = await SendAsync(HttpMethod.Get, "/admin/api/pos/status");

        // The seeded shop has no confirmed Shopware access, so the run fails and says why.
        Assert.Equal("failed", run!["outcome"]!.GetValue<string>());
        Assert.NotNull(status!["lastRunAt"]);
        Assert.Contains("reinstall", status["lastError"]!.GetValue<string>());
        Assert.Equal("10001", status["waiting"]!.AsArray().Single()!["number"]!.GetValue<string>());
    }
}

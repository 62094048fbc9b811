using System.Net;
using System.Text.Json.Nodes;
using Relay.Tests.Infrastructure;
using Simulators.MiniCrm;
using static Relay.Tests.Admin.AdminTestData;

namespace Relay.Tests.Admin;

/// <summary>
/// The admin API's order side: statuses to pair (each side loaded or its failure said), the pairing
/// checked on save, one shop per MiniCRM system, and the order sync button that joins a running sync.
/// </summary>
public sealed class AdminOrdersApiTests : IAsyncLifetime
{
    private const string ShopA = "shopware:AAAAAAAAAAAAAAAA";
    private const string ShopB = "shopware:BBBBBBBBBBBBBBBB";

    private readonly ManualTimeProvider _time = new();
    private RelayApplication _relay = null!;
    private HttpClient _client = null!;
    private MiniCrmSimulator _minicrm = null!;
    private string _tokenA = "";
    private string _tokenB = "";

    public async Task InitializeAsync()
    {
        _relay = new RelayApplication(new()
        {
            ["Pipeline:WorkersEnabled"] = "false",
            ["Sync:BackgroundEnabled"] = "false",
            ["Admin:AllowInsecureTargetUrls"] = "true",
        }, _time);
        _client = _relay.CreateClient();
        _minicrm = await MiniCrmSimulator.StartAsync("777", "minicrm-api-key", _time);
        await SeedShopAsync(_relay.Services, "AAAAAAAAAAAAAAAA", "https://shop-a.example");
        await SeedShopAsync(_relay.Services, "BBBBBBBBBBBBBBBB", "https://shop-b.example");
        _tokenA = Session(_relay.Services, ShopA);
        _tokenB = Session(_relay.Services, ShopB);
    }

    public async Task DisposeAsync()
    {
        await _minicrm.DisposeAsync();
        _client.Dispose();
        await _relay.DisposeAsync();
    }

    private object MiniCrm(string systemId = "777") => new
    {
        kind = "minicrm",
        baseUrl = _minicrm.BaseUrl,
        credentials = new Dictionary<string, string> { ["systemId"] = systemId, ["apiKey"] = "minicrm-api-key" },
    };

    private async Task<(HttpStatusCode Status, JsonNode? Body)> SendAsync(HttpMethod method, string path, string token, object? body = null)
    {
        using var response = await _client.SendAsync(Request(method, path, token, body));
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, text.Length > 0 ? JsonNode.Parse(text) : null);
    }

    [Fact]
    public async Task Statuses_say_why_a_side_could_not_be_loaded()
    {
        var (_, none) = await SendAsync(HttpMethod.Get, "/admin/api/orders/statuses", _tokenA);
        Assert.Equal((false, "configuration"), (none!["ok"]!.GetValue<bool>(), none["outcome"]!.GetValue<string>()));

        // MiniCRM answers with its statuses; this seeded shop has no Admin API access, which is said, not a 500.
        var (status, body) = await SendAsync(HttpMethod.Post, "/admin/api/orders/statuses", _tokenA, new { target = MiniCrm() });
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("shop", body!["outcome"]!.GetValue<string>());
        Assert.Equal(["Draft", "InProgress", "Completed", "Successful", "Failed"], body["target"]!.AsArray().Select(s => s!["id"]!.GetValue<string>()));

        var (_, refused) = await SendAsync(HttpMethod.Post, "/admin/api/orders/statuses", _tokenA,
            new { target = new { kind = "minicrm", baseUrl = _minicrm.BaseUrl, credentials = new Dictionary<string, string> { ["systemId"] = "777", ["apiKey"] = "wrong" } } });
        Assert.Equal("auth", refused!["outcome"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_pairing_that_sends_from_an_unpaired_status_or_has_a_bad_nightly_time_is_not_saved()
    {
        var (status, body) = await SendAsync(HttpMethod.Put, "/admin/api/settings", _tokenA, new
        {
            expectedVersion = 0,
            target = MiniCrm(),
            orders = new { enabled = true, statusPairs = new Dictionary<string, string> { ["payment:paid"] = "Successful" }, sendFrom = new[] { "payment:open" }, nightlyAt = "25:00" },
        });

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("'payment:open', which is not paired", body!["errors"]!["orders.sendFrom"]![0]!.GetValue<string>());
        Assert.Contains("HH:mm", body["errors"]!["orders.nightlyAt"]![0]!.GetValue<string>());
    }

    [Fact]
    public async Task A_second_shop_saving_the_same_MiniCRM_system_is_refused_naming_the_first()
    {
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(HttpMethod.Put, "/admin/api/settings", _tokenA, new { expectedVersion = 0, target = MiniCrm() })).Status);

        var (status, body) = await SendAsync(HttpMethod.Put, "/admin/api/settings", _tokenB, new { expectedVersion = 0, target = MiniCrm() });

        Assert.Equal(HttpStatusCode.Conflict, status);
        Assert.Equal(ShopA, body!["otherShop"]!.GetValue<string>());
        Assert.Contains("already connected to the shop https://shop-a.example", body["detail"]!.GetValue<string>());
        // Shop A moves to another system: the first one is free for shop B.
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(HttpMethod.Put, "/admin/api/settings", _tokenA, new { expectedVersion = 1, target = MiniCrm("778") })).Status);
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(HttpMethod.Put, "/admin/api/settings", _tokenB, new { expectedVersion = 0, target = MiniCrm() })).Status);
    }

    [Fact]
    public async Task The_order_sync_button_needs_orders_on_and_a_second_press_shows_the_running_sync()
    {
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(HttpMethod.Put, "/admin/api/settings", _tokenA, new { expectedVersion = 0, target = MiniCrm(), syncEnabled = true })).Status);
        var (off, problem) = await SendAsync(HttpMethod.Post, "/admin/api/orders/sync", _tokenA);
        Assert.Equal(HttpStatusCode.Conflict, off);
        Assert.Equal("Orders are off", problem!["title"]!.GetValue<string>());

        Assert.Equal(HttpStatusCode.OK, (await SendAsync(HttpMethod.Put, "/admin/api/settings", _tokenA, new
        {
            expectedVersion = 1,
            orders = new { enabled = true, statusPairs = new Dictionary<string, string> { ["payment:paid"] = "Successful" } },
        })).Status);
        var (started, first) = await SendAsync(HttpMethod.Post, "/admin/api/orders/sync", _tokenA);
        var (again, second) = await SendAsync(HttpMethod.Post, "/admin/api/orders/sync", _tokenA);

        Assert.Equal((HttpStatusCode.Accepted, HttpStatusCode.Accepted), (started, again));
        Assert.Equal((false, true), (first!["joined"]!.GetValue<bool>(), second!["joined"]!.GetValue<bool>()));
        Assert.Equal("running", second["progress"]!["state"]!.GetValue<string>());
        Assert.Equal(first["progress"]!["startedAt"]!.ToString(), second["progress"]!["startedAt"]!.ToString());
    }
}

using System.Net;
using System.Text;
using Relay.Settings;
using Relay.Storage;
using Relay.Sync;
using Relay.Targets;
using Relay.Tests.Platforms.Shopware;
using Simulators.MplusKassa;

namespace Relay.Tests.Targets.MplusKassa;

/// <summary>
/// The till's webhooks: it POSTs JSON to the subscription's endpoint URL with the event's name appended and
/// <c>X-Mplus-Subscription-Id</c>. The address the relay gives carries a token only the relay can compute; a
/// completed or credited sale asks for a till sync at the scheduler's next tick, ahead of the poll interval.
/// </summary>
public sealed class MplusKassaWebhookTests : IAsyncLifetime
{
    private ShopwareTestbed _shop = null!;
    private MplusKassaSimulator _till = null!;

    public async Task InitializeAsync()
    {
        _shop = await ShopwareTestbed.StartAsync(settings: new() { ["Sync:BackgroundEnabled"] = "false" });
        await _shop.InstallAsync();
        _till = await MplusKassaSimulator.StartAsync("ident", "secret");
        _till.PutProduct(new SimProduct { ProductNumber = 600, Description = "Mug", Articles = [new(6001, "Mug", 1090, 1000, VatPercentage: 9)] });
        _till.SetStock(6001, free: 12);
    }

    public async Task DisposeAsync()
    {
        await _till.DisposeAsync();
        await _shop.DisposeAsync();
    }

    private T Get<T>() where T : notnull => _shop.Relay.Get<T>();
    private string WebhookPath => Get<PosFactory>().Provider("mpluskassa")!.WebhookPath(_shop.ShopKey)!;

    private async Task ConnectTillAsync(bool enabled = true)
    {
        var store = Get<PosSettingsStore>();
        var current = await store.GetAsync(_shop.ShopKey);
        var (outcome, _) = await store.SaveAsync(_shop.ShopKey, new PosSettings
        {
            Enabled = enabled,
            // An hour between pulls: whatever runs sooner was asked for by the till.
            PollSeconds = 3600,
            SyncOrders = false,
            Till = new TargetSettings
            {
                Kind = "mpluskassa", BaseUrl = _till.BaseUrl,
                Credentials = new Dictionary<string, string> { ["ident"] = "ident", ["secret"] = "secret" },
            },
        }, current.Version);
        Assert.Equal(SaveOutcome.Saved, outcome);
    }

    private async Task<HttpResponseMessage> PostAsync(string path, string? subscriptionId = "webshop")
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent("{}", Encoding.UTF8, "application/json") };
        if (subscriptionId is not null) request.Headers.Add(SubscriptionHeader, subscriptionId);
        return await _shop.Client.SendAsync(request);
    }

    private const string SubscriptionHeader = "X-Mplus-Subscription-Id";

    private long ShopStock => _shop.Shop.Api.Catalog.ProductByNumber("6001")!["stock"]!.GetValue<long>();

    [Fact]
    public async Task A_sale_at_the_till_reaches_the_shop_at_the_next_tick_instead_of_after_the_poll_interval()
    {
        await ConnectTillAsync();
        var scheduler = Get<PosScheduler>();
        Assert.Equal(1, await scheduler.RunDueAsync());
        Assert.Equal(12, ShopStock);
        Assert.Equal(0, await scheduler.RunDueAsync());
        _till.Subscribe("http://localhost" + WebhookPath, "webshop", via: _shop.Client);

        var answered = await _till.SellAsync(6001, 3);

        Assert.Equal([HttpStatusCode.OK], answered);
        Assert.Equal(1, await scheduler.RunDueAsync());
        Assert.Equal(9, ShopStock);
        // The request was answered: the schedule is back to its interval.
        Assert.Equal(0, await scheduler.RunDueAsync());
    }

    [Fact]
    public async Task Session_events_that_change_no_stock_are_acknowledged_and_ask_for_nothing()
    {
        await ConnectTillAsync();
        await Get<PosScheduler>().RunDueAsync();
        _till.Subscribe("http://localhost" + WebhookPath, "webshop", via: _shop.Client);

        Assert.Equal([HttpStatusCode.OK], await _till.SendWebhookAsync("addSessionLine"));
        Assert.False(await Get<PosSync>().RunRequestedAsync(_shop.ShopKey));
        Assert.Equal(0, await Get<PosScheduler>().RunDueAsync());
    }

    [Fact]
    public async Task A_switched_off_till_is_acknowledged_but_not_synced()
    {
        await ConnectTillAsync(enabled: false);

        using var response = await PostAsync(WebhookPath + "/completeSession");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.False(await Get<PosSync>().RunRequestedAsync(_shop.ShopKey));
    }

    [Theory]
    [InlineData("wrong-token", "completeSession", "webshop", HttpStatusCode.NotFound, "Unknown webhook address")]
    [InlineData(null, "sellEverything", "webshop", HttpStatusCode.NotFound, "Unknown event")]
    [InlineData(null, "completeSession", null, HttpStatusCode.BadRequest, "Not a till webhook")]
    public async Task Requests_the_till_did_not_send_are_refused_with_a_problem_and_ask_for_nothing(
        string? token, string eventName, string? subscriptionId, HttpStatusCode expected, string title)
    {
        await ConnectTillAsync();
        var path = token is null ? WebhookPath : WebhookPath[..(WebhookPath.LastIndexOf('/') + 1)] + token;

        using var response = await PostAsync($"{path}/{eventName}", subscriptionId);

        Assert.Equal(expected, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains(title, await response.Content.ReadAsStringAsync());
        Assert.False(await Get<PosSync>().RunRequestedAsync(_shop.ShopKey));
    }

    [Fact]
    public async Task Each_shop_has_its_own_address_and_one_shops_token_opens_no_other()
    {
        var provider = Get<PosFactory>().Provider("mpluskassa")!;
        var other = provider.WebhookPath("shopware:OTHERSHOP0000000")!;
        Assert.NotEqual(WebhookPath, other);
        await ConnectTillAsync();
        var borrowed = WebhookPath[..WebhookPath.LastIndexOf('/')].Replace(Uri.EscapeDataString(_shop.ShopKey), Uri.EscapeDataString("shopware:OTHERSHOP0000000"), StringComparison.Ordinal)
            + WebhookPath[WebhookPath.LastIndexOf('/')..];

        using var response = await PostAsync(borrowed + "/completeSession");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }
}

using Microsoft.Playwright;
using Relay.Settings;
using Relay.Shops;
using Relay.Tests.Orders;
using Simulators.MiniCrm;
using static Microsoft.Playwright.Assertions;

namespace Relay.Tests.Admin;

/// <summary>The Orders tab in headless Chromium: statuses loaded from the shop and MiniCRM, paired, saved, and the order sync run from its button.</summary>
public sealed class AdminOrdersBrowserTests(AdminBrowserFixture fixture) : IClassFixture<AdminBrowserFixture>, IAsyncLifetime
{
    private MiniCrmSimulator _minicrm = null!;

    public async Task InitializeAsync()
    {
        _minicrm = await MiniCrmSimulator.StartAsync("24680", "minicrm-api-key");
        _minicrm.RequestsPerMinute = 6000;
    }

    public async Task DisposeAsync() => await _minicrm.DisposeAsync();

    [Fact]
    public async Task Merchant_pairs_order_statuses_saves_them_and_syncs_orders_with_the_button()
    {
        await using var shop = await fixture.InstallShopAsync();
        var shopKey = ShopKeys.Of("shopware", shop.ShopId);
        var store = fixture.Relay.Get<ShopSettingsStore>();
        var (outcome, _) = await store.SaveAsync(shopKey, new ShopSettings { Target = OrderTestData.MiniCrm(_minicrm.BaseUrl, "24680"), SyncEnabled = true }, 0);
        Assert.Equal(SaveOutcome.Saved, outcome);
        shop.Api.AddOrder(OrderTestData.Order("20001"));
        shop.Api.AddOrder(OrderTestData.Order("20002", payment: "open"));
        var page = await fixture.OpenAdminAsync(shop);

        await page.ClickAsync("#tab-orders");
        await Expect(page.Locator("#orders-rows")).ToContainTextAsync("Test the connection or load the order statuses");
        await page.ClickAsync("#orders-load");
        await Expect(page.Locator("#orders-rows tr")).ToHaveCountAsync(13);
        await Expect(page.Locator("#orders-unpaired")).ToContainTextAsync("Not paired (their orders wait): Order: Cancelled");

        await page.SelectOptionAsync("[id='pair-payment:paid']", "Successful");
        await page.SelectOptionAsync("[id='pair-payment:open']", "Draft");
        await page.SelectOptionAsync("[id='pair-order:cancelled']", "Failed");
        await page.CheckAsync("[id='send-payment:paid']");
        await page.CheckAsync("#orders-enabled");
        await page.FillAsync("#orders-nightly", "02:30");
        await Expect(page.Locator("#orders-unpaired")).Not.ToContainTextAsync("Order: Cancelled");
        await page.ClickAsync("#save-orders");
        await Expect(page.Locator("#orders-result")).ToHaveTextAsync("Saved.");
        await AdminBrowserFixture.ScreenshotAsync(page, "orders-pairing");

        var saved = (await store.GetAsync(shopKey)).Orders;
        Assert.True(saved.Enabled);
        Assert.Equal("Successful", saved.StatusPairs["payment:paid"]);
        Assert.Equal(["payment:paid"], saved.SendFrom);
        Assert.Equal("02:30", saved.NightlyAt);

        await page.ClickAsync("#orders-sync");
        await Expect(page.Locator("#orders-figures")).ToHaveAttributeAsync("data-state", "completed", new() { Timeout = 30_000 });
        await Expect(page.Locator("#orders-figures")).ToContainTextAsync("1 sent, 0 waiting for a pairing, 0 failed");
        await AdminBrowserFixture.ScreenshotAsync(page, "orders-sync");
        Assert.Equal("Successful", Assert.Single(_minicrm.Orders.Values).Status);
    }

    [Fact]
    public async Task A_second_shop_cannot_take_a_MiniCRM_system_another_shop_has()
    {
        await using var first = await fixture.InstallShopAsync();
        await using var second = await fixture.InstallShopAsync();
        foreach (var shop in new[] { first, second })
        {
            var page = await fixture.OpenAdminAsync(shop);
            await page.SelectOptionAsync("#target-kind", "minicrm");
            await page.FillAsync("#cred-systemId", "13579");
            await page.FillAsync("#cred-apiKey", "minicrm-api-key");
            await page.FillAsync("#target-base-url", _minicrm.BaseUrl);
            await page.ClickAsync("#save-connection");
            if (shop == first)
                await Expect(page.Locator("#connection-result")).ToHaveTextAsync("Saved.");
            else
            {
                await Expect(page.Locator("#connection-result")).ToContainTextAsync($"already connected to the shop {first.ShopUrl}");
                await AdminBrowserFixture.ScreenshotAsync(page, "orders-one-shop-per-system");
            }
        }
        Assert.Null((await fixture.Relay.Get<ShopSettingsStore>().GetAsync(ShopKeys.Of("shopware", second.ShopId))).Target);
    }
}

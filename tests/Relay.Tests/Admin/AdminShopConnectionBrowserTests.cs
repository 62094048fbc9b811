using System.Net;
using Microsoft.Playwright;
using Relay.Admin;
using Relay.Platforms.Shoprenter;
using Relay.Shops;
using Relay.Tests.Infrastructure;
using Relay.Tests.Platforms.Shoprenter;
using Simulators.Shoprenter;
using static Microsoft.Playwright.Assertions;

namespace Relay.Tests.Admin;

/// <summary>
/// The page's "shop connection" section for a Shoprenter shop, in headless Chromium against a relay on a
/// real port and the Shoprenter simulator (its OAuth API and its deprecated Basic-auth one).
/// </summary>
[Collection(ShoprenterTestbed.Collection)]
public sealed class AdminShopConnectionBrowserTests : IAsyncLifetime
{
    private ShoprenterShopSimulator _shop = null!;
    private RelayServer _relay = null!;
    private Chromium _chromium = null!;

    private string ShopKey => ShopKeys.Of("shoprenter", _shop.Options.ShopName);

    public async Task InitializeAsync()
    {
        _shop = await ShoprenterShopSimulator.StartAsync(new ShoprenterSimulatorOptions());
        var settings = ShoprenterTestbed.Settings(_shop);
        settings.Remove("Shoprenter:PublicBaseUrl");
        _relay = RelayServer.Start(settings);
        _chromium = await Chromium.LaunchAsync();
        using var install = await _relay.Client.GetAsync(_shop.BuildSignedPath("/shoprenter/install"));
        Assert.Equal(HttpStatusCode.Redirect, install.StatusCode);
    }

    [Fact]
    public async Task Merchant_reads_that_the_legacy_API_is_deprecated_chooses_it_as_a_fallback_and_the_status_says_it_is_in_use()
    {
        _shop.SeedCustomer("anna@example.hu");
        var page = await OpenAdminAsync();

        var section = page.Locator("#shop-connection");
        await Expect(section).ToBeVisibleAsync();
        await Expect(page.Locator("#shop-mode-oauth")).ToBeCheckedAsync();
        await Expect(section).ToContainTextAsync("The app's access (OAuth) (recommended) — in use");
        await Expect(page.Locator("#shop-mode-legacy-note")).ToHaveTextAsync(
            "Deprecated by Shoprenter, which may switch it off: use it only as a fallback when the app's own access does not work for this shop, and switch back as soon as it does.");

        await page.CheckAsync("#shop-mode-legacy");
        await page.FillAsync("#shop-field-apiUrl", _shop.LegacyApiUrl.Replace("{shopName}", _shop.Options.ShopName));
        await page.FillAsync("#shop-field-userName", _shop.Options.LegacyUserName);
        await page.FillAsync("#shop-field-password", "not-the-password");
        await page.ClickAsync("#save-shop-connection");
        await Expect(page.Locator("#shop-connection-result")).ToContainTextAsync("The legacy API refused these credentials");
        Assert.Null((await _relay.Get<ShoprenterShops>().GetAsync(ShopKey))!.Legacy);

        await page.FillAsync("#shop-field-password", _shop.Options.LegacyPassword);
        await page.ClickAsync("#save-shop-connection");
        await Expect(page.Locator("#shop-connection-result")).ToHaveTextAsync("Saved.");
        await Expect(section).ToContainTextAsync("Legacy API (API URL, user name and password from the shop's API settings) — in use");
        await AdminBrowserFixture.ScreenshotAsync(page, "shop-connection-legacy");

        await page.ClickAsync("#tab-status");
        await Expect(page.Locator("#status-facts")).ToContainTextAsync(ShoprenterConnection.LegacyInUse);
        Assert.NotNull((await _relay.Get<ShoprenterShops>().GetAsync(ShopKey))!.Legacy);
        Assert.DoesNotContain(_shop.Options.LegacyPassword, await page.ContentAsync());
    }

    private async Task<IPage> OpenAdminAsync()
    {
        var session = _relay.Get<AdminSessions>().Issue(ShopKey);
        var context = await _chromium.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = 1000, Height = 820 }, Locale = "en-GB" });
        var page = await context.NewPageAsync();
        await page.GotoAsync($"{_relay.BaseUrl}/admin/?shop={Uri.EscapeDataString(ShopKey)}&platform=shoprenter#session={session}");
        await Expect(page.Locator("body")).ToHaveAttributeAsync("data-ready", "true");
        return page;
    }

    public async Task DisposeAsync()
    {
        await _chromium.DisposeAsync();
        await _relay.DisposeAsync();
        await _shop.DisposeAsync();
    }
}

using System.Net;
using System.Security.Cryptography;
using System.Text;
using Microsoft.IdentityModel.JsonWebTokens;
using Relay.Shops;
using Relay.Storage;

namespace Relay.Tests.Platforms.Shoprenter;

/// <summary>
/// Getting started: Shoprenter calls the RedirectUri, the EntryPoint and the UninstallUri with shopname,
/// code, timestamp and hmac (HMAC-SHA256 with the ClientSecret); the relay checks the hmac and the
/// timestamp's freshness before anything else, and stores nothing for a link that fails either.
/// </summary>
[Collection(ShoprenterTestbed.Collection)]
public sealed class ShoprenterInstallTests
{
    [Fact]
    public async Task An_install_gets_a_token_registers_the_newsletter_and_order_webhooks_and_sends_the_merchant_to_app_url()
    {
        await using var bed = await ShoprenterTestbed.StartAsync();

        using var response = await bed.Client.GetAsync(bed.Shop.BuildSignedPath("/shoprenter/install"));

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal($"https://{bed.Shop.Options.ShopName}.myshoprenter.hu/admin/app/55", response.Headers.Location!.OriginalString);
        var record = await bed.RecordAsync();
        Assert.NotNull(record?.ProtectedAccessToken);
        Assert.DoesNotContain("sr-", record!.ProtectedAccessToken);
        Assert.Equal(ShopStatus.Active, (await bed.InfoAsync())!.Status);
        Assert.Equal(1, bed.Shop.TokenGrants);
        var hooks = bed.Shop.Read(s => s.Webhooks.Values.ToList());
        Assert.Equal(["newsletter_subscribe", "newsletter_unsubscribe", "newsletter_update_subscriber", "order_confirm", "order_status_change"], hooks.Select(h => h.Event).Order());
        Assert.All(hooks, h => Assert.StartsWith($"{ShoprenterTestbed.PublicBaseUrl}/shoprenter/webhooks/{bed.Shop.Options.ShopName}/", h.Url));
        Assert.All(hooks, h => Assert.Equal("json", h.Type));
        Assert.Single(hooks.Select(h => h.Url.Split('/')[^2]).Distinct());
    }

    [Fact]
    public async Task The_hmac_of_the_documented_example_and_of_the_demo_apps_is_accepted_too()
    {
        await using var bed = await ShoprenterTestbed.StartAsync();
        var secret = bed.Shop.Options.ClientSecret;
        var timestamp = bed.Time.GetUtcNow().ToUnixTimeSeconds();
        foreach (var message in new[] { $"code=abc&shopname=demoshop&timestamp={timestamp}", $"shopname=demoshop&code=abc&timestamp={timestamp}" })
        {
            var hmac = Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes(message)));
            using var response = await bed.Client.GetAsync($"/shoprenter/install?shopname=demoshop&code=abc&timestamp={timestamp}&app_url=x&hmac={hmac}");
            Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        }
    }

    [Theory]
    [InlineData("forged")]
    [InlineData("stale")]
    [InlineData("other-secret")]
    public async Task A_forged_or_stale_install_link_is_refused_with_problem_json_and_nothing_is_stored(string how)
    {
        await using var bed = await ShoprenterTestbed.StartAsync();
        var path = how switch
        {
            "forged" => bed.Shop.BuildSignedPath("/shoprenter/install").Replace("shopname=demoshop", "shopname=othershop"),
            "stale" => bed.Shop.BuildSignedPath("/shoprenter/install", at: bed.Time.GetUtcNow() - TimeSpan.FromMinutes(6)),
            _ => bed.Shop.BuildSignedPath("/shoprenter/install", secret: "not-the-client-secret"),
        };

        using var response = await bed.Client.GetAsync(path);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Null(await bed.RecordAsync());
        Assert.Empty(await bed.Get<ShopDirectory>().ListAsync());
        Assert.Equal(0, bed.Shop.TokenGrants);
        Assert.Empty(bed.Shop.Read(s => s.Webhooks.Values.ToList()));
    }

    [Fact]
    public async Task A_link_without_shopname_or_with_a_repeated_parameter_is_a_400()
    {
        await using var bed = await ShoprenterTestbed.StartAsync();

        using var missing = await bed.Client.GetAsync("/shoprenter/install?code=a&timestamp=1&hmac=" + new string('0', 64));
        using var repeated = await bed.Client.GetAsync(bed.Shop.BuildSignedPath("/shoprenter/install") + "&code=again");

        Assert.Equal(HttpStatusCode.BadRequest, missing.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, repeated.StatusCode);
        Assert.Equal("application/problem+json", repeated.Content.Headers.ContentType?.MediaType);
        Assert.Null(await bed.RecordAsync());
    }

    [Fact]
    public async Task A_refused_token_fails_the_install_with_403_and_stores_nothing()
    {
        await using var bed = await ShoprenterTestbed.StartAsync();
        bed.Shop.RefuseTokens = true;

        using var response = await bed.Client.GetAsync(bed.Shop.BuildSignedPath("/shoprenter/install"));

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Null(await bed.RecordAsync());
        Assert.Null(await bed.InfoAsync());
    }

    [Fact]
    public async Task The_entry_point_opens_the_admin_page_with_a_session_for_that_shop_only_once_per_link()
    {
        await using var bed = await ShoprenterTestbed.StartAsync();
        await bed.InstallAsync();
        var link = bed.Shop.BuildSignedPath("/shoprenter/entry", withAppUrl: false);

        using var response = await bed.Client.GetAsync(link);
        using var replay = await bed.Client.GetAsync(link);

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        var location = response.Headers.Location!.OriginalString;
        Assert.StartsWith($"/admin/?shop={Uri.EscapeDataString(bed.ShopKey)}&platform=shoprenter#session=", location);
        var token = new JsonWebToken(location[(location.IndexOf("#session=", StringComparison.Ordinal) + "#session=".Length)..]);
        Assert.Equal(bed.ShopKey, token.GetClaim("shop").Value);
        Assert.Equal(HttpStatusCode.Unauthorized, replay.StatusCode);
    }

    [Fact]
    public async Task The_admin_page_of_a_Shoprenter_shop_may_be_framed_by_its_admin_only()
    {
        await using var bed = await ShoprenterTestbed.StartAsync();
        await bed.InstallAsync();

        using var page = await bed.Client.GetAsync($"/admin/?shop={Uri.EscapeDataString(bed.ShopKey)}&platform=shoprenter");

        var csp = page.Headers.GetValues("Content-Security-Policy").Single();
        Assert.Contains("frame-ancestors https://demoshop.myshoprenter.hu https://*.myshoprenter.hu https://*.shoprenter.hu;", csp);
    }

    [Fact]
    public async Task An_uninstall_forgets_the_shop_and_its_links_and_webhooks_are_refused_afterwards()
    {
        await using var bed = await ShoprenterTestbed.StartAsync();
        await bed.InstallAsync();
        var hook = bed.Shop.Read(s => s.Webhooks.Values.First(w => w.Event == "newsletter_subscribe"));

        using var uninstall = await bed.Client.GetAsync(bed.Shop.BuildSignedPath("/shoprenter/uninstall", withAppUrl: false));

        Assert.Equal(HttpStatusCode.OK, uninstall.StatusCode);
        Assert.Null(await bed.RecordAsync());
        Assert.Empty(await bed.Get<IRelayStore>().ListKeysAsync(StoreKeys.Shop(bed.ShopKey)));
        Assert.Empty(bed.Shop.Read(s => s.Webhooks.Values.ToList()));
        using var entry = await bed.Client.GetAsync(bed.Shop.BuildSignedPath("/shoprenter/entry", withAppUrl: false));
        Assert.Equal(HttpStatusCode.NotFound, entry.StatusCode);
        Assert.Equal("application/problem+json", entry.Content.Headers.ContentType?.MediaType);
        using var late = await bed.Client.PostAsync(new Uri(hook.Url).PathAndQuery, new StringContent("{}", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.Unauthorized, late.StatusCode);
        Assert.Equal(0, await bed.QueuedAsync());
    }

    [Fact]
    public async Task Without_Shoprenter_credentials_its_routes_answer_404()
    {
        await using var relay = new Relay.Tests.Infrastructure.RelayApplication();
        using var client = relay.CreateClient();

        using var response = await client.GetAsync("/shoprenter/install?shopname=x");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }
}

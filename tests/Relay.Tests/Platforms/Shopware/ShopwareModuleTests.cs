using System.Net;
using Microsoft.IdentityModel.JsonWebTokens;
using Relay.Admin;
using Simulators.Shopware;

namespace Relay.Tests.Platforms.Shopware;

/// <summary>Protocol §4: the admin module iframe URL, signed by the shop, opens a session for that shop only.</summary>
public sealed class ShopwareModuleTests
{
    [Fact]
    public async Task Signed_module_url_redirects_to_the_admin_page_with_a_session_for_this_shop()
    {
        await using var bed = await ShopwareTestbed.StartAsync();
        await bed.InstallAsync();

        using var response = await bed.Client.GetAsync(bed.Shop.ModuleUrl(userLanguage: "de-DE"));

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        var location = response.Headers.Location!.OriginalString;
        var prefix = $"/admin/?shop={Uri.EscapeDataString(bed.ShopKey)}#session=";
        Assert.StartsWith(prefix, location);
        var token = new JsonWebTokenHandler().ReadJsonWebToken(location[prefix.Length..]);
        Assert.Equal(bed.ShopKey, token.GetClaim(AdminSessions.ShopClaim).Value);
        Assert.Equal("de-DE", token.GetClaim("lang").Value);
        Assert.Equal(AdminSessions.Audience, Assert.Single(token.Audiences));
        Assert.Contains("no-store", response.Headers.CacheControl!.ToString());
    }

    [Fact]
    public async Task A_replayed_module_url_is_401_and_a_freshly_signed_one_opens_again()
    {
        await using var bed = await ShopwareTestbed.StartAsync();
        await bed.InstallAsync();
        var url = bed.Shop.ModuleUrl();

        using var first = await bed.Client.GetAsync(url);
        using var replay = await bed.Client.GetAsync(url);

        Assert.Equal(HttpStatusCode.Redirect, first.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, replay.StatusCode);
        Assert.Equal("application/problem+json", replay.Content.Headers.ContentType?.MediaType);
        bed.Time.Advance(TimeSpan.FromSeconds(1));
        using var reopened = await bed.Client.GetAsync(bed.Shop.ModuleUrl());
        Assert.Equal(HttpStatusCode.Redirect, reopened.StatusCode);
    }

    [Fact]
    public async Task Module_url_signed_with_the_previous_secret_works_only_within_the_grace_window()
    {
        await using var bed = await ShopwareTestbed.StartAsync();
        await bed.InstallAsync();
        var oldSecret = bed.Shop.ShopSecret!;
        Assert.True((await bed.Shop.RegisterAsync()).Succeeded);

        using var within = await bed.Client.GetAsync(bed.Shop.ModuleUrl(signWith: oldSecret));
        bed.Time.Advance(TimeSpan.FromSeconds(60));
        using var after = await bed.Client.GetAsync(bed.Shop.ModuleUrl(signWith: oldSecret));

        Assert.Equal(HttpStatusCode.Redirect, within.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, after.StatusCode);
    }

    [Fact]
    public async Task Forged_module_url_is_401()
    {
        await using var bed = await ShopwareTestbed.StartAsync();
        await bed.InstallAsync();

        using var forged = await bed.Client.GetAsync(bed.Shop.ModuleUrl(signWith: "forged"));
        using var tampered = await bed.Client.GetAsync(bed.Shop.ModuleUrl().Replace("sw-user-language=en-GB", "sw-user-language=de-DE"));
        using var unsigned = await bed.Client.GetAsync(bed.Shop.ModuleUrl().Split("&shopware-shop-signature=")[0]);

        Assert.Equal(HttpStatusCode.Unauthorized, forged.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, tampered.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, unsigned.StatusCode);
        Assert.Equal("application/problem+json", forged.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task Stale_module_url_is_401()
    {
        await using var bed = await ShopwareTestbed.StartAsync();
        await bed.InstallAsync();
        var url = bed.Shop.ModuleUrl();

        bed.Time.Advance(TimeSpan.FromMinutes(16));
        using var response = await bed.Client.GetAsync(url);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task Module_url_for_an_unknown_shop_is_401()
    {
        await using var bed = await ShopwareTestbed.StartAsync();

        using var response = await bed.Client.GetAsync(bed.Shop.ModuleUrl(signWith: "whatever"));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }
}

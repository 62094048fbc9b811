using System.Net;
using Microsoft.IdentityModel.JsonWebTokens;

namespace Relay.Tests.Platforms.Shoper;

/// <summary>Protocol §3: the admin iframe entry checks the signed place/shop/timestamp and hands the page a session.</summary>
[Collection(ShoperTestbed.Collection)]
public sealed class ShoperIframeTests
{
    [Fact]
    public async Task A_signed_fresh_link_redirects_to_the_admin_page_with_a_shop_scoped_session()
    {
        await using var bed = await ShoperTestbed.StartAsync();
        await bed.InstallAsync();

        using var response = await bed.Client.GetAsync(bed.Shop.BuildIframePath());

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        var location = response.Headers.Location!.OriginalString;
        Assert.StartsWith("/admin/?platform=shoper#session=", location);
        var token = new JsonWebToken(location[(location.IndexOf("#session=", StringComparison.Ordinal) + "#session=".Length)..]);
        Assert.Equal(bed.ShopKey, token.GetClaim("shop").Value);
        Assert.Equal("pl_PL", token.GetClaim("lang").Value);
    }

    [Fact]
    public async Task A_forged_link_is_refused()
    {
        await using var bed = await ShoperTestbed.StartAsync();
        await bed.InstallAsync();
        var path = bed.Shop.BuildIframePath().Replace("place=admin", "place=orders");

        using var response = await bed.Client.GetAsync(path);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task A_link_without_its_hash_or_with_another_key_is_refused_and_opens_no_session()
    {
        await using var bed = await ShoperTestbed.StartAsync();
        await bed.InstallAsync();
        var signed = bed.Shop.BuildIframePath();
        var unsigned = System.Text.RegularExpressions.Regex.Replace(signed, "&hash=[0-9a-f]+", "");
        var timestamp = bed.Time!.GetUtcNow().ToUnixTimeSeconds();
        var otherKey = $"/shoper/iframe?place=admin&shop={bed.Shop.Options.ShopLicense}&timestamp={timestamp}" +
                       $"&hash={Simulators.Shoper.ShoperShopSimulator.HmacSha512Hex("not-the-appstore-secret", $"place=admin&shop={bed.Shop.Options.ShopLicense}&timestamp={timestamp}")}";

        using var missing = await bed.Client.GetAsync(unsigned);
        using var forged = await bed.Client.GetAsync(otherKey);

        Assert.True(missing.StatusCode is HttpStatusCode.BadRequest or HttpStatusCode.Unauthorized, $"missing hash: {missing.StatusCode}");
        Assert.Equal(HttpStatusCode.Unauthorized, forged.StatusCode);
        Assert.Null(missing.Headers.Location);
        Assert.Null(forged.Headers.Location);
    }

    [Fact]
    public async Task A_stale_link_is_refused()
    {
        await using var bed = await ShoperTestbed.StartAsync();
        await bed.InstallAsync();

        using var stale = await bed.Client.GetAsync(bed.Shop.BuildIframePath(at: bed.Time!.GetUtcNow() - TimeSpan.FromMinutes(6)));
        using var future = await bed.Client.GetAsync(bed.Shop.BuildIframePath(at: bed.Time.GetUtcNow() + TimeSpan.FromMinutes(6)));
        using var recent = await bed.Client.GetAsync(bed.Shop.BuildIframePath(at: bed.Time.GetUtcNow() - TimeSpan.FromMinutes(4)));

        Assert.Equal(HttpStatusCode.Unauthorized, stale.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, future.StatusCode);
        Assert.Equal(HttpStatusCode.Redirect, recent.StatusCode);
    }

    [Fact]
    public async Task A_link_for_a_shop_that_never_installed_the_app_gets_404()
    {
        await using var bed = await ShoperTestbed.StartAsync();

        using var response = await bed.Client.GetAsync(bed.Shop.BuildIframePath());

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task A_link_without_the_signed_fields_is_a_400()
    {
        await using var bed = await ShoperTestbed.StartAsync();

        using var response = await bed.Client.GetAsync("/shoper/iframe?place=admin");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }
}

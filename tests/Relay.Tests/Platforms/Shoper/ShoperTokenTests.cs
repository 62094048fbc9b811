using Relay.Platforms.Shoper;
using Relay.Secrets;
using Relay.Shops;

namespace Relay.Tests.Platforms.Shoper;

/// <summary>Protocol §2: access tokens are refreshed ahead of expiry and after a 401; a refused refresh means reinstall.</summary>
[Collection(ShoperTestbed.Collection)]
public sealed class ShoperTokenTests
{
    [Fact]
    public async Task A_token_with_more_than_a_day_left_is_used_as_is()
    {
        await using var bed = await ShoperTestbed.StartAsync();
        await bed.InstallAsync();
        bed.Time!.Advance(TimeSpan.FromDays(28));

        await bed.ShoperClient().ListSubscribersAsync(bed.ShopKey);

        Assert.Equal(0, bed.Shop.TokenRefreshes);
    }

    [Fact]
    public async Task A_token_with_less_than_a_day_left_is_refreshed_before_the_call_and_both_tokens_are_replaced()
    {
        await using var bed = await ShoperTestbed.StartAsync();
        await bed.InstallAsync();
        var before = (await bed.RecordAsync())!;
        bed.Time!.Advance(TimeSpan.FromDays(29) + TimeSpan.FromHours(1));

        await bed.ShoperClient().ListSubscribersAsync(bed.ShopKey);

        Assert.Equal(1, bed.Shop.TokenRefreshes);
        var after = (await bed.RecordAsync())!;
        var protector = bed.Get<SecretProtector>();
        Assert.Equal(bed.Shop.CurrentAccessToken, protector.Unprotect(after.ProtectedAccessToken!));
        Assert.NotEqual(protector.Unprotect(before.ProtectedRefreshToken!), protector.Unprotect(after.ProtectedRefreshToken!));
        Assert.Equal(bed.Time.GetUtcNow() + TimeSpan.FromDays(30), after.AccessTokenExpiresAt);
        Assert.All(bed.Shop.Requests.Where(r => r.Path == "/webapi/rest/subscribers"), r => Assert.Equal(200, r.Status));
    }

    [Fact]
    public async Task The_rotated_refresh_token_is_persisted_and_is_the_one_the_next_refresh_uses()
    {
        await using var bed = await ShoperTestbed.StartAsync();
        await bed.InstallAsync();
        var protector = bed.Get<SecretProtector>();
        var original = protector.Unprotect((await bed.RecordAsync())!.ProtectedRefreshToken!);

        bed.Time!.Advance(TimeSpan.FromDays(29) + TimeSpan.FromHours(1));
        await bed.ShoperClient().ListSubscribersAsync(bed.ShopKey);
        var rotated = protector.Unprotect((await bed.RecordAsync())!.ProtectedRefreshToken!);
        // The shop takes every refresh token once: a second refresh only works with the stored, rotated one.
        bed.Time.Advance(TimeSpan.FromDays(29) + TimeSpan.FromHours(1));
        await bed.ShoperClient().ListSubscribersAsync(bed.ShopKey);
        bed.Shop.RevokeAccessTokens();
        await bed.ShoperClient().ListSubscribersAsync(bed.ShopKey);

        Assert.Equal(3, bed.Shop.TokenRefreshes);
        Assert.NotEqual(original, rotated);
        var latest = protector.Unprotect((await bed.RecordAsync())!.ProtectedRefreshToken!);
        Assert.NotEqual(rotated, latest);
        Assert.Equal(ShopStatus.Active, (await bed.InfoAsync())!.Status);
        Assert.All(bed.Shop.Requests.Where(r => r.Path == "/webapi/rest/subscribers"), r => Assert.Contains(r.Status, new[] { 200, 401 }));
    }

    [Fact]
    public async Task A_401_refreshes_once_and_the_call_is_repeated()
    {
        await using var bed = await ShoperTestbed.StartAsync();
        await bed.InstallAsync();
        bed.Shop.SeedSubscriber("anna@example.com");
        bed.Shop.RevokeAccessTokens();

        var page = await bed.ShoperClient().ListSubscribersAsync(bed.ShopKey);

        Assert.Single(page.List);
        Assert.Equal(1, bed.Shop.TokenRefreshes);
        Assert.Equal([401, 200], bed.Shop.Requests.Where(r => r.Path == "/webapi/rest/subscribers").Select(r => r.Status));
    }

    [Fact]
    public async Task A_refused_refresh_marks_the_shop_as_needing_a_reinstall_with_the_reason()
    {
        await using var bed = await ShoperTestbed.StartAsync();
        await bed.InstallAsync();
        bed.Shop.RevokeAccessTokens();
        bed.Shop.RefuseRefresh = true;

        var error = await Assert.ThrowsAsync<ShoperReinstallRequiredException>(() => bed.ShoperClient().ListSubscribersAsync(bed.ShopKey));

        var info = (await bed.InfoAsync())!;
        Assert.Equal(ShopStatus.NeedsReinstall, info.Status);
        Assert.Contains("invalid_grant", info.StatusReason);
        Assert.Equal(bed.ShopKey, error.ShopKey);
    }

    [Fact]
    public async Task A_refused_early_refresh_also_marks_the_shop()
    {
        await using var bed = await ShoperTestbed.StartAsync();
        await bed.InstallAsync();
        bed.Shop.RefuseRefresh = true;
        bed.Time!.Advance(TimeSpan.FromDays(29) + TimeSpan.FromHours(12));

        await Assert.ThrowsAsync<ShoperReinstallRequiredException>(() => bed.ShoperClient().ListSubscribersAsync(bed.ShopKey));

        Assert.Equal(ShopStatus.NeedsReinstall, (await bed.InfoAsync())!.Status);
    }

    [Fact]
    public async Task Concurrent_callers_share_one_refresh()
    {
        await using var bed = await ShoperTestbed.StartAsync();
        await bed.InstallAsync();
        bed.Time!.Advance(TimeSpan.FromDays(29) + TimeSpan.FromHours(1));

        await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => bed.ShoperClient().ListSubscribersAsync(bed.ShopKey)));

        Assert.Equal(1, bed.Shop.TokenRefreshes);
    }
}

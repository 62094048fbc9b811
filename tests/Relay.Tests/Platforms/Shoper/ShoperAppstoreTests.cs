using System.Net;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Relay.Platforms.Shoper;
using Relay.Secrets;
using Relay.Shops;
using Relay.Storage;
using Relay.Tests.Infrastructure;
using Simulators.Shoper;

namespace Relay.Tests.Platforms.Shoper;

/// <summary>Protocol §1–2: lifecycle notifications from the Appstore and the OAuth code exchange at install.</summary>
[Collection(ShoperTestbed.Collection)]
public sealed class ShoperAppstoreTests
{
    [Fact]
    public async Task Install_exchanges_the_code_stores_tokens_encrypted_and_registers_one_webhook()
    {
        await using var bed = await ShoperTestbed.StartAsync();

        await bed.InstallAsync();

        Assert.Equal(1, bed.Shop.TokenGrants);
        var info = await bed.InfoAsync();
        Assert.NotNull(info);
        Assert.Equal(ShopStatus.Active, info.Status);
        Assert.Equal("shoper", info.Platform);
        Assert.Equal(bed.Shop.Options.ShopLicense, info.ShopId);

        var record = await bed.RecordAsync();
        Assert.NotNull(record);
        Assert.Equal(bed.Shop.BaseUrl, record.ApiUrl);
        Assert.Equal(3, record.ApplicationVersion);
        Assert.Equal(bed.Time!.GetUtcNow() + TimeSpan.FromDays(30), record.AccessTokenExpiresAt);

        // At rest only ciphertext; it decrypts to what the shop issued.
        var raw = await bed.Get<IRelayStore>().GetAsync(StoreKeys.ShopItem(bed.ShopKey, "shoper"));
        var accessToken = bed.Shop.CurrentAccessToken!;
        Assert.DoesNotContain(accessToken, raw);
        Assert.DoesNotContain("rt-", raw);
        var protector = bed.Get<SecretProtector>();
        Assert.Equal(accessToken, protector.Unprotect(record.ProtectedAccessToken!));
        Assert.StartsWith("rt-", protector.Unprotect(record.ProtectedRefreshToken!));

        var webhook = Assert.Single(bed.Shop.Webhooks.Values);
        Assert.Equal(ShoperTestbed.PublicBaseUrl + "/shoper/webhooks", webhook.Url);
        Assert.Equal(["subscriber.create", "subscriber.edit", "subscriber.delete", "client.create", "client.edit", "client.delete",
            "order.create", "order.edit", "order.paid", "order.status", "order.delete"], webhook.Events);
        Assert.Equal(0, webhook.Format);
        Assert.True(webhook.Active);
        Assert.Equal(webhook.WebhookId, record.WebhookId);
        Assert.True(webhook.Secret.Length >= 32);
        Assert.Equal(webhook.Secret, protector.Unprotect(record.ProtectedWebhookSecret!));
        Assert.DoesNotContain(webhook.Secret, raw);
    }

    [Fact]
    public async Task Install_with_a_wrong_hash_is_refused_and_nothing_is_stored()
    {
        await using var bed = await ShoperTestbed.StartAsync();
        var fields = bed.Shop.BuildNotification("install");
        fields["hash"] = ShoperShopSimulator.AppstoreHash(fields, "not-the-appstore-secret");

        using var response = await bed.Client.PostAsync("/shoper/appstore", new FormUrlEncodedContent(fields));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(0, bed.Shop.TokenGrants);
        Assert.Null(await bed.InfoAsync());
        Assert.Empty(await bed.Get<IRelayStore>().ListKeysAsync(StoreKeys.Shop(bed.ShopKey)));
        Assert.Empty(bed.Shop.Webhooks);
    }

    [Fact]
    public async Task Install_without_a_hash_is_refused_and_nothing_is_stored()
    {
        await using var bed = await ShoperTestbed.StartAsync();
        var fields = bed.Shop.BuildNotification("install");
        fields.Remove("hash");

        using var response = await bed.Client.PostAsync("/shoper/appstore", new FormUrlEncodedContent(fields));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(0, bed.Shop.TokenGrants);
        Assert.Empty(await bed.Get<IRelayStore>().ListKeysAsync(StoreKeys.Shop(bed.ShopKey)));
        Assert.Empty(bed.Shop.Webhooks);
    }

    [Theory]
    [InlineData("uninstall")]
    [InlineData("upgrade")]
    [InlineData("billing_subscription")]
    public async Task Forged_or_unsigned_lifecycle_notifications_change_nothing(string action)
    {
        await using var bed = await ShoperTestbed.StartAsync();
        await bed.InstallAsync();
        var before = (await bed.RecordAsync())!;
        var forged = bed.Shop.BuildNotification(action, new Dictionary<string, string> { ["application_version"] = "9", ["subscription_end_time"] = "2030-01-01 00:00:00" });
        forged["hash"] = ShoperShopSimulator.AppstoreHash(forged, "not-the-appstore-secret");
        var unsigned = bed.Shop.BuildNotification(action);
        unsigned.Remove("hash");

        using var a = await bed.Client.PostAsync("/shoper/appstore", new FormUrlEncodedContent(forged));
        using var b = await bed.Client.PostAsync("/shoper/appstore", new FormUrlEncodedContent(unsigned));

        Assert.Equal(HttpStatusCode.Unauthorized, a.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, b.StatusCode);
        Assert.Equal(before, await bed.RecordAsync());
        Assert.Equal(ShopStatus.Active, (await bed.InfoAsync())!.Status);
        Assert.Single(bed.Shop.Webhooks);
        Assert.Equal(0, bed.Shop.TokenRefreshes);
    }

    [Fact]
    public async Task A_field_changed_after_signing_breaks_the_hash()
    {
        await using var bed = await ShoperTestbed.StartAsync();
        var fields = bed.Shop.BuildNotification("install");
        fields["shop_url"] = "https://attacker.example";

        using var response = await bed.Client.PostAsync("/shoper/appstore", new FormUrlEncodedContent(fields));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Null(await bed.InfoAsync());
    }

    [Fact]
    public async Task Fields_shoper_adds_later_are_signed_too()
    {
        await using var bed = await ShoperTestbed.StartAsync();

        using var response = await bed.Shop.SendNotificationAsync(bed.Client, "install", new Dictionary<string, string> { ["trial"] = "1" });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.True((await bed.RecordAsync())!.Trial);
    }

    [Fact]
    public async Task Malformed_notifications_get_400_problems()
    {
        await using var bed = await ShoperTestbed.StartAsync();

        using var json = await bed.Client.PostAsync("/shoper/appstore", new StringContent("{\"action\":\"install\"}", System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, json.StatusCode);
        Assert.Equal("application/problem+json", json.Content.Headers.ContentType?.MediaType);

        // Correctly signed but without the shop, or with a broken shop_url.
        var noShop = bed.Shop.BuildNotification("install");
        noShop.Remove("shop");
        noShop["hash"] = ShoperShopSimulator.AppstoreHash(noShop, bed.Shop.Options.AppstoreSecret);
        using var missing = await bed.Client.PostAsync("/shoper/appstore", new FormUrlEncodedContent(noShop));
        Assert.Equal(HttpStatusCode.BadRequest, missing.StatusCode);

        using var badUrl = await bed.Shop.SendNotificationAsync(bed.Client, "install", new Dictionary<string, string> { ["shop_url"] = "not a url" });
        Assert.Equal(HttpStatusCode.BadRequest, badUrl.StatusCode);

        using var unknownAction = await bed.Shop.SendNotificationAsync(bed.Client, "explode");
        Assert.Equal(HttpStatusCode.BadRequest, unknownAction.StatusCode);

        var repeated = bed.Shop.BuildNotification("install").Select(f => new KeyValuePair<string, string>(f.Key, f.Value)).Append(new("shop", "second")).ToList();
        using var twice = await bed.Client.PostAsync("/shoper/appstore", new FormUrlEncodedContent(repeated));
        Assert.Equal(HttpStatusCode.BadRequest, twice.StatusCode);

        using var empty = await bed.Client.PostAsync("/shoper/appstore", new FormUrlEncodedContent([]));
        Assert.Equal(HttpStatusCode.Unauthorized, empty.StatusCode);
        Assert.Null(await bed.InfoAsync());
    }

    [Fact]
    public async Task An_oversized_notification_is_a_400_not_a_500()
    {
        await using var bed = await ShoperTestbed.StartAsync();
        var fields = bed.Shop.BuildNotification("install", Enumerable.Range(0, 100).ToDictionary(i => $"extra{i}", i => "x"));

        using var response = await bed.Client.PostAsync("/shoper/appstore", new FormUrlEncodedContent(fields));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Null(await bed.InfoAsync());
    }

    [Fact]
    public async Task A_notification_for_another_application_is_refused()
    {
        await using var bed = await ShoperTestbed.StartAsync();

        using var response = await bed.Shop.SendNotificationAsync(bed.Client, "install", new Dictionary<string, string> { ["application_code"] = "someone-else" });

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Null(await bed.InfoAsync());
    }

    [Fact]
    public async Task Install_with_a_code_the_shop_refuses_answers_502_and_stores_nothing()
    {
        await using var bed = await ShoperTestbed.StartAsync();
        var fields = bed.Shop.BuildNotification("install", new Dictionary<string, string> { ["auth_code"] = "never-issued" });

        using var response = await bed.Client.PostAsync("/shoper/appstore", new FormUrlEncodedContent(fields));

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        Assert.Null(await bed.InfoAsync());
        Assert.Null(await bed.RecordAsync());
    }

    [Fact]
    public async Task Install_follows_one_redirect_of_shop_url_to_the_real_entry_point()
    {
        await using var bed = await ShoperTestbed.StartAsync();
        bed.Shop.NotifyRedirectingShopUrl = true;

        await bed.InstallAsync();

        Assert.Equal(bed.Shop.BaseUrl, (await bed.RecordAsync())!.ApiUrl);
        Assert.Equal(bed.Shop.BaseUrl, (await bed.InfoAsync())!.Url);
        Assert.Single(bed.Shop.Webhooks);
    }

    [Fact]
    public async Task Reinstall_into_a_known_shop_updates_the_record_and_replaces_the_webhook()
    {
        await using var bed = await ShoperTestbed.StartAsync();
        await bed.InstallAsync();
        var first = (await bed.RecordAsync())!;
        var firstInfo = (await bed.InfoAsync())!;
        await bed.Get<ShopDirectory>().SaveAsync(firstInfo with { Status = ShopStatus.NeedsReinstall, StatusReason = "refresh refused" });
        bed.Time!.Advance(TimeSpan.FromHours(3));

        await bed.InstallAsync();

        var second = (await bed.RecordAsync())!;
        Assert.Equal(2, bed.Shop.TokenGrants);
        Assert.NotEqual(first.ProtectedAccessToken, second.ProtectedAccessToken);
        Assert.Equal(bed.Shop.CurrentAccessToken, bed.Get<SecretProtector>().Unprotect(second.ProtectedAccessToken!));
        var webhook = Assert.Single(bed.Shop.Webhooks.Values);
        Assert.Equal(webhook.WebhookId, second.WebhookId);
        Assert.NotEqual(first.WebhookId, second.WebhookId);
        var info = (await bed.InfoAsync())!;
        Assert.Equal(ShopStatus.Active, info.Status);
        Assert.Null(info.StatusReason);
        Assert.Equal(firstInfo.InstalledAt, info.InstalledAt);
        Assert.Equal(bed.Time.GetUtcNow(), info.UpdatedAt);
    }

    [Fact]
    public async Task Uninstall_deletes_the_webhook_and_forgets_tokens_and_shop()
    {
        await using var bed = await ShoperTestbed.StartAsync();
        await bed.InstallAsync();
        Assert.Single(bed.Shop.Webhooks);

        using var response = await bed.Shop.SendNotificationAsync(bed.Client, "uninstall");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Empty(bed.Shop.Webhooks);
        Assert.Null(await bed.RecordAsync());
        Assert.Null(await bed.InfoAsync());
        Assert.Empty(await bed.Get<IRelayStore>().ListKeysAsync(StoreKeys.Shop(bed.ShopKey)));
        await Assert.ThrowsAsync<ShoperReinstallRequiredException>(() => bed.ShoperClient().ListSubscribersAsync(bed.ShopKey));
    }

    [Fact]
    public async Task Install_after_an_uninstall_starts_from_scratch_with_new_tokens_and_a_new_webhook()
    {
        await using var bed = await ShoperTestbed.StartAsync();
        await bed.InstallAsync();
        var firstWebhook = Assert.Single(bed.Shop.Webhooks.Values);
        using var uninstall = await bed.Shop.SendNotificationAsync(bed.Client, "uninstall");
        Assert.Null(await bed.RecordAsync());
        bed.Time!.Advance(TimeSpan.FromDays(2));

        await bed.InstallAsync();

        Assert.Equal(2, bed.Shop.TokenGrants);
        var record = (await bed.RecordAsync())!;
        Assert.Equal(bed.Shop.CurrentAccessToken, bed.Get<SecretProtector>().Unprotect(record.ProtectedAccessToken!));
        var webhook = Assert.Single(bed.Shop.Webhooks.Values);
        Assert.NotEqual(firstWebhook.WebhookId, webhook.WebhookId);
        Assert.Equal(webhook.WebhookId, record.WebhookId);
        var info = (await bed.InfoAsync())!;
        Assert.Equal(ShopStatus.Active, info.Status);
        Assert.Equal(bed.Time.GetUtcNow(), info.InstalledAt);
        bed.Shop.SeedSubscriber("anna@example.com");
        Assert.Single((await bed.ShoperClient().ListSubscribersAsync(bed.ShopKey)).List);
    }

    [Fact]
    public async Task Uninstall_succeeds_when_the_shop_already_revoked_the_token()
    {
        await using var bed = await ShoperTestbed.StartAsync();
        await bed.InstallAsync();
        bed.Shop.RevokeAccessTokens();
        bed.Shop.RefuseRefresh = true;

        using var response = await bed.Shop.SendNotificationAsync(bed.Client, "uninstall");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Null(await bed.InfoAsync());
        Assert.Null(await bed.RecordAsync());
    }

    [Fact]
    public async Task Billing_subscription_records_when_the_subscription_ends()
    {
        await using var bed = await ShoperTestbed.StartAsync();
        await bed.InstallAsync();

        using var response = await bed.Shop.SendNotificationAsync(bed.Client, "billing_subscription",
            new Dictionary<string, string> { ["subscription_end_time"] = "2027-01-15 12:34:56" });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(new DateTimeOffset(2027, 1, 15, 12, 34, 56, TimeSpan.FromHours(1)), (await bed.RecordAsync())!.SubscriptionEndsAt);

        using var malformed = await bed.Shop.SendNotificationAsync(bed.Client, "billing_subscription",
            new Dictionary<string, string> { ["subscription_end_time"] = "soon" });
        Assert.Equal(HttpStatusCode.BadRequest, malformed.StatusCode);
    }

    [Fact]
    public async Task Billing_install_records_the_payment()
    {
        await using var bed = await ShoperTestbed.StartAsync();
        await bed.InstallAsync();

        using var response = await bed.Shop.SendNotificationAsync(bed.Client, "billing_install");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(bed.Time!.GetUtcNow(), (await bed.RecordAsync())!.BilledAt);
    }

    [Fact]
    public async Task Upgrade_records_the_version_and_refreshes_the_token()
    {
        await using var bed = await ShoperTestbed.StartAsync();
        await bed.InstallAsync();

        using var response = await bed.Shop.SendNotificationAsync(bed.Client, "upgrade", new Dictionary<string, string> { ["application_version"] = "7" });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var record = (await bed.RecordAsync())!;
        Assert.Equal(7, record.ApplicationVersion);
        Assert.Equal(1, bed.Shop.TokenRefreshes);
        Assert.Equal(bed.Shop.CurrentAccessToken, bed.Get<SecretProtector>().Unprotect(record.ProtectedAccessToken!));
    }

    [Fact]
    public async Task Notifications_for_an_unknown_shop_are_acknowledged_and_store_nothing()
    {
        await using var bed = await ShoperTestbed.StartAsync();

        using var response = await bed.Shop.SendNotificationAsync(bed.Client, "billing_install");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Empty(await bed.Get<IRelayStore>().ListKeysAsync(StoreKeys.Shop(bed.ShopKey)));
    }

    [Fact]
    public async Task Without_shoper_settings_the_relay_starts_and_the_routes_answer_404()
    {
        await using var relay = new RelayApplication();
        using var client = relay.CreateClient();

        using var response = await client.PostAsync("/shoper/appstore", new FormUrlEncodedContent([]));

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Theory]
    [InlineData("Shoper:AppSecret")]
    [InlineData("Shoper:AppstoreSecret")]
    [InlineData("Shoper:PublicBaseUrl")]
    public void Incomplete_shoper_settings_fail_validation_naming_the_missing_setting(string missing)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Shoper:AppId"] = "app",
            ["Shoper:AppSecret"] = "secret",
            ["Shoper:AppstoreSecret"] = "appstore",
            ["Shoper:PublicBaseUrl"] = "https://relay.example.test",
        };
        settings.Remove(missing);
        var services = new ServiceCollection()
            .AddSingleton<IConfiguration>(new ConfigurationBuilder().AddInMemoryCollection(settings).Build())
            .AddShoper()
            .BuildServiceProvider();

        var error = Assert.Throws<OptionsValidationException>(() => services.GetRequiredService<IOptions<ShoperOptions>>().Value);

        Assert.Contains(missing, string.Join(" ", error.Failures));
    }
}

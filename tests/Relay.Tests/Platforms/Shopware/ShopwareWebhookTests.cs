using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Relay.Platforms.Shopware;
using Relay.Shops;
using Relay.Storage;
using Simulators.Shopware;

namespace Relay.Tests.Platforms.Shopware;

/// <summary>Protocol §3: signed webhooks into the inbox, and the app lifecycle events.</summary>
public sealed class ShopwareWebhookTests
{
    [Fact]
    public async Task Signed_webhook_is_answered_2xx_and_its_raw_body_is_queued()
    {
        await using var bed = await ShopwareTestbed.StartAsync();
        await bed.InstallAsync();
        var body = bed.Shop.WebhookBody("customer.written", ShopwareTestbed.CustomerWritten("0190a6b4c1a57f0f9e1c2d3e4f5a6b7c"), eventId: "5f1e0c2b7d9a4e3f8b6a1c0d9e8f7a6b");

        using var response = await bed.Shop.SendSignedAsync("/shopware/webhook", body);

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        var item = Assert.Single(await bed.DrainAsync());
        Assert.Equal(bed.ShopKey, item.Event.ShopKey);
        Assert.Equal("5f1e0c2b7d9a4e3f8b6a1c0d9e8f7a6b", item.Event.EventId);
        Assert.Equal(ShopwareWebhooks.InboxKind, item.Event.Kind);
        Assert.Equal(body, item.Event.Body);
        Assert.Contains(":\\/\\/", item.Event.Body); // PHP's escaped slashes survive: the bytes are never re-serialised
    }

    [Fact]
    public async Task Retried_delivery_with_the_same_event_id_is_accepted_once()
    {
        await using var bed = await ShopwareTestbed.StartAsync();
        await bed.InstallAsync();

        using var first = await bed.Shop.SendWebhookAsync("newsletter.unsubscribe", new JsonObject { ["newsletterRecipient"] = new JsonObject { ["id"] = "r1" } }, eventId: "e-1");
        bed.Time.Advance(TimeSpan.FromSeconds(2));
        // The async path recomputes the timestamp on every attempt: the body differs, the event id does not.
        using var retry = await bed.Shop.SendWebhookAsync("newsletter.unsubscribe", new JsonObject { ["newsletterRecipient"] = new JsonObject { ["id"] = "r1" } }, eventId: "e-1");

        Assert.Equal(HttpStatusCode.NoContent, first.StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, retry.StatusCode);
        Assert.Equal(1, await bed.QueuedAsync());
    }

    [Theory]
    [InlineData(-16)]
    [InlineData(16)]
    public async Task Webhook_with_a_timestamp_outside_the_tolerance_is_rejected(int minutes)
    {
        await using var bed = await ShopwareTestbed.StartAsync();
        await bed.InstallAsync();

        using var response = await bed.Shop.SendWebhookAsync("customer.written", ShopwareTestbed.CustomerWritten("c1"),
            timestamp: bed.Time.GetUtcNow().AddMinutes(minutes).ToUnixTimeSeconds());

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal(0, await bed.QueuedAsync());
    }

    [Fact]
    public async Task Webhook_tolerance_is_configurable()
    {
        await using var bed = await ShopwareTestbed.StartAsync(settings: new() { ["Shopware:WebhookTolerance"] = "00:30:00" });
        await bed.InstallAsync();

        using var response = await bed.Shop.SendWebhookAsync("customer.written", ShopwareTestbed.CustomerWritten("c1"),
            timestamp: bed.Time.GetUtcNow().AddMinutes(-20).ToUnixTimeSeconds());

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
    }

    [Fact]
    public async Task Webhook_from_an_unknown_shop_is_401_and_nothing_is_stored()
    {
        await using var bed = await ShopwareTestbed.StartAsync();

        using var response = await bed.Shop.SendWebhookAsync("customer.written", ShopwareTestbed.CustomerWritten("c1"), signWith: "some-secret");

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(0, await bed.QueuedAsync());
        Assert.Empty(await bed.Relay.Get<IRelayStore>().ListKeysAsync(StoreKeys.Shop(bed.ShopKey)));
    }

    [Fact]
    public async Task Webhook_with_a_wrong_signature_is_401()
    {
        await using var bed = await ShopwareTestbed.StartAsync();
        await bed.InstallAsync();

        using var forged = await bed.Shop.SendWebhookAsync("customer.written", ShopwareTestbed.CustomerWritten("c1"), signWith: "forged");
        var body = bed.Shop.WebhookBody("customer.written", ShopwareTestbed.CustomerWritten("c1"));
        using var unsigned = await bed.Client.PostAsync("/shopware/webhook", new StringContent(body, Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.Unauthorized, forged.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, unsigned.StatusCode);
        Assert.Equal(0, await bed.QueuedAsync());
    }

    [Fact]
    public async Task Webhook_for_a_deactivated_app_is_401_and_reactivation_opens_it_again()
    {
        await using var bed = await ShopwareTestbed.StartAsync();
        await bed.InstallAsync();

        using var deactivated = await bed.Shop.SendLifecycleAsync("app.deactivated", new JsonArray());
        Assert.Equal(HttpStatusCode.NoContent, deactivated.StatusCode);
        Assert.Equal(ShopStatus.Inactive, (await bed.ShopInfoAsync())!.Status);
        using var refused = await bed.Shop.SendWebhookAsync("customer.written", ShopwareTestbed.CustomerWritten("c1"));
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);

        using var activated = await bed.Shop.SendLifecycleAsync("app.activated", new JsonArray());
        using var accepted = await bed.Shop.SendWebhookAsync("customer.written", ShopwareTestbed.CustomerWritten("c1"));
        Assert.Equal(ShopStatus.Active, (await bed.ShopInfoAsync())!.Status);
        Assert.Equal(HttpStatusCode.NoContent, accepted.StatusCode);
        Assert.Equal(1, await bed.QueuedAsync());
    }

    [Theory]
    [InlineData("{not json")]
    [InlineData("[]")]
    [InlineData("{\"data\":{\"event\":\"customer.written\"},\"timestamp\":1}")]
    [InlineData("{\"data\":{\"event\":\"customer.written\"},\"source\":{\"shopId\":\"x\"},\"timestamp\":\"soon\"}")]
    [InlineData("{\"data\":[],\"source\":{\"shopId\":\"x\"},\"timestamp\":1}")]
    public async Task Malformed_webhook_is_a_400_problem_never_a_500(string body)
    {
        await using var bed = await ShopwareTestbed.StartAsync();
        await bed.InstallAsync();

        using var response = await bed.Shop.SendSignedAsync("/shopware/webhook", body);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task Webhook_without_event_id_is_a_400_problem()
    {
        await using var bed = await ShopwareTestbed.StartAsync();
        await bed.InstallAsync();
        var body = bed.Shop.WebhookBody("customer.written", ShopwareTestbed.CustomerWritten("c1")).Replace("\"eventId\"", "\"eventID\"");

        using var response = await bed.Shop.SendSignedAsync("/shopware/webhook", body);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Fact]
    public async Task Webhook_that_is_not_json_is_415()
    {
        await using var bed = await ShopwareTestbed.StartAsync();
        await bed.InstallAsync();
        var body = bed.Shop.WebhookBody("customer.written", ShopwareTestbed.CustomerWritten("c1"));
        using var request = new HttpRequestMessage(HttpMethod.Post, "/shopware/webhook") { Content = new StringContent(body, Encoding.UTF8, "text/plain") };
        request.Headers.Add("shopware-shop-signature", ShopwareShopSimulator.Sign(bed.Shop.ShopSecret!, body));

        using var response = await bed.Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
        Assert.Equal(0, await bed.QueuedAsync());
    }

    [Fact]
    public async Task Oversized_webhook_body_is_413()
    {
        await using var bed = await ShopwareTestbed.StartAsync();
        await bed.InstallAsync();
        var body = bed.Shop.WebhookBody("customer.written", new JsonObject { ["padding"] = new string('x', 1024 * 1024) });

        using var response = await bed.Shop.SendSignedAsync("/shopware/webhook", body);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal(0, await bed.QueuedAsync());
    }

    [Fact]
    public async Task Install_goes_registered_then_installed_then_active()
    {
        await using var bed = await ShopwareTestbed.StartAsync();
        Assert.True((await bed.Shop.RegisterAsync()).Succeeded);
        Assert.Equal(ShopStatus.Inactive, (await bed.ShopInfoAsync())!.Status);

        using var installed = await bed.Shop.SendLifecycleAsync("app.installed", new JsonObject { ["appVersion"] = "1.0.0" });
        Assert.Equal(ShopStatus.Inactive, (await bed.ShopInfoAsync())!.Status);
        using var activated = await bed.Shop.SendLifecycleAsync("app.activated", new JsonArray());
        Assert.Equal(ShopStatus.Active, (await bed.ShopInfoAsync())!.Status);
        using var updated = await bed.Shop.SendLifecycleAsync("app.updated", new JsonObject { ["appVersion"] = "1.1.0" });
        Assert.Equal(HttpStatusCode.NoContent, updated.StatusCode);
        Assert.Equal(ShopStatus.Active, (await bed.ShopInfoAsync())!.Status);
    }

    [Fact]
    public async Task Lifecycle_event_with_a_wrong_signature_changes_nothing()
    {
        await using var bed = await ShopwareTestbed.StartAsync();
        await bed.InstallAsync();

        using var response = await bed.Shop.SendLifecycleAsync("app.deleted", new JsonObject { ["keepUserData"] = false }, signWith: "forged");

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal(ShopStatus.Active, (await bed.ShopInfoAsync())!.Status);
    }

    [Theory]
    [InlineData("{\"keepUserData\":false}")]
    [InlineData("[]")]
    public async Task App_deleted_without_keep_user_data_purges_secrets_credentials_and_queued_work(string payload)
    {
        await using var bed = await ShopwareTestbed.StartAsync();
        await bed.InstallAsync();
        using var queued = await bed.Shop.SendWebhookAsync("customer.written", ShopwareTestbed.CustomerWritten("c1"));
        Assert.Equal(1, await bed.QueuedAsync());

        using var deleted = await bed.Shop.SendLifecycleAsync("app.deleted", JsonNode.Parse(payload));

        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        Assert.Null(await bed.ShopInfoAsync());
        Assert.Null(await bed.CredentialsAsync());
        Assert.Equal(0, await bed.QueuedAsync());
        Assert.Empty(await bed.Relay.Get<IRelayStore>().ListKeysAsync(StoreKeys.Shop(bed.ShopKey)));
        using var after = await bed.Shop.SendWebhookAsync("customer.written", ShopwareTestbed.CustomerWritten("c1"));
        Assert.Equal(HttpStatusCode.Unauthorized, after.StatusCode);
    }

    [Fact]
    public async Task Reinstall_after_a_full_uninstall_registers_the_shop_afresh_and_the_old_secret_is_dead()
    {
        await using var bed = await ShopwareTestbed.StartAsync();
        await bed.InstallAsync();
        var oldSecret = bed.Shop.ShopSecret!;
        using var deleted = await bed.Shop.SendLifecycleAsync("app.deleted", new JsonObject { ["keepUserData"] = false });
        Assert.Null(await bed.CredentialsAsync());
        bed.Time.Advance(TimeSpan.FromMinutes(5));

        await bed.InstallAsync();

        Assert.NotEqual(oldSecret, bed.Shop.ShopSecret);
        var credentials = (await bed.CredentialsAsync())!;
        Assert.Equal(bed.Shop.ShopSecret, credentials.ShopSecret);
        Assert.Null(credentials.PreviousShopSecret);
        var info = (await bed.ShopInfoAsync())!;
        Assert.Equal(ShopStatus.Active, info.Status);
        Assert.Equal(bed.Time.GetUtcNow(), info.InstalledAt);
        using var stale = await bed.Shop.SendWebhookAsync("customer.written", ShopwareTestbed.CustomerWritten("c1"), signWith: oldSecret);
        using var fresh = await bed.Shop.SendWebhookAsync("customer.written", ShopwareTestbed.CustomerWritten("c1"));
        Assert.Equal(HttpStatusCode.Unauthorized, stale.StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, fresh.StatusCode);
    }

    [Fact]
    public async Task App_deleted_with_keep_user_data_keeps_the_record_stops_work_and_allows_a_signed_reinstall()
    {
        await using var bed = await ShopwareTestbed.StartAsync();
        await bed.InstallAsync();
        using var queued = await bed.Shop.SendWebhookAsync("customer.written", ShopwareTestbed.CustomerWritten("c1"));

        using var deleted = await bed.Shop.SendLifecycleAsync("app.deleted", new JsonObject { ["keepUserData"] = true });

        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        Assert.Equal(ShopStatus.Deleted, (await bed.ShopInfoAsync())!.Status);
        Assert.NotNull(await bed.CredentialsAsync());
        Assert.Equal(0, await bed.QueuedAsync());
        using var refused = await bed.Shop.SendWebhookAsync("customer.written", ShopwareTestbed.CustomerWritten("c2"));
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);

        // Newer Shopware signs the reinstall with the stashed secret, so the kept record accepts it.
        await bed.InstallAsync();
        Assert.Equal(ShopStatus.Active, (await bed.ShopInfoAsync())!.Status);
    }
}

using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Relay.Shops;
using Simulators.Shopware;

namespace Relay.Tests.Platforms.Shopware;

/// <summary>
/// Every endpoint the shop calls, against forged, missing, stale and replayed signatures (the cases
/// the endpoint-specific classes do not already cover): each is a 4xx problem and changes nothing.
/// </summary>
public sealed class ShopwareSignatureEnforcementTests
{
    // ---- confirmation ------------------------------------------------------------------------

    [Fact]
    public async Task Confirmation_without_a_signature_is_401_and_the_shop_is_not_registered()
    {
        await using var bed = await ShopwareTestbed.StartAsync();
        var query = bed.Shop.RegistrationQuery(false, bed.Time.GetUtcNow().ToUnixTimeSeconds());
        using var registration = await bed.Shop.SendRegistrationRequestAsync(query, ShopwareShopSimulator.Sign(ShopwareTestbed.AppSecret, query));
        Assert.Equal(HttpStatusCode.OK, registration.StatusCode);
        var body = Confirmation(bed.Shop.ShopId, bed.Shop.ShopUrl);

        using var response = await bed.Shop.SendConfirmationAsync("/shopware/register/confirm", body, signature: null);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Null(await bed.CredentialsAsync());
        Assert.NotEqual(ShopStatus.Active, (await bed.ShopInfoAsync())?.Status);
    }

    [Fact]
    public async Task Replayed_confirmation_after_it_succeeded_is_401_and_the_confirmed_keys_stay()
    {
        await using var bed = await ShopwareTestbed.StartAsync();
        var query = bed.Shop.RegistrationQuery(false, bed.Time.GetUtcNow().ToUnixTimeSeconds());
        using var registration = await bed.Shop.SendRegistrationRequestAsync(query, ShopwareShopSimulator.Sign(ShopwareTestbed.AppSecret, query));
        var secret = JsonDocument.Parse(await registration.Content.ReadAsStringAsync()).RootElement.GetProperty("secret").GetString()!;
        var body = Confirmation(bed.Shop.ShopId, bed.Shop.ShopUrl, apiKey: "SWIAFIRSTKEYFIRSTKEY0000");
        using var confirmed = await bed.Shop.SendConfirmationAsync("/shopware/register/confirm", body, ShopwareShopSimulator.Sign(secret, body));
        Assert.Equal(HttpStatusCode.NoContent, confirmed.StatusCode);
        var stored = await bed.CredentialsAsync();

        bed.Time.Advance(TimeSpan.FromSeconds(30));
        using var replay = await bed.Shop.SendConfirmationAsync("/shopware/register/confirm", body, ShopwareShopSimulator.Sign(secret, body));

        Assert.Equal(HttpStatusCode.Unauthorized, replay.StatusCode);
        Assert.Equal(stored, await bed.CredentialsAsync());
    }

    [Fact]
    public async Task Confirmation_after_the_pending_registration_expired_is_401()
    {
        await using var bed = await ShopwareTestbed.StartAsync();
        var query = bed.Shop.RegistrationQuery(false, bed.Time.GetUtcNow().ToUnixTimeSeconds());
        using var registration = await bed.Shop.SendRegistrationRequestAsync(query, ShopwareShopSimulator.Sign(ShopwareTestbed.AppSecret, query));
        var secret = JsonDocument.Parse(await registration.Content.ReadAsStringAsync()).RootElement.GetProperty("secret").GetString()!;
        var body = Confirmation(bed.Shop.ShopId, bed.Shop.ShopUrl);

        bed.Time.Advance(TimeSpan.FromMinutes(11)); // Shopware:PendingRegistrationLifetime is 10 minutes
        using var late = await bed.Shop.SendConfirmationAsync("/shopware/register/confirm", body, ShopwareShopSimulator.Sign(secret, body));

        Assert.Equal(HttpStatusCode.Unauthorized, late.StatusCode);
        Assert.Null(await bed.CredentialsAsync());
    }

    // ---- registration ------------------------------------------------------------------------

    [Fact]
    public async Task Replayed_re_registration_request_without_its_confirmation_changes_no_credentials()
    {
        await using var bed = await ShopwareTestbed.StartAsync();
        await bed.InstallAsync();
        var before = await bed.CredentialsAsync();
        var query = bed.Shop.RegistrationQuery(false, bed.Time.GetUtcNow().ToUnixTimeSeconds());
        var appSignature = ShopwareShopSimulator.Sign(ShopwareTestbed.AppSecret, query);
        var shopSignature = ShopwareShopSimulator.Sign(bed.Shop.ShopSecret!, query);

        using var first = await bed.Shop.SendRegistrationRequestAsync(query, appSignature, shopSignature);
        using var replay = await bed.Shop.SendRegistrationRequestAsync(query, appSignature, shopSignature);
        bed.Time.Advance(TimeSpan.FromMinutes(16));
        using var stale = await bed.Shop.SendRegistrationRequestAsync(query, appSignature, shopSignature);

        Assert.Equal(HttpStatusCode.OK, replay.StatusCode); // a new secret is only offered; nothing is in force before the confirmation
        Assert.Equal(HttpStatusCode.Unauthorized, stale.StatusCode);
        Assert.Equal(before, await bed.CredentialsAsync());
        Assert.Equal(ShopStatus.Active, (await bed.ShopInfoAsync())!.Status);
    }

    // ---- lifecycle ---------------------------------------------------------------------------

    [Fact]
    public async Task Lifecycle_event_without_a_signature_is_401_and_changes_nothing()
    {
        await using var bed = await ShopwareTestbed.StartAsync();
        await bed.InstallAsync();
        var body = bed.Shop.WebhookBody("app.deactivated", new JsonArray());

        using var response = await bed.Client.PostAsync("/shopware/lifecycle", new StringContent(body, Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(ShopStatus.Active, (await bed.ShopInfoAsync())!.Status);
    }

    [Theory]
    [InlineData(-16)]
    [InlineData(16)]
    public async Task Lifecycle_event_with_a_stale_timestamp_is_401_and_changes_nothing(int minutes)
    {
        await using var bed = await ShopwareTestbed.StartAsync();
        await bed.InstallAsync();
        var body = bed.Shop.WebhookBody("app.deleted", new JsonObject { ["keepUserData"] = false },
            timestamp: bed.Time.GetUtcNow().AddMinutes(minutes).ToUnixTimeSeconds());

        using var response = await bed.Shop.SendSignedAsync("/shopware/lifecycle", body);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal(ShopStatus.Active, (await bed.ShopInfoAsync())!.Status);
        Assert.NotNull(await bed.CredentialsAsync());
    }

    [Fact]
    public async Task Replayed_lifecycle_event_is_applied_once()
    {
        await using var bed = await ShopwareTestbed.StartAsync();
        await bed.InstallAsync();
        var deactivation = bed.Shop.WebhookBody("app.deactivated", new JsonArray(), eventId: "lifecycle-evt-1");
        using var deactivated = await bed.Shop.SendSignedAsync("/shopware/lifecycle", deactivation);
        Assert.Equal(ShopStatus.Inactive, (await bed.ShopInfoAsync())!.Status);
        bed.Time.Advance(TimeSpan.FromSeconds(20));
        using var activated = await bed.Shop.SendLifecycleAsync("app.activated", new JsonArray());
        Assert.Equal(ShopStatus.Active, (await bed.ShopInfoAsync())!.Status);

        // The same signed delivery again (a retry or a replay) within the tolerance.
        bed.Time.Advance(TimeSpan.FromSeconds(20));
        using var replay = await bed.Shop.SendSignedAsync("/shopware/lifecycle", deactivation);

        Assert.True(replay.IsSuccessStatusCode || (int)replay.StatusCode is >= 400 and < 500, $"replay answered {replay.StatusCode}");
        Assert.Equal(ShopStatus.Active, (await bed.ShopInfoAsync())!.Status);
        using var webhook = await bed.Shop.SendWebhookAsync("customer.written", ShopwareTestbed.CustomerWritten("c1"));
        Assert.Equal(HttpStatusCode.NoContent, webhook.StatusCode);
    }

    [Theory]
    [InlineData("{not json")]
    [InlineData("[]")]
    [InlineData("{\"data\":{\"event\":\"app.deleted\"},\"timestamp\":1}")]
    [InlineData("{\"source\":{\"shopId\":\"x\"},\"timestamp\":1}")]
    [InlineData("{\"data\":{\"event\":\"app.deleted\"},\"source\":{\"shopId\":\"x\"},\"timestamp\":\"soon\"}")]
    public async Task Malformed_lifecycle_event_is_a_400_problem_never_a_500(string body)
    {
        await using var bed = await ShopwareTestbed.StartAsync();
        await bed.InstallAsync();

        using var response = await bed.Shop.SendSignedAsync("/shopware/lifecycle", body);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(ShopStatus.Active, (await bed.ShopInfoAsync())!.Status);
    }

    // ---- body limit (Shopware:MaxBodyBytes) ---------------------------------------------------

    [Theory]
    [InlineData("/shopware/webhook")]
    [InlineData("/shopware/lifecycle")]
    [InlineData("/shopware/register/confirm")]
    public async Task Body_over_the_configured_limit_is_a_413_problem_and_nothing_is_stored(string path)
    {
        await using var bed = await ShopwareTestbed.StartAsync(settings: new() { ["Shopware:MaxBodyBytes"] = "2048" });
        await bed.InstallAsync();
        var credentials = await bed.CredentialsAsync();
        var body = path == "/shopware/register/confirm"
            ? Confirmation(bed.Shop.ShopId, bed.Shop.ShopUrl, padding: new string('x', 4096))
            : bed.Shop.WebhookBody(path.EndsWith("lifecycle") ? "app.deactivated" : "customer.written", new JsonObject { ["padding"] = new string('x', 4096) });

        using var response = await bed.Shop.SendSignedAsync(path, body);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(0, await bed.QueuedAsync());
        Assert.Equal(ShopStatus.Active, (await bed.ShopInfoAsync())!.Status);
        Assert.Equal(credentials, await bed.CredentialsAsync());

        // Just under the limit goes through.
        var small = bed.Shop.WebhookBody("customer.written", ShopwareTestbed.CustomerWritten("c1"));
        Assert.True(Encoding.UTF8.GetByteCount(small) < 2048);
        using var ok = await bed.Shop.SendSignedAsync("/shopware/webhook", small);
        Assert.Equal(HttpStatusCode.NoContent, ok.StatusCode);
    }

    [Fact]
    public async Task Body_over_the_limit_without_a_content_length_is_413_too()
    {
        await using var bed = await ShopwareTestbed.StartAsync(settings: new() { ["Shopware:MaxBodyBytes"] = "2048" });
        await bed.InstallAsync();
        var body = bed.Shop.WebhookBody("customer.written", new JsonObject { ["padding"] = new string('x', 8192) });
        using var request = new HttpRequestMessage(HttpMethod.Post, "/shopware/webhook")
        {
            Content = new StreamContent(new NoLengthStream(Encoding.UTF8.GetBytes(body))),
        };
        request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        request.Headers.Add("shopware-shop-signature", ShopwareShopSimulator.Sign(bed.Shop.ShopSecret!, body));

        using var response = await bed.Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal(0, await bed.QueuedAsync());
    }

    [Fact]
    public async Task Refused_deliveries_leave_no_dedup_mark_so_the_genuine_one_is_still_accepted()
    {
        await using var bed = await ShopwareTestbed.StartAsync();
        await bed.InstallAsync();
        var body = bed.Shop.WebhookBody("customer.written", ShopwareTestbed.CustomerWritten("c1"), eventId: "evt-forged");

        using var forged = await bed.Shop.SendSignedAsync("/shopware/webhook", body, signWith: "forged");
        using var stale = await bed.Shop.SendWebhookAsync("customer.written", ShopwareTestbed.CustomerWritten("c1"), eventId: "evt-stale",
            timestamp: bed.Time.GetUtcNow().AddMinutes(-20).ToUnixTimeSeconds());
        // Refused deliveries leave no dedup mark: the genuine one with the same event id is still accepted.
        using var genuine = await bed.Shop.SendSignedAsync("/shopware/webhook", body);

        Assert.Equal(HttpStatusCode.Unauthorized, forged.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, stale.StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, genuine.StatusCode);
        Assert.Equal("evt-forged", Assert.Single(await bed.DrainAsync()).Event.EventId);
    }

    private static string Confirmation(string shopId, string shopUrl, string apiKey = "SWIAEXAMPLEAPIKEY0000000", string? padding = null)
    {
        var body = new JsonObject
        {
            ["apiKey"] = apiKey,
            ["secretKey"] = "example-secret-key",
            ["timestamp"] = "1700000000",
            ["shopUrl"] = shopUrl,
            ["shopId"] = shopId,
        };
        if (padding is not null) body["padding"] = padding;
        return ShopwareShopSimulator.PhpJson(body);
    }

    /// <summary>A body sent chunked: the limit has to hold while reading, not only on Content-Length.</summary>
    private sealed class NoLengthStream(byte[] bytes) : MemoryStream(bytes)
    {
        public override bool CanSeek => false;
    }
}

using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Relay.Platforms.Shopware;
using Relay.Shops;
using Relay.Storage;
using Simulators.Shopware;

namespace Relay.Tests.Platforms.Shopware;

/// <summary>Protocol §1: registration GET, proof, confirmation POST, re-registration and secret rotation.</summary>
public sealed class ShopwareRegistrationTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Install_registers_the_shop_with_a_valid_proof_and_stores_the_secret_encrypted(bool encodeShopUrl)
    {
        await using var bed = await ShopwareTestbed.StartAsync();

        var outcome = await bed.Shop.InstallAsync(encodeShopUrl);

        Assert.True(outcome.ProofValid);
        Assert.Equal(HttpStatusCode.NoContent, outcome.ConfirmationStatus);
        Assert.InRange(outcome.NewSecret!.Length, 64, 255);
        var info = await bed.ShopInfoAsync();
        Assert.Equal(ShopStatus.Active, info!.Status);
        Assert.Equal(bed.Shop.ShopUrl, info.Url);
        var credentials = await bed.CredentialsAsync();
        Assert.Equal(bed.Shop.ShopSecret, credentials!.ShopSecret);
        Assert.Equal(bed.Shop.ApiKey, credentials.ApiKey);
        Assert.Equal(bed.Shop.SecretKey, credentials.SecretKey);

        // Nothing secret is stored in the clear.
        var store = bed.Relay.Get<IRelayStore>();
        foreach (var key in await store.ListKeysAsync(StoreKeys.Shop(bed.ShopKey)))
        {
            var value = await store.GetAsync(key) ?? "";
            Assert.DoesNotContain(bed.Shop.ShopSecret!, value);
            Assert.DoesNotContain(bed.Shop.SecretKey!, value);
        }
    }

    [Fact]
    public async Task Docs_example_request_with_url_encoded_shop_url_is_verified_over_the_raw_query()
    {
        await using var bed = await ShopwareTestbed.StartAsync(now: DateTimeOffset.FromUnixTimeSeconds(159239728), appSecret: "secret");

        using var response = await bed.Shop.SendRegistrationRequestAsync(
            "shop-id=KIPf0Fz6BUkN&shop-url=http%3A%2F%2Fmy.shop.com&timestamp=159239728",
            "a8830aface4ac4a21be94844426e62c77078ca9a10f694737b75ca156b950a2d");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var answer = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        // The proof uses the decoded value exactly as sent.
        Assert.Equal(ShopwareShopSimulator.Sign("secret", "KIPf0Fz6BUkN" + "http://my.shop.com" + ShopwareTestbed.AppName),
            answer.RootElement.GetProperty("proof").GetString());
        Assert.Equal("http://localhost/shopware/register/confirm", answer.RootElement.GetProperty("confirmation_url").GetString());
        Assert.InRange(answer.RootElement.GetProperty("secret").GetString()!.Length, 64, 255);
    }

    [Fact]
    public async Task Registration_with_a_wrong_app_signature_is_refused_with_401_and_nothing_is_stored()
    {
        await using var bed = await ShopwareTestbed.StartAsync();

        var outcome = await bed.Shop.RegisterAsync(appSecret: "not-the-app-secret");

        Assert.Equal(HttpStatusCode.Unauthorized, outcome.RegistrationStatus);
        Assert.Contains("\"error\"", outcome.RegistrationBody);
        Assert.Null(await bed.ShopInfoAsync());
        Assert.Null(await bed.Relay.Get<ShopwareShops>().GetPendingAsync(bed.Shop.ShopId));
    }

    [Fact]
    public async Task Registration_without_a_signature_is_refused_with_401_problem()
    {
        await using var bed = await ShopwareTestbed.StartAsync();

        using var response = await bed.Shop.SendRegistrationRequestAsync(bed.Shop.RegistrationQuery(false, bed.Time.GetUtcNow().ToUnixTimeSeconds()), appSignature: null);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task Registration_with_a_stale_timestamp_is_refused()
    {
        await using var bed = await ShopwareTestbed.StartAsync();
        var query = bed.Shop.RegistrationQuery(false, bed.Time.GetUtcNow().AddMinutes(-16).ToUnixTimeSeconds());

        using var response = await bed.Shop.SendRegistrationRequestAsync(query, ShopwareShopSimulator.Sign(ShopwareTestbed.AppSecret, query));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Null(await bed.ShopInfoAsync());
    }

    [Fact]
    public async Task Registration_without_shop_url_is_a_400_problem()
    {
        await using var bed = await ShopwareTestbed.StartAsync();
        var query = $"shop-id={bed.Shop.ShopId}&timestamp={bed.Time.GetUtcNow().ToUnixTimeSeconds()}";

        using var response = await bed.Shop.SendRegistrationRequestAsync(query, ShopwareShopSimulator.Sign(ShopwareTestbed.AppSecret, query));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task Registration_stays_pending_until_confirmed()
    {
        await using var bed = await ShopwareTestbed.StartAsync();
        var query = bed.Shop.RegistrationQuery(false, bed.Time.GetUtcNow().ToUnixTimeSeconds());

        using var response = await bed.Shop.SendRegistrationRequestAsync(query, ShopwareShopSimulator.Sign(ShopwareTestbed.AppSecret, query));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(ShopStatus.Pending, (await bed.ShopInfoAsync())!.Status);
        Assert.Null(await bed.CredentialsAsync());
        using var webhook = await bed.Shop.SendWebhookAsync("customer.written", ShopwareTestbed.CustomerWritten("c1"),
            signWith: JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("secret").GetString());
        Assert.Equal(HttpStatusCode.Unauthorized, webhook.StatusCode);
    }

    [Fact]
    public async Task Confirmation_with_a_wrong_signature_is_401_and_the_old_secret_stays_in_force()
    {
        await using var bed = await ShopwareTestbed.StartAsync();
        await bed.InstallAsync();
        var oldSecret = bed.Shop.ShopSecret!;
        var query = bed.Shop.RegistrationQuery(false, bed.Time.GetUtcNow().ToUnixTimeSeconds());
        using var registration = await bed.Shop.SendRegistrationRequestAsync(query,
            ShopwareShopSimulator.Sign(ShopwareTestbed.AppSecret, query), ShopwareShopSimulator.Sign(oldSecret, query));
        var answer = JsonDocument.Parse(await registration.Content.ReadAsStringAsync()).RootElement;
        var body = ConfirmationBody(bed.Shop.ShopId, bed.Shop.ShopUrl);

        using var confirmation = await bed.Shop.SendConfirmationAsync(answer.GetProperty("confirmation_url").GetString()!, body,
            ShopwareShopSimulator.Sign("forged-secret", body), ShopwareShopSimulator.Sign(oldSecret, body));

        Assert.Equal(HttpStatusCode.Unauthorized, confirmation.StatusCode);
        Assert.Equal("application/problem+json", confirmation.Content.Headers.ContentType?.MediaType);
        Assert.Equal(oldSecret, (await bed.CredentialsAsync())!.ShopSecret);
        bed.Time.Advance(TimeSpan.FromMinutes(5));
        using var webhook = await bed.Shop.SendWebhookAsync("customer.written", ShopwareTestbed.CustomerWritten("c1"));
        Assert.Equal(HttpStatusCode.NoContent, webhook.StatusCode);
    }

    [Fact]
    public async Task Confirmation_without_a_pending_registration_is_refused()
    {
        await using var bed = await ShopwareTestbed.StartAsync();
        var body = ConfirmationBody(bed.Shop.ShopId, bed.Shop.ShopUrl);

        using var response = await bed.Shop.SendConfirmationAsync("/shopware/register/confirm", body, ShopwareShopSimulator.Sign("anything", body));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Null(await bed.CredentialsAsync());
    }

    [Theory]
    [InlineData("{not json")]
    [InlineData("[]")]
    [InlineData("{\"shopId\":\"abc\"}")]
    [InlineData("{\"shopId\":42,\"apiKey\":\"k\",\"secretKey\":\"s\"}")]
    public async Task Malformed_confirmation_is_a_400_problem(string body)
    {
        await using var bed = await ShopwareTestbed.StartAsync();

        using var response = await bed.Shop.SendConfirmationAsync("/shopware/register/confirm", body, ShopwareShopSimulator.Sign("x", body));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task Re_registration_of_a_known_shop_without_shop_signature_is_refused()
    {
        await using var bed = await ShopwareTestbed.StartAsync();
        await bed.InstallAsync();
        var query = bed.Shop.RegistrationQuery(false, bed.Time.GetUtcNow().ToUnixTimeSeconds());

        using var response = await bed.Shop.SendRegistrationRequestAsync(query, ShopwareShopSimulator.Sign(ShopwareTestbed.AppSecret, query));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Null(await bed.Relay.Get<ShopwareShops>().GetPendingAsync(bed.Shop.ShopId));
    }

    [Fact]
    public async Task Re_registration_signed_with_a_wrong_shop_secret_is_refused_and_recovery_with_the_right_one_succeeds()
    {
        await using var bed = await ShopwareTestbed.StartAsync();
        await bed.InstallAsync();
        var committed = bed.Shop.ShopSecret!;

        // Recovery: Shopware tries its candidate secrets newest first until the app accepts one.
        var first = await bed.Shop.RegisterAsync(signShopWith: "unconfirmed-candidate-the-app-never-saw");
        var second = await bed.Shop.RegisterAsync(signShopWith: committed);

        Assert.Equal(HttpStatusCode.Unauthorized, first.RegistrationStatus);
        Assert.True(second.Succeeded);
        Assert.NotEqual(committed, bed.Shop.ShopSecret);
        Assert.Equal(bed.Shop.ShopSecret, (await bed.CredentialsAsync())!.ShopSecret);
    }

    [Fact]
    public async Task Secret_rotation_accepts_the_previous_secret_for_60_seconds_only()
    {
        await using var bed = await ShopwareTestbed.StartAsync();
        await bed.InstallAsync();
        var oldSecret = bed.Shop.ShopSecret!;
        var oldApiKey = bed.Shop.ApiKey;

        var rotation = await bed.Shop.RegisterAsync();

        Assert.True(rotation.Succeeded);
        var credentials = await bed.CredentialsAsync();
        Assert.Equal(bed.Shop.ShopSecret, credentials!.ShopSecret);
        Assert.Equal(oldSecret, credentials.PreviousShopSecret);
        Assert.NotEqual(oldApiKey, credentials.ApiKey);
        Assert.Equal(HttpStatusCode.NoContent, await Webhook(bed, bed.Shop.ShopSecret!));
        Assert.Equal(HttpStatusCode.NoContent, await Webhook(bed, oldSecret));
        bed.Time.Advance(TimeSpan.FromSeconds(59));
        Assert.Equal(HttpStatusCode.NoContent, await Webhook(bed, oldSecret));
        bed.Time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(HttpStatusCode.Unauthorized, await Webhook(bed, oldSecret));
        Assert.Equal(HttpStatusCode.NoContent, await Webhook(bed, bed.Shop.ShopSecret!));
    }

    [Fact]
    public async Task Shop_url_change_takes_effect_only_after_the_confirmation()
    {
        await using var bed = await ShopwareTestbed.StartAsync();
        await bed.InstallAsync();
        var secret = bed.Shop.ShopSecret!;
        const string movedUrl = "https://moved.example.com/shop";
        var query = $"shop-id={bed.Shop.ShopId}&shop-url={movedUrl}&timestamp={bed.Time.GetUtcNow().ToUnixTimeSeconds()}";

        using var registration = await bed.Shop.SendRegistrationRequestAsync(query,
            ShopwareShopSimulator.Sign(ShopwareTestbed.AppSecret, query), ShopwareShopSimulator.Sign(secret, query));
        var answer = JsonDocument.Parse(await registration.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal(ShopwareShopSimulator.Sign(ShopwareTestbed.AppSecret, bed.Shop.ShopId + movedUrl + ShopwareTestbed.AppName), answer.GetProperty("proof").GetString());
        Assert.Equal(bed.Shop.ShopUrl, (await bed.CredentialsAsync())!.ShopUrl);
        Assert.Equal(bed.Shop.ShopUrl, (await bed.ShopInfoAsync())!.Url);

        var newSecret = answer.GetProperty("secret").GetString()!;
        var body = ConfirmationBody(bed.Shop.ShopId, movedUrl);
        using var confirmation = await bed.Shop.SendConfirmationAsync(answer.GetProperty("confirmation_url").GetString()!, body,
            ShopwareShopSimulator.Sign(newSecret, body), ShopwareShopSimulator.Sign(secret, body));

        Assert.Equal(HttpStatusCode.NoContent, confirmation.StatusCode);
        Assert.Equal(movedUrl, (await bed.CredentialsAsync())!.ShopUrl);
        var info = await bed.ShopInfoAsync();
        Assert.Equal(movedUrl, info!.Url);
        Assert.Equal(ShopStatus.Active, info.Status);
    }

    [Fact]
    public async Task Repeated_registrations_in_a_row_only_the_newest_can_be_confirmed()
    {
        await using var bed = await ShopwareTestbed.StartAsync();
        var query = bed.Shop.RegistrationQuery(false, bed.Time.GetUtcNow().ToUnixTimeSeconds());
        var signature = ShopwareShopSimulator.Sign(ShopwareTestbed.AppSecret, query);
        using var first = await bed.Shop.SendRegistrationRequestAsync(query, signature);
        using var second = await bed.Shop.SendRegistrationRequestAsync(query, signature);
        var firstSecret = JsonDocument.Parse(await first.Content.ReadAsStringAsync()).RootElement.GetProperty("secret").GetString()!;
        var secondSecret = JsonDocument.Parse(await second.Content.ReadAsStringAsync()).RootElement.GetProperty("secret").GetString()!;
        Assert.NotEqual(firstSecret, secondSecret);
        var body = ConfirmationBody(bed.Shop.ShopId, bed.Shop.ShopUrl);

        using var stale = await bed.Shop.SendConfirmationAsync("/shopware/register/confirm", body, ShopwareShopSimulator.Sign(firstSecret, body));
        using var newest = await bed.Shop.SendConfirmationAsync("/shopware/register/confirm", body, ShopwareShopSimulator.Sign(secondSecret, body));

        Assert.Equal(HttpStatusCode.Unauthorized, stale.StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, newest.StatusCode);
        Assert.Equal(secondSecret, (await bed.CredentialsAsync())!.ShopSecret);
        Assert.Equal(ShopStatus.Inactive, (await bed.ShopInfoAsync())!.Status);
    }

    [Fact]
    public async Task Older_shopware_without_dual_signatures_can_re_register_when_enforcement_is_off()
    {
        await using var bed = await ShopwareTestbed.StartAsync(sendsDualSignatures: false,
            settings: new() { ["Shopware:EnforceDualSignature"] = "false" });
        await bed.InstallAsync();
        var first = bed.Shop.ShopSecret;

        var again = await bed.Shop.RegisterAsync();

        Assert.True(again.Succeeded);
        Assert.NotEqual(first, bed.Shop.ShopSecret);
    }

    private static async Task<HttpStatusCode> Webhook(ShopwareTestbed bed, string secret)
    {
        using var response = await bed.Shop.SendWebhookAsync("customer.written", ShopwareTestbed.CustomerWritten("c1"), signWith: secret);
        return response.StatusCode;
    }

    private static string ConfirmationBody(string shopId, string shopUrl) => ShopwareShopSimulator.PhpJson(new JsonObject
    {
        ["apiKey"] = "SWIAFORGEDFORGEDFORGED00",
        ["secretKey"] = "forged-secret-key",
        ["timestamp"] = "1700000000",
        ["shopUrl"] = shopUrl,
        ["shopId"] = shopId,
    });
}

using System.Text;
using System.Text.Json.Nodes;
using Relay.Platforms.Shoper;
using Simulators.Shoper;

namespace Relay.Tests.Platforms.Shoper;

/// <summary>The "shoper" section of test-vectors.json, value for value.</summary>
public sealed class ShoperVectorTests
{
    private static readonly Dictionary<string, string> InstallFields = new()
    {
        ["action"] = "install",
        ["shop"] = "abc123shop",
        ["shop_url"] = "https://example.shoparena.pl",
        ["timestamp"] = "2024-01-15 12:34:56",
        ["application_code"] = "APPLICATION_CODE",
        ["auth_code"] = "AUTH_CODE",
        ["application_version"] = "5",
    };

    [Fact]
    public void Install_notification_hash_is_hmac_sha512_over_all_sorted_fields_with_raw_values()
    {
        Assert.Equal(
            "action=install&application_code=APPLICATION_CODE&application_version=5&auth_code=AUTH_CODE&shop=abc123shop&shop_url=https://example.shoparena.pl&timestamp=2024-01-15 12:34:56",
            ShoperAppstoreSignature.Message(InstallFields));
        const string expected = "3c944cc414578f7f4c32d5e00f653b28eaae2942f62dd4c3fc42aefd2c9a895416d3f6962be72a04410fad72b6ba738420d19f59a0caf05677b42e2997a08f7d";
        Assert.Equal(expected, ShoperAppstoreSignature.Compute(InstallFields, "APPSTORE_SECRET"));
        Assert.True(ShoperAppstoreSignature.IsValid(InstallFields, expected, "APPSTORE_SECRET"));
        Assert.True(ShoperAppstoreSignature.IsValid(InstallFields, expected.ToUpperInvariant(), "APPSTORE_SECRET"));
        Assert.Equal(expected, ShoperShopSimulator.AppstoreHash(InstallFields, "APPSTORE_SECRET"));
    }

    [Fact]
    public void The_received_hash_field_is_left_out_of_the_signed_message()
    {
        var withHash = new Dictionary<string, string>(InstallFields) { ["hash"] = "whatever" };
        Assert.Equal(ShoperAppstoreSignature.Message(InstallFields), ShoperAppstoreSignature.Message(withHash));
    }

    [Fact]
    public void Tampered_or_differently_keyed_notification_does_not_verify()
    {
        const string expected = "3c944cc414578f7f4c32d5e00f653b28eaae2942f62dd4c3fc42aefd2c9a895416d3f6962be72a04410fad72b6ba738420d19f59a0caf05677b42e2997a08f7d";
        var tampered = new Dictionary<string, string>(InstallFields) { ["shop"] = "other" };
        Assert.False(ShoperAppstoreSignature.IsValid(tampered, expected, "APPSTORE_SECRET"));
        Assert.False(ShoperAppstoreSignature.IsValid(InstallFields, expected, "APP_SECRET"));
        Assert.False(ShoperAppstoreSignature.IsValid(InstallFields, null, "APPSTORE_SECRET"));
        Assert.False(ShoperAppstoreSignature.IsValid(InstallFields, expected[..^2], "APPSTORE_SECRET"));
    }

    [Fact]
    public void Billing_subscription_hash()
    {
        var fields = new Dictionary<string, string>
        {
            ["action"] = "billing_subscription",
            ["application_code"] = "APPLICATION_CODE",
            ["shop"] = "abc123shop",
            ["shop_url"] = "https://example.shoparena.pl",
            ["subscription_end_time"] = "2024-02-15 12:34:56",
            ["timestamp"] = "2024-01-15 12:34:56",
        };
        Assert.Equal(
            "action=billing_subscription&application_code=APPLICATION_CODE&shop=abc123shop&shop_url=https://example.shoparena.pl&subscription_end_time=2024-02-15 12:34:56&timestamp=2024-01-15 12:34:56",
            ShoperAppstoreSignature.Message(fields));
        Assert.Equal(
            "d744bbd61b69968f317953717cd12657f848d14cec679a7ec14a0535c0f75c29dbc617dd5931a1b7e31ed2e796b7d7facdaabb3b37bb05b3ea9ff8533da569e0",
            ShoperAppstoreSignature.Compute(fields, "APPSTORE_SECRET"));
    }

    [Fact]
    public void Iframe_hash_signs_place_shop_timestamp_only()
    {
        Assert.Equal("place=admin&shop=abc123shop&timestamp=1705322096", ShoperIframeSignature.Message("admin", "abc123shop", "1705322096"));
        const string expected = "ea57f7139842a4a0bcb622283bb1ff17a21ec7f8aec63588c7f7c898987a9ea576dcedace0bc41651f268d1c1ccb91b472f61ddb8397bb41fc49b3c6d16f9563";
        Assert.Equal(expected, ShoperIframeSignature.Compute("admin", "abc123shop", "1705322096", "APPSTORE_SECRET"));
        Assert.True(ShoperIframeSignature.IsValid("admin", "abc123shop", "1705322096", expected, "APPSTORE_SECRET"));
        Assert.False(ShoperIframeSignature.IsValid("admin", "abc123shop", "1705322097", expected, "APPSTORE_SECRET"));
    }

    [Fact]
    public void Shop_webhook_sha1_is_plain_sha1_of_id_secret_and_raw_body()
    {
        var body = Encoding.UTF8.GetBytes("{}");
        Assert.Equal("fe2ca548b0a871c216b6512f5bd3971a67c3d398",
            ShoperWebhookSignature.Compute("35", "e2e-test-webhook-secret-at-least-32-characters-long", body));
        Assert.Equal("fe2ca548b0a871c216b6512f5bd3971a67c3d398",
            ShoperShopSimulator.WebhookSha1("35", "e2e-test-webhook-secret-at-least-32-characters-long", body));
    }

    [Fact]
    public void App_declared_webhook_uses_a_per_shop_key_derived_from_the_appstore_secret()
    {
        var derived = ShoperWebhookSignature.DeriveAppKey("appstore-secret-fixture", "shop-hash-fixture", "webhook-secret-fixture");
        Assert.Equal("545e27fb033b245251a3a76f493ef93e191776261a9ac823b3afc1abe5e9dbf3993fc2cd08b1f97596b7405b757048c0f103f11de24ea02e7338b81dbde7e296", derived);
        Assert.Equal("fdc063a0e8f5329bbfe3d225f982fdd52e2f4846",
            ShoperWebhookSignature.Compute("evt-123", derived, Encoding.UTF8.GetBytes("{\"event\":\"order.created\",\"data\":{\"id\":1}}")));
    }

    [Fact]
    public void Webhook_verification_names_the_key_that_matched()
    {
        var signature = new ShoperWebhookSignature(Microsoft.Extensions.Options.Options.Create(new ShoperOptions
        {
            AppstoreSecret = "appstore-secret-fixture",
            AppWebhookSecret = "webhook-secret-fixture",
        }));
        var body = Encoding.UTF8.GetBytes("{\"event\":\"order.created\",\"data\":{\"id\":1}}");
        Assert.Equal(ShoperWebhookKey.DerivedAppKey,
            signature.Verify("evt-123", "shop-hash-fixture", "registered", body, "fdc063a0e8f5329bbfe3d225f982fdd52e2f4846"));
        Assert.Equal(ShoperWebhookKey.RegisteredSecret,
            signature.Verify("35", "x", "e2e-test-webhook-secret-at-least-32-characters-long", Encoding.UTF8.GetBytes("{}"), "fe2ca548b0a871c216b6512f5bd3971a67c3d398"));
        Assert.Equal(ShoperWebhookKey.None,
            signature.Verify("36", "x", "e2e-test-webhook-secret-at-least-32-characters-long", Encoding.UTF8.GetBytes("{}"), "fe2ca548b0a871c216b6512f5bd3971a67c3d398"));
    }

    public static TheoryData<string> FileVectors => TestVectors.Names("shoper");

    /// <summary>
    /// Read from tests/test-vectors.json itself, so a vector added there later is tested too. The
    /// vector's members say which scheme it is: notification fields (or a notification message),
    /// an iframe query, a webhook SHA1 with the registered secret, or one with the derived per-shop key.
    /// </summary>
    [Theory]
    [MemberData(nameof(FileVectors))]
    public void Every_shoper_vector_of_the_vector_file_is_reproduced(string what)
    {
        var v = TestVectors.Vector("shoper", what);
        var expected = TestVectors.Text(v, "expected");

        if (v.ContainsKey("derived_key"))
        {
            var appstoreSecret = TestVectors.Text(v, "appstore_secret");
            var webhookSecret = TestVectors.Text(v, "webhook_secret");
            var license = TestVectors.Text(v, "shop_license");
            var id = TestVectors.Text(v, "webhook_id");
            var body = Encoding.UTF8.GetBytes(TestVectors.Text(v, "body"));
            var derived = ShoperWebhookSignature.DeriveAppKey(appstoreSecret, license, webhookSecret);
            Assert.Equal(TestVectors.Text(v, "derived_key"), derived);
            Assert.Equal(derived, ShoperShopSimulator.HmacSha512Hex(appstoreSecret, license + ":" + webhookSecret));
            Assert.Equal(expected, ShoperWebhookSignature.Compute(id, derived, body));
            Assert.Equal(expected, ShoperShopSimulator.WebhookSha1(id, derived, body));
            // Through the relay's verifier, as a delivery of an app-declared webhook arrives.
            var verifier = new ShoperWebhookSignature(Microsoft.Extensions.Options.Options.Create(new ShoperOptions
            {
                AppstoreSecret = appstoreSecret,
                AppWebhookSecret = webhookSecret,
            }));
            Assert.Equal(ShoperWebhookKey.DerivedAppKey, verifier.Verify(id, license, "some-registered-secret", body, expected));
            Assert.Equal(ShoperWebhookKey.None, verifier.Verify(id, license + "x", "some-registered-secret", body, expected));
        }
        else if (v.ContainsKey("webhook_id"))
        {
            var id = TestVectors.Text(v, "webhook_id");
            var secret = TestVectors.Text(v, "secret");
            var body = Encoding.UTF8.GetBytes(TestVectors.Text(v, "body"));
            Assert.Equal(expected, ShoperWebhookSignature.Compute(id, secret, body));
            Assert.Equal(expected, ShoperShopSimulator.WebhookSha1(id, secret, body));
            var verifier = new ShoperWebhookSignature(Microsoft.Extensions.Options.Options.Create(new ShoperOptions { AppstoreSecret = "unrelated" }));
            Assert.Equal(ShoperWebhookKey.RegisteredSecret, verifier.Verify(id, "any-license", secret, body, expected));
            Assert.Equal(ShoperWebhookKey.None, verifier.Verify(id, "any-license", secret, [.. body, (byte)' '], expected));
        }
        else if (v.ContainsKey("query"))
        {
            var key = TestVectors.Text(v, "key");
            var query = Microsoft.AspNetCore.WebUtilities.QueryHelpers.ParseQuery(TestVectors.Text(v, "query"));
            string place = query["place"].ToString(), shop = query["shop"].ToString(), timestamp = query["timestamp"].ToString();
            Assert.Equal(TestVectors.Text(v, "message"), ShoperIframeSignature.Message(place, shop, timestamp));
            Assert.Equal(expected, ShoperIframeSignature.Compute(place, shop, timestamp, key));
            Assert.True(ShoperIframeSignature.IsValid(place, shop, timestamp, expected, key));
            Assert.False(ShoperIframeSignature.IsValid(place, shop, timestamp, expected, key + "x"));
        }
        else
        {
            // An Appstore notification: the fields as given, or read back from the signed message.
            var key = TestVectors.Text(v, "key");
            var message = TestVectors.Text(v, "message");
            var fields = v["fields"] is JsonObject given
                ? given.ToDictionary(f => f.Key, f => (string)f.Value!)
                : message.Split('&').Select(pair => pair.Split('=', 2)).ToDictionary(kv => kv[0], kv => kv[1]);
            Assert.Equal(message, ShoperAppstoreSignature.Message(fields));
            Assert.Equal(expected, ShoperAppstoreSignature.Compute(fields, key));
            Assert.Equal(expected, ShoperShopSimulator.AppstoreHash(fields, key));
            Assert.True(ShoperAppstoreSignature.IsValid(new Dictionary<string, string>(fields) { ["hash"] = expected }, expected, key));
            Assert.False(ShoperAppstoreSignature.IsValid(fields, expected, key + "x"));
        }
    }

    [Fact]
    public void OAuth_basic_header_is_base64_of_app_id_colon_app_secret()
    {
        Assert.Equal("bXlfY2xpZW50X2lkOm15X2NsaWVudF9zZWNyZXQ=", ShoperOAuth.BasicCredentials("my_client_id", "my_client_secret"));
    }

    [Fact]
    public void Shoper_times_are_polish_local_time()
    {
        Assert.Equal(new DateTimeOffset(2024, 2, 15, 12, 34, 56, TimeSpan.FromHours(1)), ShoperAppstoreNotifications.ParseShoperTime("2024-02-15 12:34:56"));
        Assert.Equal(new DateTimeOffset(2024, 7, 15, 12, 34, 56, TimeSpan.FromHours(2)), ShoperAppstoreNotifications.ParseShoperTime("2024-07-15 12:34:56"));
        Assert.Null(ShoperAppstoreNotifications.ParseShoperTime("15.02.2024"));
    }
}

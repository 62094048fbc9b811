using System.Text;
using Relay.Platforms.Shopware;

namespace Relay.Tests.Platforms.Shopware;

/// <summary>Every "shopware" vector of tests/test-vectors.json, through the relay's own signing code.</summary>
public sealed class ShopwareSignatureVectorTests
{
    public static TheoryData<string, string, string, string> Vectors => new()
    {
        { "registration app signature (raw query)", "my-secret", "shop-id=123&shop-url=https://my-shop.com&timestamp=1234567890", "96c91f86c822e11444b7a57b54ef125ed86b1a639c5360d45c5397daa8c3f70b" },
        { "POST body signature", "secret", "body", "dc46983557fea127b43af721467eb9b3fde2338fe3e14f51952aa8478c13d355" },
        { "GET query without signature param", "secret", "test=1", "9dd645162c4599f510a88a716a3aac9934c46d2964811e3efcdc53b4b672fe1c" },
        { "proof = shopId+shopUrl+appName", "test", "testtest.detest", "a1a38c9580bb3bcd0df226086a9783ba4087671ce4968a4469e451c517fff445" },
        { "proof with new url, appName 'My App'", "my-secret", "123https://my-new-shop.comMy App", "7e5fd4777a328ae756c47e5cd905d587b7c141812fb7d8dd5338b2b1f702adfd" },
        { "confirmation body with spaces", "test", "{\"shopId\": \"1\", \"apiKey\": \"test\", \"secretKey\": \"test\"}", "ecd078f3be7571ed7fe503ebd428dd79c653d108920986a0d936de4b1d371ced" },
        { "docs registration example: URL-encoded raw query is what is signed", "secret", "shop-id=KIPf0Fz6BUkN&shop-url=http%3A%2F%2Fmy.shop.com&timestamp=159239728", "a8830aface4ac4a21be94844426e62c77078ca9a10f694737b75ca156b950a2d" },
        { "re-registration shop signature over same query", "shop-secret", "shop-id=123&shop-url=https://my-shop.com&timestamp=1234567890", "87148204e97f1c102bb339f1de332e8f20daa5224f1b00593621bcff1be99064" },
        { "confirmation, new secret", "new-secret", "{\"shopId\":\"shop-1\",\"apiKey\":\"key\",\"secretKey\":\"secret\"}", "e284fbdd5edc3799a1bf8a32d9294385782df3490e79742d9bfd3595feed5a16" },
        { "confirmation, -previous header with old secret", "old-secret", "{\"shopId\":\"shop-1\",\"apiKey\":\"key\",\"secretKey\":\"secret\"}", "d25eb8394900a50f5dbbfff773a283c92fae186a7459585301caa84ebb2cf33a" },
        { "proof, appName MyApp", "my-app-secret", "AbCdEf1234567890https://shop.example.comMyApp", "d0339c5055f233c71c501fb283d1732e60214f7a1d4e38700c243f95ee5d5881" },
        { "confirmation body as PHP json_encode sends it (escaped slashes)", "new-shop-secret", "{\"apiKey\":\"SWIAEXAMPLEAPIKEY\",\"secretKey\":\"ExampleSecretKey\",\"timestamp\":\"1700000000\",\"shopUrl\":\"https:\\/\\/shop.example.com\",\"shopId\":\"AbCdEf1234567890\"}", "be0705ffa87132cd9b04b49e3dc76c6edda8f80f9e40e5b957504381d523cb69" },
        { "webhook body", "shop-secret", "{\"data\":{\"payload\":[{\"entity\":\"customer\",\"operation\":\"update\",\"primaryKey\":\"0190a6b4c1a57f0f9e1c2d3e4f5a6b7c\",\"updatedFields\":[\"id\",\"firstName\"]}],\"event\":\"customer.written\"},\"source\":{\"url\":\"https:\\/\\/shop.example.com\",\"eventId\":\"5f1e0c2b7d9a4e3f8b6a1c0d9e8f7a6b\",\"shopId\":\"AbCdEf1234567890\",\"appVersion\":\"1.0.0\"},\"timestamp\":1700000000}", "b6741ddd55e2421b3c83e94b8c886e57801419ddde33afc81d58d4ee1280bfe9" },
        { "admin module iframe query (signature param removed)", "shop-secret", "shop-id=AbCdEf1234567890&shop-url=https://shop.example.com&timestamp=1700000000&sw-version=6.6.10.0&sw-context-language=2fbb5fe2e29a4d70aa5854ce7ce3e20b&sw-user-language=en-GB", "4a4ea2eda2f8f21455e80907f2b561d46739aecc14779a9b3609582528048692" },
    };

    [Theory]
    [MemberData(nameof(Vectors))]
    public void Signature_is_lowercase_hex_hmac_sha256_over_the_exact_bytes(string what, string key, string message, string expected)
    {
        Assert.Equal(expected, ShopwareSignature.Sign(key, message));
        Assert.True(ShopwareSignature.Matches(key, Encoding.UTF8.GetBytes(message), expected), what);
        Assert.False(ShopwareSignature.Matches(key + "x", Encoding.UTF8.GetBytes(message), expected), what);
        Assert.False(ShopwareSignature.Matches(key, Encoding.UTF8.GetBytes(message + " "), expected), what);
    }

    public static TheoryData<string> FileVectors => TestVectors.Names("shopware");

    /// <summary>Read from tests/test-vectors.json itself: a vector added there later is tested here without an edit.</summary>
    [Theory]
    [MemberData(nameof(FileVectors))]
    public void Every_shopware_vector_of_the_vector_file_signs_and_verifies(string what)
    {
        var vector = TestVectors.Vector("shopware", what);
        var key = TestVectors.Text(vector, "key");
        var message = TestVectors.Text(vector, "message");
        var expected = TestVectors.Text(vector, "expected");

        Assert.Equal(expected, ShopwareSignature.Sign(key, message));
        Assert.Equal(expected, Simulators.Shopware.ShopwareShopSimulator.Sign(key, message));
        Assert.True(ShopwareSignature.Matches(key, Encoding.UTF8.GetBytes(message), expected));
        Assert.False(ShopwareSignature.Matches(key + "x", Encoding.UTF8.GetBytes(message), expected));
        Assert.False(ShopwareSignature.Matches(key, Encoding.UTF8.GetBytes(message + " "), expected));
    }

    [Fact]
    public void The_inline_vectors_are_the_vector_files_value_for_value()
    {
        var file = TestVectors.Section("shopware")
            .Select(v => (TestVectors.Text(v, "key"), TestVectors.Text(v, "message"), TestVectors.Text(v, "expected")))
            .ToHashSet();
        Assert.True(file.Count >= 14, $"{TestVectors.Path} lost shopware vectors");
        foreach (var row in Vectors)
            Assert.Contains(((string)row[1], (string)row[2], (string)row[3]), file);
    }

    [Fact]
    public void Proof_is_shop_id_then_shop_url_then_app_name_keyed_with_the_app_secret()
    {
        Assert.Equal("a1a38c9580bb3bcd0df226086a9783ba4087671ce4968a4469e451c517fff445", ShopwareSignature.Proof("test", "test", "test.de", "test"));
        Assert.Equal("7e5fd4777a328ae756c47e5cd905d587b7c141812fb7d8dd5338b2b1f702adfd", ShopwareSignature.Proof("my-secret", "123", "https://my-new-shop.com", "My App"));
        Assert.Equal("d0339c5055f233c71c501fb283d1732e60214f7a1d4e38700c243f95ee5d5881", ShopwareSignature.Proof("my-app-secret", "AbCdEf1234567890", "https://shop.example.com", "MyApp"));
    }

    [Fact]
    public void Decoding_the_docs_query_before_signing_would_break_the_signature()
    {
        const string decoded = "shop-id=KIPf0Fz6BUkN&shop-url=http://my.shop.com&timestamp=159239728";
        Assert.False(ShopwareSignature.Matches("secret", Encoding.UTF8.GetBytes(decoded), "a8830aface4ac4a21be94844426e62c77078ca9a10f694737b75ca156b950a2d"));
    }

    [Theory]
    [InlineData("test=1&shopware-shop-signature=9dd645162c4599f510a88a716a3aac9934c46d2964811e3efcdc53b4b672fe1c", "secret", "test=1")]
    [InlineData("shop-id=blaa&shopware-shop-signature=f2cb1044ac5a2cb807e1942b06433d23d66bcf7dfad1095b286203e5c1f39cb6", "test", "shop-id=blaa")]
    [InlineData("shopware-shop-signature=8b523d99aeef5b456288fcec48236c3367a914c6b2c9fded63d81257ac019b25&shop-id=a", "a", "shop-id=a")]
    [InlineData("shop-id=AbCdEf1234567890&shop-url=https://shop.example.com&timestamp=1700000000&sw-version=6.6.10.0&sw-context-language=2fbb5fe2e29a4d70aa5854ce7ce3e20b&sw-user-language=en-GB&shopware-shop-signature=4a4ea2eda2f8f21455e80907f2b561d46739aecc14779a9b3609582528048692",
        "shop-secret", "shop-id=AbCdEf1234567890&shop-url=https://shop.example.com&timestamp=1700000000&sw-version=6.6.10.0&sw-context-language=2fbb5fe2e29a4d70aa5854ce7ce3e20b&sw-user-language=en-GB")]
    public void Signed_get_query_is_verified_over_everything_but_the_signature_parameter(string rawQuery, string secret, string signedPart)
    {
        var (signed, signature) = ShopwareSignature.SplitSignedQuery(rawQuery);
        Assert.Equal(signedPart, signed);
        Assert.True(ShopwareSignature.Matches(secret, Encoding.UTF8.GetBytes(signed), signature));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("not-hex")]
    [InlineData("96c91f86c822e11444b7a57b54ef125ed86b1a639c5360d45c5397daa8c3f70")]
    [InlineData("96c91f86c822e11444b7a57b54ef125ed86b1a639c5360d45c5397daa8c3f70bb")]
    public void Missing_or_malformed_signature_never_matches(string? signature) =>
        Assert.False(ShopwareSignature.Matches("my-secret", Encoding.UTF8.GetBytes("shop-id=123&shop-url=https://my-shop.com&timestamp=1234567890"), signature));

    [Theory]
    [InlineData("https://shop.example.com", "https://shop.example.com")]
    [InlineData("https://shop.example.com/staging/", "https://shop.example.com/staging/")]
    [InlineData("https://shop.example.com//shop//de/", "https://shop.example.com/shop/de/")]
    public void Shop_url_keeps_trailing_slash_and_loses_repeated_slashes(string raw, string sanitized) =>
        Assert.Equal(sanitized, ShopwareShops.SanitizeShopUrl(raw));
}

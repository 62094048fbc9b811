using System.Net;
using Relay.Targets;
using Relay.Targets.Spotler;
using Relay.Tests.Infrastructure;
using Simulators.Spotler;

namespace Relay.Tests.Targets.Spotler;

/// <summary>OAuth 1.0a one-legged HMAC-SHA1 (RFC 5849 §3.4): query signed, JSON body not, key = pct(secret)&amp;.</summary>
public sealed class SpotlerOAuthTests
{
    // tests/test-vectors.json, "spotler".
    private const string VectorUrl = "https://restapi.mailplus.nl/integrationservice-1.1.0/contact/updates/list?fromDate=2024-01-01T00:00:00&toDate=2024-01-02T00:00:00&pageSize=100";
    private const string VectorBaseString = "GET&https%3A%2F%2Frestapi.mailplus.nl%2Fintegrationservice-1.1.0%2Fcontact%2Fupdates%2Flist&fromDate%3D2024-01-01T00%253A00%253A00%26oauth_consumer_key%3Dck%26oauth_nonce%3Dabc123%26oauth_signature_method%3DHMAC-SHA1%26oauth_timestamp%3D1700000000%26oauth_version%3D1.0%26pageSize%3D100%26toDate%3D2024-01-02T00%253A00%253A00";

    [Fact]
    public void Signature_reproduces_the_shared_test_vector()
    {
        var oauth = SpotlerOAuthSigner.OAuthParameters("ck", "abc123", 1700000000);

        Assert.Equal(VectorBaseString, SpotlerOAuthSigner.BaseString(HttpMethod.Get, new Uri(VectorUrl), oauth));
        Assert.Equal("l1syK1aN7hDHJPNbCmGb9AsNVfE=", SpotlerOAuthSigner.Sign(HttpMethod.Get, new Uri(VectorUrl), "cs", oauth));
    }

    public static TheoryData<string> FileVectors => Relay.Tests.Platforms.TestVectors.Names("spotler");

    /// <summary>Every "spotler" vector of tests/test-vectors.json, read from the file itself.</summary>
    [Theory]
    [MemberData(nameof(FileVectors))]
    public void Every_spotler_vector_of_the_vector_file_is_reproduced(string what)
    {
        var v = Relay.Tests.Platforms.TestVectors.Vector("spotler", what);
        string Text(string member) => Relay.Tests.Platforms.TestVectors.Text(v, member);
        var method = new HttpMethod(Text("method"));
        var url = new Uri(Text("url"));
        var oauth = SpotlerOAuthSigner.OAuthParameters(Text("consumer_key"), Text("nonce"), long.Parse(Text("timestamp"), System.Globalization.CultureInfo.InvariantCulture));

        Assert.Equal(Text("base_string"), SpotlerOAuthSigner.BaseString(method, url, oauth));
        Assert.Equal(Text("expected_oauth_signature"), SpotlerOAuthSigner.Sign(method, url, Text("consumer_secret"), oauth));
    }

    [Fact]
    public void Header_carries_every_oauth_parameter_percent_encoded()
    {
        var header = SpotlerOAuthSigner.AuthorizationHeader(HttpMethod.Get, new Uri(VectorUrl), "ck", "cs", "abc123", 1700000000);

        Assert.Equal(
            "OAuth oauth_consumer_key=\"ck\", oauth_nonce=\"abc123\", oauth_signature=\"l1syK1aN7hDHJPNbCmGb9AsNVfE%3D\", oauth_signature_method=\"HMAC-SHA1\", oauth_timestamp=\"1700000000\", oauth_version=\"1.0\"",
            header);
    }

    [Fact]
    public void Percent_encoding_is_RFC_3986_not_form_encoding()
    {
        Assert.Equal("a%20b%21%2A%27%28%29~-._%2B%C3%A9", SpotlerOAuthSigner.Percent("a b!*'()~-._+é"));
    }

    [Fact]
    public async Task Simulator_accepts_a_correctly_signed_request_and_rejects_a_mismatched_signature()
    {
        var time = new ManualTimeProvider();
        await using var sim = await SpotlerSimulator.StartAsync("ck", "cs", time);
        using var http = new HttpClient();
        var url = new Uri(sim.BaseUrl + "/contact/updates/list?fromDate=2026-11-22T08:00:00&toDate=2026-11-22T09:00:00&pageSize=10");
        var ts = time.GetUtcNow().ToUnixTimeSeconds();

        using var good = new HttpRequestMessage(HttpMethod.Get, url);
        good.Headers.TryAddWithoutValidation("Authorization", SpotlerOAuthSigner.AuthorizationHeader(HttpMethod.Get, url, "ck", "cs", "n1", ts));
        Assert.Equal(HttpStatusCode.OK, (await http.SendAsync(good)).StatusCode);

        // Signed for one query, sent with another: the simulator recomputes and refuses.
        var signedFor = new Uri(sim.BaseUrl + "/contact/updates/list?fromDate=2026-11-22T08:00:00&toDate=2026-11-22T09:00:00&pageSize=11");
        using var tampered = new HttpRequestMessage(HttpMethod.Get, url);
        tampered.Headers.TryAddWithoutValidation("Authorization", SpotlerOAuthSigner.AuthorizationHeader(HttpMethod.Get, signedFor, "ck", "cs", "n2", ts));
        var response = await http.SendAsync(tampered);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Contains("NOT_AUTHORIZED", await response.Content.ReadAsStringAsync());
        Assert.Equal(1, sim.SignatureFailures);
    }

    [Fact]
    public async Task Simulator_rejects_a_replayed_nonce_and_a_stale_timestamp()
    {
        var time = new ManualTimeProvider();
        await using var sim = await SpotlerSimulator.StartAsync("ck", "cs", time);
        using var http = new HttpClient();
        var url = new Uri(sim.BaseUrl + "/contact/properties/list");
        var header = SpotlerOAuthSigner.AuthorizationHeader(HttpMethod.Get, url, "ck", "cs", "once", time.GetUtcNow().ToUnixTimeSeconds());

        async Task<HttpStatusCode> Send(string authorization)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, url);
            request.Headers.TryAddWithoutValidation("Authorization", authorization);
            return (await http.SendAsync(request)).StatusCode;
        }

        Assert.Equal(HttpStatusCode.OK, await Send(header));
        Assert.Equal(HttpStatusCode.Unauthorized, await Send(header));
        var stale = SpotlerOAuthSigner.AuthorizationHeader(HttpMethod.Get, url, "ck", "cs", "fresh", time.GetUtcNow().AddMinutes(-10).ToUnixTimeSeconds());
        Assert.Equal(HttpStatusCode.Unauthorized, await Send(stale));
    }

    [Fact]
    public async Task Wrong_secret_is_a_TargetAuthException()
    {
        var time = new ManualTimeProvider();
        await using var sim = await SpotlerSimulator.StartAsync("ck", "cs", time);
        using var host = new TargetTestHost(time);
        var target = host.Create("spotler", sim.BaseUrl, new() { ["consumerKey"] = "ck", ["consumerSecret"] = "wrong" });

        var error = await Assert.ThrowsAsync<TargetAuthException>(() => target.TestConnectionAsync());

        Assert.Equal(HttpStatusCode.Unauthorized, error.Status);
        Assert.DoesNotContain("wrong", error.Message);
        Assert.Single(sim.Requests);
    }
}

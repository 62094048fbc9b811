using System.Net;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Relay.Infrastructure;
using Simulators;
using Simulators.Spotler;
using static Relay.Tests.Admin.AdminTestData;

namespace Relay.Tests.Infrastructure;

/// <summary>
/// Shops name their own URL and merchants type their partners' addresses, so in production the relay connects
/// only to public addresses: nobody can point it at its own network through a registration or a settings page.
/// </summary>
public sealed class OutboundAddressGuardTests
{
    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("10.1.2.3")]
    [InlineData("172.20.0.5")]
    [InlineData("192.168.1.10")]
    [InlineData("169.254.169.254")] // cloud metadata
    [InlineData("100.64.0.1")]
    [InlineData("0.0.0.0")]
    [InlineData("::1")]
    [InlineData("fd00::1")]
    [InlineData("fe80::1")]
    [InlineData("::ffff:10.0.0.1")]
    public void Loopback_private_and_link_local_addresses_are_not_public(string address) =>
        Assert.False(OutboundAddressGuard.IsPublic(IPAddress.Parse(address)));

    [Theory]
    [InlineData("93.184.215.14")]
    [InlineData("185.12.64.1")]
    [InlineData("2a00:1450:4001:81c::200e")]
    public void Internet_addresses_are_public(string address) =>
        Assert.True(OutboundAddressGuard.IsPublic(IPAddress.Parse(address)));

    [Fact]
    public async Task The_guarded_handler_does_not_connect_to_a_loopback_server_and_the_allowing_one_does()
    {
        var calls = 0;
        await using var server = await SimulatorHost.StartAsync(app => app.MapGet("/", () => { calls++; return "hello"; }));
        using var guarded = new HttpClient(OutboundAddressGuard.Handler(new OutboundAddressOptions()));
        using var allowing = new HttpClient(OutboundAddressGuard.Handler(new OutboundAddressOptions { AllowPrivateNetworks = true }));

        var refused = await Assert.ThrowsAnyAsync<HttpRequestException>(() => guarded.GetStringAsync(server.BaseUrl + "/"));
        Assert.Contains("Outbound:AllowPrivateNetworks", refused.ToString());
        Assert.Equal(0, calls);

        Assert.Equal("hello", await allowing.GetStringAsync(server.BaseUrl + "/"));
        Assert.Equal(1, calls);
    }

    [Fact]
    public async Task A_merchant_cannot_point_a_production_relay_at_a_private_address()
    {
        await using var spotler = await SpotlerSimulator.StartAsync("ck", "cs");
        await using var relay = new RelayApplication(new()
        {
            ["Outbound:AllowPrivateNetworks"] = "false",
            ["Admin:AllowInsecureTargetUrls"] = "true",
            ["Pipeline:WorkersEnabled"] = "false",
            ["Sync:BackgroundEnabled"] = "false",
            ["Targets:Http:RetryBaseDelay"] = "00:00:00.005",
        });
        using var client = relay.CreateClient();
        await SeedShopAsync(relay.Services, "PPPPPPPPPPPPPPPP", "https://shop-p.example");
        var token = Session(relay.Services, "shopware:PPPPPPPPPPPPPPPP");

        using var response = await client.SendAsync(Request(HttpMethod.Post, "/admin/api/targets/test", token, new
        {
            target = new { kind = "spotler", baseUrl = spotler.BaseUrl, credentials = new Dictionary<string, string> { ["consumerKey"] = "ck", ["consumerSecret"] = "cs" } },
        }));
        var answer = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.False((bool)answer["ok"]!, answer.ToJsonString());
        Assert.Contains("AllowPrivateNetworks", (string?)answer["message"]);
        Assert.Empty(spotler.Requests);
    }
}

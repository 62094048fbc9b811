using Microsoft.AspNetCore.Mvc.Testing;
using Relay.Tests.Infrastructure;
using Simulators.Demo;
using Simulators.Standalone;
using Xunit.Abstractions;

namespace Relay.Tests.Demo;

/// <summary>
/// The README demo's script against the relay in process and the simulators `serve` runs, so that the
/// demo cannot rot: every step it prints must still happen. (`scripts/demo.sh` runs the same script
/// with the relay and the simulators as child processes.)
/// </summary>
public sealed class DemoTests(ITestOutputHelper output)
{
    [Fact]
    public async Task The_README_demo_installs_syncs_forwards_a_webhook_and_pulls_an_unsubscribe_back()
    {
        const string appName = "RelayConnector";
        const string appSecret = "app-secret-for-the-demo-test";
        const string operatorKey = "operator-key-for-tests-0123456789";
        await using var relay = new RelayApplication(new()
        {
            ["Shopware:AppName"] = appName,
            ["Shopware:AppSecret"] = appSecret,
            ["Shopware:PublicBaseUrl"] = "http://localhost",
            ["Operator:ApiKey"] = operatorKey,
            // As the demo runs the relay: plain-http simulators, and the full-sync worker looking every second.
            ["Admin:AllowInsecureTargetUrls"] = "true",
            ["Sync:SchedulerTick"] = "00:00:01",
        });
        using var client = relay.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
        var options = new StandaloneOptions("http://localhost", appName, appSecret);
        await using var simulators = await StandaloneSimulators.StartAsync(options, client);

        var printed = new StringWriter();
        DemoResult result;
        try
        {
            result = await new DemoScript(new DemoEndpoints(client, operatorKey, new Uri(simulators.Shop.Origin), simulators.Spotler.BaseUrl,
                options.SpotlerConsumerKey, options.SpotlerConsumerSecret,
                Till: new DemoTill(simulators.Till.BaseUrl, options.MplusKassaIdent, options.MplusKassaSecret)), printed).RunAsync();
        }
        finally
        {
            output.WriteLine(printed.ToString());
        }

        Assert.Equal(10, result.SyncedRecords);
        Assert.Equal(0, result.SyncFailures);
        Assert.Equal(
            ["anna.devries@example.nl", "bram.jansen@example.nl", "chris.bakker@example.nl", "dana.visser@example.nl", "eva.smit@example.nl", "finn.mulder@example.nl"],
            result.SpotlerContacts.Select(c => c.Email));
        var subscribed = result.SpotlerContacts.Where(c => c.Permissions["Nieuwsbrief"]).Select(c => c.Email).ToList();
        Assert.Equal(["eva.smit@example.nl", "finn.mulder@example.nl"], subscribed);
        Assert.InRange(result.WebhookStatus, 200, 299);
        Assert.Equal("optOut", result.PulledBackStatusInShop);
        Assert.Equal("optOut", simulators.Shop.Api.NewsletterRecipients.Single(r => r.Email == "bram.jansen@example.nl").Status);
        Assert.Equal(0, result.QueuedAfterwards);
        Assert.Equal(["P100", "1001", "1002", "1003"], result.ShopProductsFromTill);
        Assert.Equal("20001", Assert.Single(simulators.Till.Orders).ExtId);
        Assert.Equal(0, result.DeadLetters);
        Assert.Contains(result.Activity, a => a.Contains("pullback", StringComparison.Ordinal) && a.Contains("b***@example.nl", StringComparison.Ordinal));
        Assert.Contains("Done in", printed.ToString(), StringComparison.Ordinal);
    }
}

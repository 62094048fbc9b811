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
    public async Task The_README_demo_installs_syncs_forwards_a_webhook_pulls_an_unsubscribe_back_and_sends_an_order_to_MiniCRM()
    {
        const string appName = "RelayConnector";
        const string appSecret = "app-secret-for-the-demo-test";
        const string operatorKey = "operator-key-for-tests-0123456789";
        // The relay learns the Shoprenter shop's address at start: its simulator gets a port chosen first.
        var shoprenterPort = FreePort();
        var options = new StandaloneOptions("http://localhost", appName, appSecret, ShoprenterPort: shoprenterPort);
        var settings = new Dictionary<string, string?>
        {
            ["Shopware:AppName"] = appName,
            ["Shopware:AppSecret"] = appSecret,
            ["Shopware:PublicBaseUrl"] = "http://localhost",
            ["Operator:ApiKey"] = operatorKey,
            // As the demo runs the relay: plain-http simulators, and the full-sync worker looking every second.
            ["Admin:AllowInsecureTargetUrls"] = "true",
            ["Sync:SchedulerTick"] = "00:00:01",
        };
        foreach (var (key, value) in options.ShoprenterRelaySettings($"http://127.0.0.1:{shoprenterPort}")) settings[key] = value;
        await using var relay = new RelayApplication(settings);
        using var client = relay.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
        await using var simulators = await StandaloneSimulators.StartAsync(options, client);

        var printed = new StringWriter();
        DemoResult result;
        try
        {
            result = await new DemoScript(new DemoEndpoints(client, operatorKey, new Uri(simulators.Shop.Origin), simulators.Spotler.BaseUrl,
                options.SpotlerConsumerKey, options.SpotlerConsumerSecret, ShoprenterOrigin: new Uri(simulators.Shoprenter.BaseUrl),
                Till: new DemoTill(simulators.Till.BaseUrl, options.MplusKassaIdent, options.MplusKassaSecret),
                OrdersShopOrigin: new Uri(simulators.OrdersShop.Origin), MiniCrmUrl: simulators.MiniCrm.BaseUrl), printed).RunAsync();
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

        var shoprenter = result.Shoprenter!;
        Assert.Equal(302, shoprenter.InstallStatus);
        Assert.Equal(5, shoprenter.SyncedRecords);
        Assert.InRange(shoprenter.WebhookStatus, 200, 299);
        Assert.Equal(["kata.nagy@example.hu", "laszlo.toth@example.hu", "marta.szabo@example.hu"], shoprenter.SpotlerContacts.Select(c => c.Email));
        Assert.Equal(["laszlo.toth@example.hu"], shoprenter.SpotlerContacts.Where(c => c.Permissions["Nieuwsbrief"]).Select(c => c.Email));
        Assert.False(simulators.Shoprenter.Read(s => s.Subscribers.Values.Single(v => v.Email == "kata.nagy@example.hu").Subscribed));

        // The order placed in the second shop, in MiniCRM once, paid, with its coupon and shipping as lines.
        var orders = result.Orders!;
        Assert.InRange(orders.WebhookStatus, 200, 299);
        Assert.Contains("order:open", orders.Unpaired);
        Assert.DoesNotContain("payment:paid", orders.Unpaired);
        Assert.Equal(("Successful", "HUF"), (orders.MiniCrmStatus, orders.CurrencyCode));
        Assert.Equal(["Mug", "Coupon: \"SUMMER10\"", "Shipping: Standard"], orders.ItemNames);
        var sent = Assert.Single(simulators.MiniCrm.Orders.Values);
        Assert.Equal(["Finalize", "Complete", "Paid"], sent.Steps);
        Assert.Contains(simulators.MiniCrm.Contacts.Values, p => p.Fields.GetValueOrDefault("Email") == "eva.kiss@example.hu");
    }

    private static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }
}

using System.Text.Json;
using Relay.Tests.Faults;
using Relay.Tests.Infrastructure;
using Simulators.Shopware;

namespace Relay.Tests.Telemetry;

/// <summary>The real process with Logging:Console:FormatterName=json, as an operator would run it.</summary>
[Collection(FaultCollection.Name)]
public sealed class JsonLogTests(Xunit.Abstractions.ITestOutputHelper output)
{
    [Fact]
    public async Task A_worker_log_line_is_one_json_object_with_the_shop_and_event_in_its_scope()
    {
        await using var relay = await RelayProcess.StartAsync(new Dictionary<string, string?>
        {
            ["Logging__Console__FormatterName"] = "json",
            ["Logging__LogLevel__Default"] = "Information",
            ["Pipeline__IdleDelay"] = "00:00:00.050",
        });
        await using var shop = await ShopwareShopSimulator.StartAsync(relay.Client, new ShopwareShopSimulatorOptions
        {
            AppName = RelayProcess.AppName,
            AppSecret = RelayProcess.AppSecret,
        });
        Assert.True((await shop.InstallAsync()).Succeeded);
        // The shop has no settings: the forwarder acknowledges the event and logs the skip inside the worker's scope.
        (await shop.SendWebhookAsync("customer.written", null, eventId: "evt-json-log")).EnsureSuccessStatusCode();

        JsonElement line = default;
        await Eventually.TrueAsync(() =>
        {
            foreach (var text in relay.Output)
            {
                if (!text.StartsWith('{') || !text.Contains("evt-json-log")) continue;
                line = JsonDocument.Parse(text).RootElement.Clone();
                return Task.FromResult(true);
            }
            return Task.FromResult(false);
        }, "a JSON log line about the event");

        output.WriteLine(line.ToString());
        Assert.Equal("Relay.Sync.ContactSync", line.GetProperty("Category").GetString());
        Assert.EndsWith("Z", line.GetProperty("Timestamp").GetString());
        var scope = line.GetProperty("Scopes").EnumerateArray().Single(s => s.ValueKind == JsonValueKind.Object && s.TryGetProperty("EventId", out _));
        Assert.Equal("evt-json-log", scope.GetProperty("EventId").GetString());
        Assert.Equal($"shopware:{shop.ShopId}", scope.GetProperty("ShopKey").GetString());
        Assert.All(relay.Output, text => Assert.DoesNotContain(shop.ShopSecret!, text));
    }
}

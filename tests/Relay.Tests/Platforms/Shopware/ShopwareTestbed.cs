using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Relay.Pipeline;
using Relay.Platforms.Shopware;
using Relay.Shops;
using Relay.Storage;
using Relay.Tests.Infrastructure;
using Simulators.Shopware;

namespace Relay.Tests.Platforms.Shopware;

/// <summary>One relay (embedded store, workers off, manual clock) and one simulated Shopware shop talking to it.</summary>
public sealed class ShopwareTestbed : IAsyncDisposable
{
    public const string AppName = "RelayTest";
    public const string AppSecret = "app-secret-for-tests";

    private ShopwareTestbed(RelayApplication relay, HttpClient client, ShopwareShopSimulator shop, ManualTimeProvider time)
    {
        Relay = relay;
        Client = client;
        Shop = shop;
        Time = time;
    }

    public RelayApplication Relay { get; }
    public HttpClient Client { get; }
    public ShopwareShopSimulator Shop { get; }
    public ManualTimeProvider Time { get; }

    public string ShopKey => ShopwareShops.KeyOf(Shop.ShopId);

    public static async Task<ShopwareTestbed> StartAsync(
        DateTimeOffset? now = null, string appSecret = AppSecret, string shopPath = "", bool sendsDualSignatures = true,
        Dictionary<string, string?>? settings = null, string? shopId = null, bool webhooksRework = false)
    {
        var time = now is { } start ? new ManualTimeProvider(start) : new ManualTimeProvider();
        var all = new Dictionary<string, string?>
        {
            ["Shopware:AppName"] = AppName,
            ["Shopware:AppSecret"] = appSecret,
            ["Shopware:PublicBaseUrl"] = "http://localhost",
            ["Pipeline:WorkersEnabled"] = "false",
            // The outbound chain's retries in milliseconds, not seconds (a shop's Retry-After still counts).
            ["Shopware:Http:RetryBaseDelay"] = "00:00:00.005",
        };
        foreach (var (key, value) in settings ?? []) all[key] = value;
        var relay = new RelayApplication(all, time);
        var client = relay.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
        var options = new ShopwareShopSimulatorOptions
        {
            AppName = AppName,
            AppSecret = appSecret,
            ShopPath = shopPath,
            SendsDualSignatures = sendsDualSignatures,
            WebhooksRework = webhooksRework,
            Time = time,
        };
        var shop = await ShopwareShopSimulator.StartAsync(client, shopId is null ? options : options with { ShopId = shopId });
        return new ShopwareTestbed(relay, client, shop, time);
    }

    /// <summary>Install and activate, as a merchant does in the shop's extension manager.</summary>
    public async Task InstallAsync(bool encodeShopUrl = false)
    {
        var outcome = await Shop.InstallAsync(encodeShopUrl);
        Assert.True(outcome.Succeeded, $"install failed: {outcome}");
    }

    public Task<ShopInfo?> ShopInfoAsync() => Relay.Get<ShopDirectory>().GetAsync(ShopKey);
    public Task<ShopwareShopCredentials?> CredentialsAsync() => Relay.Get<ShopwareShops>().GetCredentialsAsync(Shop.ShopId);

    public int Partition => StoreKeys.PartitionOf(ShopKey, Relay.Get<IOptions<PipelineOptions>>().Value.Partitions);

    public async Task<long> QueuedAsync() => (await Relay.Get<IRelayStore>().GetDepthAsync(Partition)).Waiting;

    public async Task<IReadOnlyList<QueueItem>> DrainAsync() => await Relay.Get<IRelayStore>().ReadAsync(Partition, "test", 100);

    public ShopwareAdminClient AdminClient() => Relay.Services.CreateScope().ServiceProvider.GetRequiredService<ShopwareAdminClient>();

    /// <summary>customer.written payload: one entry per write result, field names only.</summary>
    public static JsonArray CustomerWritten(string customerId) =>
    [
        new JsonObject
        {
            ["entity"] = "customer",
            ["operation"] = "update",
            ["primaryKey"] = customerId,
            ["updatedFields"] = new JsonArray("id", "firstName"),
        },
    ];

    public async ValueTask DisposeAsync()
    {
        await Shop.DisposeAsync();
        Client.Dispose();
        await Relay.DisposeAsync();
    }
}

using Simulators.Shopware;

namespace Benchmarks;

/// <summary>
/// The relay in process (<see cref="InProcessRelay"/>) with one Shopware shop simulator installed through the
/// real registration handshake: where the sync benchmarks start from.
/// </summary>
internal sealed class InstalledShop : IAsyncDisposable
{
    private const string AppName = "RelayBench";

    private InstalledShop(InProcessRelay relay, BenchRedis? redis, HttpClient client, ShopwareShopSimulator shop)
    {
        Relay = relay;
        Redis = redis;
        _client = client;
        Shop = shop;
    }

    private readonly HttpClient _client;
    public InProcessRelay Relay { get; }
    public BenchRedis? Redis { get; }
    public ShopwareShopSimulator Shop { get; }
    public string ShopKey => global::Relay.Platforms.Shopware.ShopwareShops.KeyOf(Shop.ShopId);

    public static async Task<InstalledShop> StartAsync(Arguments args, Dictionary<string, string?>? extra = null)
    {
        var appSecret = Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
        var settings = new Dictionary<string, string?>
        {
            ["Shopware:AppName"] = AppName,
            ["Shopware:AppSecret"] = appSecret,
            ["Shopware:PublicBaseUrl"] = "http://localhost",
        };
        foreach (var (key, value) in extra ?? []) settings[key] = value;
        var (relay, redis) = await InProcessRelay.StartAsync(args, settings);
        var client = relay.CreateClient();
        var shop = await ShopwareShopSimulator.StartAsync(client, new ShopwareShopSimulatorOptions { AppName = AppName, AppSecret = appSecret });
        var installed = new InstalledShop(relay, redis, client, shop);
        var install = await shop.InstallAsync();
        if (install.Succeeded) return installed;
        await installed.DisposeAsync();
        throw new InvalidOperationException($"Shop install failed: {install}");
    }

    public async ValueTask DisposeAsync()
    {
        await Shop.DisposeAsync();
        _client.Dispose();
        await Relay.DisposeAsync();
        if (Redis is not null) await Redis.DisposeAsync();
    }
}

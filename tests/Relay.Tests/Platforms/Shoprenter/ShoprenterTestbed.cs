using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Relay.Platforms.Shoprenter;
using Relay.Shops;
using Relay.Storage;
using Relay.Tests.Infrastructure;
using Simulators.Shoprenter;

namespace Relay.Tests.Platforms.Shoprenter;

/// <summary>A simulated Shoprenter shop (token endpoint and API) and a relay configured as the app that shop installs.</summary>
public sealed class ShoprenterTestbed : IAsyncDisposable
{
    /// <summary>One class at a time: each starts a Kestrel server and relay hosts.</summary>
    public const string Collection = "Shoprenter integration";

    public const string PublicBaseUrl = "https://relay.example.test";

    private ShoprenterTestbed(ShoprenterShopSimulator shop, WebApplicationFactory<Program> relay, TimeProvider time)
    {
        Shop = shop;
        Relay = relay;
        Time = time;
        Client = relay.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
    }

    public ShoprenterShopSimulator Shop { get; }
    public WebApplicationFactory<Program> Relay { get; }
    public TimeProvider Time { get; }
    public ManualTimeProvider? ManualTime => Time as ManualTimeProvider;
    public HttpClient Client { get; }

    public string ShopKey => ShopKeys.Of("shoprenter", Shop.Options.ShopName);

    /// <param name="time">The relay's and the shop's clock (tokens, signed timestamps, the 3-a-second window). Default: a manual clock.</param>
    public static async Task<ShoprenterTestbed> StartAsync(Action<ShoprenterSimulatorOptions>? shop = null,
        Dictionary<string, string?>? settings = null, IRelayStore? sharedStore = null, TimeProvider? time = null)
    {
        time ??= new ManualTimeProvider();
        var options = new ShoprenterSimulatorOptions { Time = time, LimiterTime = time is ManualTimeProvider ? null : time };
        shop?.Invoke(options);
        var simulator = await ShoprenterShopSimulator.StartAsync(options);
        var all = Settings(simulator, settings);
        // A timer on a clock that jumps over every wait would fire at once: no attempt timeout there.
        if (time is Relay.Tests.Targets.VirtualTimeProvider) all.TryAdd("Shoprenter:Http:AttemptTimeout", Timeout.InfiniteTimeSpan.ToString());
        var relay = new RelayApplication(all, time).WithWebHostBuilder(b =>
        {
            if (sharedStore is not null) b.ConfigureTestServices(s => s.AddSingleton(sharedStore));
        });
        return new ShoprenterTestbed(simulator, relay, time);
    }

    public static Dictionary<string, string?> Settings(ShoprenterShopSimulator shop, Dictionary<string, string?>? extra = null)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Shoprenter:AppId"] = shop.Options.AppId,
            ["Shoprenter:ClientId"] = shop.Options.ClientId,
            ["Shoprenter:ClientSecret"] = shop.Options.ClientSecret,
            ["Shoprenter:PublicBaseUrl"] = PublicBaseUrl,
            ["Shoprenter:TokenUrl"] = shop.TokenUrl,
            ["Shoprenter:ApiUrl"] = shop.ApiUrl,
            ["Shoprenter:LegacyApiUrl"] = shop.LegacyApiUrl,
            ["Pipeline:WorkersEnabled"] = "false",
            ["Sync:BackgroundEnabled"] = "false",
        };
        foreach (var (k, v) in extra ?? []) settings[k] = v;
        return settings;
    }

    public T Get<T>() where T : notnull => Relay.Services.GetRequiredService<T>();

    public ShoprenterClient ShoprenterClient() => Relay.Services.GetRequiredService<ShoprenterClient>();

    public async Task InstallAsync()
    {
        using var response = await Client.GetAsync(Shop.BuildSignedPath("/shoprenter/install"));
        Assert.Equal(System.Net.HttpStatusCode.Redirect, response.StatusCode);
    }

    public Task<ShoprenterShopRecord?> RecordAsync() => Get<ShoprenterShops>().GetAsync(ShopKey);
    public Task<ShopInfo?> InfoAsync() => Get<ShopDirectory>().GetAsync(ShopKey);

    public async Task<long> QueuedAsync()
    {
        var store = Get<IRelayStore>();
        long total = 0;
        for (var p = 0; p < 4; p++) total += (await store.GetDepthAsync(p)).Waiting;
        return total;
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await Relay.DisposeAsync();
        await Shop.DisposeAsync();
    }
}

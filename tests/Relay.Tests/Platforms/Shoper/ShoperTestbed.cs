using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Relay.Platforms.Shoper;
using Relay.Shops;
using Relay.Storage;
using Relay.Tests.Infrastructure;
using Simulators.Shoper;

namespace Relay.Tests.Platforms.Shoper;

/// <summary>A simulated Shoper shop and a relay configured as the app that shop installs.</summary>
public sealed class ShoperTestbed : IAsyncDisposable
{
    /// <summary>
    /// The Shoper integration tests run one class at a time: each starts Kestrel servers and relay hosts,
    /// and running them all at once on a small machine starves the rest of the suite.
    /// </summary>
    public const string Collection = "Shoper integration";

    public const string PublicBaseUrl = "https://relay.example.test";

    private ShoperTestbed(ShoperShopSimulator shop, WebApplicationFactory<Program> relay, ManualTimeProvider? time)
    {
        Shop = shop;
        Relay = relay;
        Time = time;
        Client = relay.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
    }

    public ShoperShopSimulator Shop { get; }
    public WebApplicationFactory<Program> Relay { get; }
    public ManualTimeProvider? Time { get; }
    public HttpClient Client { get; }

    public string ShopKey => ShopKeys.Of("shoper", Shop.Options.ShopLicense);

    /// <param name="manualTime">Time that only moves when the test says (token expiry, iframe timestamps).</param>
    /// <param name="clock">
    /// One clock for the relay and the shop's bucket instead (e.g. a virtual one that jumps over every wait),
    /// so the client's pacing and the bucket it paces for agree without real seconds passing.
    /// </param>
    public static async Task<ShoperTestbed> StartAsync(bool manualTime = true, Action<ShoperSimulatorOptions>? shop = null,
        Dictionary<string, string?>? settings = null, IRelayStore? sharedStore = null, TimeProvider? clock = null)
    {
        var time = clock is null && manualTime ? new ManualTimeProvider() : null;
        var relayTime = clock ?? time;
        var options = new ShoperSimulatorOptions { Time = relayTime ?? TimeProvider.System, BucketTime = clock };
        shop?.Invoke(options);
        var simulator = await ShoperShopSimulator.StartAsync(options);
        var all = Settings(options, settings);
        // A timer on a clock that jumps over every wait would fire at once: no attempt timeout there.
        if (clock is not null) all.TryAdd("Shoper:Http:AttemptTimeout", Timeout.InfiniteTimeSpan.ToString());
        var relay = new RelayApplication(all, relayTime).WithWebHostBuilder(b =>
        {
            if (sharedStore is not null)
                b.ConfigureTestServices(s => s.AddSingleton(sharedStore));
        });
        return new ShoperTestbed(simulator, relay, time);
    }

    public static Dictionary<string, string?> Settings(ShoperSimulatorOptions shop, Dictionary<string, string?>? extra = null)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Shoper:AppId"] = shop.AppId,
            ["Shoper:AppSecret"] = shop.AppSecret,
            ["Shoper:AppstoreSecret"] = shop.AppstoreSecret,
            ["Shoper:AppWebhookSecret"] = shop.AppWebhookSecret,
            ["Shoper:PublicBaseUrl"] = PublicBaseUrl,
            ["Shoper:DefaultApiLimit"] = shop.ApiLimit.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Shoper:DefaultApiBandwidth"] = shop.ApiBandwidth.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Pipeline:WorkersEnabled"] = "false",
        };
        foreach (var (k, v) in extra ?? []) settings[k] = v;
        return settings;
    }

    public T Get<T>() where T : notnull => Relay.Services.GetRequiredService<T>();

    /// <summary>A REST client as the relay's workers get one.</summary>
    public ShoperClient ShoperClient() => Relay.Services.GetRequiredService<ShoperClient>();

    public async Task InstallAsync()
    {
        using var response = await Shop.SendNotificationAsync(Client, "install");
        Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
    }

    public Task<ShoperShopRecord?> RecordAsync() => Get<ShoperShops>().GetAsync(ShopKey);
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

using Simulators.MiniCrm;
using Simulators.MplusKassa;
using Simulators.Sare;
using Simulators.Shoprenter;
using Simulators.Shopware;
using Simulators.Spotler;

namespace Simulators.Standalone;

/// <param name="RelayUrl">Where the shop reaches the relay (registration, webhooks, module links).</param>
/// <param name="AppName">The app's technical name and secret, as the relay's Shopware:AppName/AppSecret and the manifest carry them.</param>
/// <param name="SpotlerConsumerKey">The OAuth pair the Spotler simulator accepts; the admin page is given the same.</param>
public sealed record StandaloneOptions(
    string RelayUrl,
    string AppName,
    string AppSecret,
    string SpotlerConsumerKey = "demo-consumer-key",
    string SpotlerConsumerSecret = "demo-consumer-secret",
    int ShopwarePort = 0,
    int SpotlerPort = 0,
    int SarePort = 0,
    int MiniCrmPort = 0,
    int ShoprenterPort = 0,
    string ShoprenterClientSecret = "demo-shoprenter-client-secret",
    int MplusKassaPort = 0,
    string MplusKassaIdent = "demo-ident",
    string MplusKassaSecret = "demo-secret")
{
    /// <summary>The Shoprenter app's ids, as the relay's Shoprenter:AppId and ClientId carry them.</summary>
    public const string ShoprenterAppId = "55";
    public const string ShoprenterClientId = "demo-shoprenter-client";

    /// <summary>The relay's Shoprenter settings for a shop simulator on <paramref name="origin"/> (http://127.0.0.1:port).</summary>
    public Dictionary<string, string?> ShoprenterRelaySettings(string origin, string separator = ":") => new()
    {
        [$"Shoprenter{separator}AppId"] = ShoprenterAppId,
        [$"Shoprenter{separator}ClientId"] = ShoprenterClientId,
        [$"Shoprenter{separator}ClientSecret"] = ShoprenterClientSecret,
        [$"Shoprenter{separator}PublicBaseUrl"] = RelayUrl,
        [$"Shoprenter{separator}TokenUrl"] = origin + "/oauth/{shopName}/app/token",
        [$"Shoprenter{separator}ApiUrl"] = origin + "/{shopName}/api",
        [$"Shoprenter{separator}LegacyApiUrl"] = origin + "/{shopName}/legacy",
    };
}

/// <summary>
/// One Shopware shop, one Shoprenter shop, Spotler, SARE, MiniCRM and an MplusKASSA till on their own ports, as `Simulators serve` runs them
/// for the demo (and the demo's test runs them in process), and a second Shopware shop whose merchant keeps orders in
/// MiniCRM (a shop has one target). Each answers its protocol and /_sim.
/// </summary>
public sealed class StandaloneSimulators : IAsyncDisposable
{
    private readonly HttpClient? _ownedRelayClient;

    private StandaloneSimulators(HttpClient? ownedRelayClient, ShopwareShopSimulator shop, SpotlerSimulator spotler, SareSimulator sare, MiniCrmSimulator miniCrm,
        ShoprenterShopSimulator shoprenter, MplusKassaSimulator till, ShopwareShopSimulator ordersShop)
    {
        OrdersShop = ordersShop;
        Shoprenter = shoprenter;
        Till = till;
        _ownedRelayClient = ownedRelayClient;
        Shop = shop;
        Spotler = spotler;
        Sare = sare;
        MiniCrm = miniCrm;
    }

    public ShopwareShopSimulator Shop { get; }
    public SpotlerSimulator Spotler { get; }
    public SareSimulator Sare { get; }
    public MiniCrmSimulator MiniCrm { get; }
    public ShoprenterShopSimulator Shoprenter { get; }
    public MplusKassaSimulator Till { get; }

    /// <summary>The second Shopware shop (same app, its own shop id): the demo connects it to MiniCRM.</summary>
    public ShopwareShopSimulator OrdersShop { get; }

    /// <param name="relay">Reaches the relay; null: a client for <see cref="StandaloneOptions.RelayUrl"/>.</param>
    public static async Task<StandaloneSimulators> StartAsync(StandaloneOptions options, HttpClient? relay = null)
    {
        // Redirects are the relay's answers (the install sends the merchant on to the shop admin), not to be followed.
        var owned = relay is null ? new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = new Uri(options.RelayUrl.TrimEnd('/') + "/"), Timeout = TimeSpan.FromSeconds(30) } : null;
        relay ??= owned!;
        var shop = await ShopwareShopSimulator.StartAsync(relay, new ShopwareShopSimulatorOptions
        {
            AppName = options.AppName,
            AppSecret = options.AppSecret,
            Port = options.ShopwarePort,
        });
        var spotler = await SpotlerSimulator.StartAsync(options.SpotlerConsumerKey, options.SpotlerConsumerSecret, port: options.SpotlerPort);
        var sare = await SareSimulator.StartAsync(port: options.SarePort);
        var miniCrm = await MiniCrmSimulator.StartAsync(port: options.MiniCrmPort);
        var shoprenter = await ShoprenterShopSimulator.StartAsync(new ShoprenterSimulatorOptions
        {
            AppId = StandaloneOptions.ShoprenterAppId,
            ClientId = StandaloneOptions.ShoprenterClientId,
            ClientSecret = options.ShoprenterClientSecret,
        }, options.ShoprenterPort, relay);
        var till = await MplusKassaSimulator.StartAsync(options.MplusKassaIdent, options.MplusKassaSecret, options.MplusKassaPort);
        var ordersShop = await ShopwareShopSimulator.StartAsync(relay, new ShopwareShopSimulatorOptions { AppName = options.AppName, AppSecret = options.AppSecret });
        return new StandaloneSimulators(owned, shop, spotler, sare, miniCrm, shoprenter, till, ordersShop);
    }

    /// <summary>"name url" lines, the form `serve` prints and the demo reads.</summary>
    public IEnumerable<(string Name, string Url)> Addresses =>
    [
        ("shopware-shop", Shop.Origin),
        ("spotler", Spotler.BaseUrl),
        ("sare", Sare.BaseUrl),
        ("minicrm", MiniCrm.BaseUrl),
        ("shoprenter-shop", Shoprenter.BaseUrl),
        ("mpluskassa", Till.BaseUrl),
        ("shopware-orders-shop", OrdersShop.Origin),
    ];

    public async ValueTask DisposeAsync()
    {
        await Shop.DisposeAsync();
        await Spotler.DisposeAsync();
        await Sare.DisposeAsync();
        await MiniCrm.DisposeAsync();
        await Shoprenter.DisposeAsync();
        await Till.DisposeAsync();
        await OrdersShop.DisposeAsync();
        _ownedRelayClient?.Dispose();
    }
}

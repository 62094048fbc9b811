using Simulators.MiniCrm;
using Simulators.MplusKassa;
using Simulators.Sare;
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
    int MplusKassaPort = 0,
    string MplusKassaIdent = "demo-ident",
    string MplusKassaSecret = "demo-secret");

/// <summary>
/// One Shopware shop, Spotler, SARE, MiniCRM and an MplusKASSA till on their own ports, as `Simulators serve` runs them
/// for the demo (and the demo's test runs them in process). Each answers its protocol and /_sim.
/// </summary>
public sealed class StandaloneSimulators : IAsyncDisposable
{
    private readonly HttpClient? _ownedRelayClient;

    private StandaloneSimulators(HttpClient? ownedRelayClient, ShopwareShopSimulator shop, SpotlerSimulator spotler, SareSimulator sare, MiniCrmSimulator miniCrm, MplusKassaSimulator till)
    {
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
    public MplusKassaSimulator Till { get; }

    /// <param name="relay">Reaches the relay; null: a client for <see cref="StandaloneOptions.RelayUrl"/>.</param>
    public static async Task<StandaloneSimulators> StartAsync(StandaloneOptions options, HttpClient? relay = null)
    {
        var owned = relay is null ? new HttpClient { BaseAddress = new Uri(options.RelayUrl.TrimEnd('/') + "/"), Timeout = TimeSpan.FromSeconds(30) } : null;
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
        var till = await MplusKassaSimulator.StartAsync(options.MplusKassaIdent, options.MplusKassaSecret, options.MplusKassaPort);
        return new StandaloneSimulators(owned, shop, spotler, sare, miniCrm, till);
    }

    /// <summary>"name url" lines, the form `serve` prints and the demo reads.</summary>
    public IEnumerable<(string Name, string Url)> Addresses =>
    [
        ("shopware-shop", Shop.Origin),
        ("spotler", Spotler.BaseUrl),
        ("sare", Sare.BaseUrl),
        ("minicrm", MiniCrm.BaseUrl),
        ("mpluskassa", Till.BaseUrl),
    ];

    public async ValueTask DisposeAsync()
    {
        await Shop.DisposeAsync();
        await Spotler.DisposeAsync();
        await Sare.DisposeAsync();
        await MiniCrm.DisposeAsync();
        await Till.DisposeAsync();
        _ownedRelayClient?.Dispose();
    }
}

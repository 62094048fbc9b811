using System.Diagnostics;
using Relay.Settings;
using Relay.Sync;
using Simulators.MplusKassa;
using Simulators.Shopware;

namespace Benchmarks;

/// <summary>
/// The till flows at size: an initial import of N MplusKASSA products with 3 variants each and their stock
/// into the Shopware simulator (products/s, Shopware calls per product, peak RSS), then the time a stock
/// change in the till takes to reach the shop with the scheduler at its tightest setting (poll every
/// <see cref="PosSettings.MinPollSeconds"/> s, tick 1 s). Printed, not asserted.
/// </summary>
internal static class PosBenchmark
{
    private const string AppName = "RelayBench";

    public static async Task RunAsync(Arguments args)
    {
        var products = args.Int("products", 20_000);
        var samples = args.Int("samples", 10);
        var appSecret = Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
        var (relay, redis) = await InProcessRelay.StartAsync(args, new Dictionary<string, string?>
        {
            ["Shopware:AppName"] = AppName,
            ["Shopware:AppSecret"] = appSecret,
            ["Shopware:PublicBaseUrl"] = "http://localhost",
            // A simulator on loopback, not a shop to be careful with: the pacing would measure itself.
            ["Shopware:AdminApiRequestsPerSecond"] = "1000",
            ["Shopware:AdminApiBurst"] = "1000",
        });
        await using var _redis = redis;
        await using var _relay = relay;
        using var relayClient = relay.CreateClient();
        await using var shop = await ShopwareShopSimulator.StartAsync(relayClient, new ShopwareShopSimulatorOptions { AppName = AppName, AppSecret = appSecret });
        if (!(await shop.InstallAsync()).Succeeded) throw new InvalidOperationException("Shop install failed.");
        await using var till = await MplusKassaSimulator.StartAsync("ident", "secret");
        var shopKey = Relay.Platforms.Shopware.ShopwareShops.KeyOf(shop.ShopId);

        for (var g = 1; g <= 20; g++) till.PutArticleGroup(new SimArticleGroup(g, $"Group {g}"));
        string[] sizes = ["S", "M", "L"];
        for (var p = 1; p <= products; p++)
        {
            till.PutProduct(new SimProduct
            {
                ProductNumber = p, Description = $"Product {p}", ExtraText = "Seeded for the benchmark", GroupNumbers = [p % 20 + 1],
                Articles = sizes.Select((s, i) => new SimArticle(p * 10L + i, $"Product {p} {s}", 2420, 2000, Size: s, Barcode: $"87{p:D8}{i}")).ToList(),
            });
            for (var i = 0; i < 3; i++) till.SetStock(p * 10L + i, free: 10 + i, reserved: 1);
        }

        var store = relay.Get<PosSettingsStore>();
        await store.SaveAsync(shopKey, new PosSettings
        {
            Enabled = true, PollSeconds = PosSettings.MinPollSeconds, SyncOrders = false,
            Till = new TargetSettings { Kind = "mpluskassa", BaseUrl = till.BaseUrl, Credentials = new Dictionary<string, string> { ["ident"] = "ident", ["secret"] = "secret" } },
        }, 0);
        var catalogOptions = relay.Get<Microsoft.Extensions.Options.IOptions<Relay.Platforms.Shopware.ShopwareOptions>>().Value;
        Console.WriteLine($"pos: initial import of {products:N0} MplusKASSA products x 3 variants with stock into the Shopware simulator, relay in process on " +
                          $"{(redis is null ? "the embedded store" : "Redis " + redis.ConnectionString)}, {Environment.ProcessorCount} cores shared with both simulators; " +
                          $"{catalogOptions.CatalogBatchSize} products per _action/sync call");

        var seededRss = InProcessRelay.RssMb();
        var sync = relay.Get<PosSync>();
        var shopBefore = shop.Api.Requests.Count;
        var clock = Stopwatch.StartNew();
        var result = await sync.RunOnceAsync(shopKey);
        clock.Stop();
        if (result.Outcome != PosRunOutcome.Done) throw new InvalidOperationException($"Import failed: {result.Reason}");
        var shopCalls = shop.Api.Requests.Count - shopBefore;
        var rows = shop.Api.Catalog.Rows("product");
        var parents = rows.Count(r => r["parentId"] is null);
        var stocked = rows.Count(r => r["parentId"] is not null && r["stock"]?.GetValue<long>() > 0);
        Console.WriteLine($"  written: {parents:N0} products, {rows.Count - parents:N0} variants ({stocked:N0} with stock), rejected {result.Rejected:N0}, in {clock.Elapsed.TotalSeconds:N1} s");
        Console.WriteLine($"  products/s                 {products / clock.Elapsed.TotalSeconds,10:N0}");
        Console.WriteLine($"  Shopware calls             {shopCalls,10:N0}   ({shop.Api.Catalog.SyncCalls:N0} _action/sync, the rest searches and the token)");
        Console.WriteLine($"  Shopware calls per product {(double)shopCalls / products,10:N3}");
        Console.WriteLine($"  till calls                 {till.Operations.Count,10:N0}");
        Console.WriteLine($"  peak RSS (VmHWM)           {InProcessRelay.PeakRssMb(),7:N0} MB   (this process: relay, both simulators and their data; {seededRss:N0} MB seeded)");

        // Stock latency: the scheduler's own pass, at its tick, as the background service runs it.
        var scheduler = relay.Get<PosScheduler>();
        var tick = relay.Get<Microsoft.Extensions.Options.IOptions<SyncOptions>>().Value.PosTick;
        using var stop = new CancellationTokenSource();
        var loop = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                await scheduler.RunDueAsync();
                try { await Task.Delay(tick, stop.Token); } catch (OperationCanceledException) { }
            }
        });
        var latencies = new List<double>();
        var random = new Random(7);
        for (var s = 0; s < samples; s++)
        {
            await Task.Delay(random.Next(0, 2000));
            var article = random.Next(1, products + 1) * 10L + random.Next(0, 3);
            var level = 100 + s;
            var changed = Stopwatch.StartNew();
            till.SetStock(article, free: level);
            while (shop.Api.Catalog.ProductByNumber(article.ToString(System.Globalization.CultureInfo.InvariantCulture))?["stock"]?.GetValue<long>() != level)
                await Task.Delay(5);
            latencies.Add(changed.Elapsed.TotalMilliseconds);
        }
        stop.Cancel();
        await loop;
        latencies.Sort();
        Console.WriteLine($"  stock change till -> shop, poll every {PosSettings.MinPollSeconds} s, tick {tick.TotalSeconds:N1} s, {samples} changes: " +
                          $"min {latencies[0]:N0} ms, median {latencies[latencies.Count / 2]:N0} ms, max {latencies[^1]:N0} ms   (target < 5,000 ms)");
    }
}

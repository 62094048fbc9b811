using Relay.Mapping;
using Relay.Settings;
using Relay.Sync;
using Simulators.Shopware;
using Simulators.Spotler;

namespace Benchmarks;

/// <summary>
/// Purchase figures during a full sync: N customers with M orders between them (three each by default) in the
/// Shopware simulator, a full sync to the Spotler simulator whose mapping reads the purchase fields, through the
/// relay's real FullSyncRunner in process. The run first reads all orders (PurchaseFigures.RebuildAsync, pages of
/// 500 without lines), then pushes the customers with their figures. Reports contacts/s over the whole run, the
/// two phases (from the runner's "Purchase figures rebuilt" activity entry), peak RSS and the live heap after it.
/// The relay's Shopware pacing stays at its default unless --shop-rps is given (as in e2e). At the default
/// (10 requests/s) the pages alone cap a run: a customer costs 1/500 page and its three orders 3/500, so no run
/// passes 1,250 contacts/s; the README's figures for the 2,000/s goal say which --shop-rps they ran with.
/// </summary>
internal static class PurchaseBenchmark
{
    public static async Task RunAsync(Arguments args)
    {
        var customers = args.Int("customers", 100_000);
        var orders = args.Int("orders", 300_000);
        await using var bench = await InstalledShop.StartAsync(args, E2eBenchmark.ShopPacing(args));
        var (relay, redis, shop, shopKey) = (bench.Relay, bench.Redis, bench.Shop, bench.ShopKey);
        await using var spotler = await SpotlerSimulator.StartAsync("ck", "cs");

        var mapping = new FieldMapping
        {
            Rules =
            [
                new FieldRule { Target = ContactFields.FirstName, Sources = [ShopFields.FirstName] },
                new FieldRule { Target = ContactFields.LastName, Sources = [ShopFields.LastName] },
                new FieldRule { Target = "firstPurchaseDate", Sources = [ShopFields.FirstOrderAt], Transforms = ["date:yyyy-MM-dd"] },
                new FieldRule { Target = "lastPurchaseDate", Sources = [ShopFields.LastOrderAt], Transforms = ["date:yyyy-MM-dd"] },
                new FieldRule { Target = "profileField2", Sources = [ShopFields.OrderCount] },
                new FieldRule { Target = "profileField3", Sources = [ShopFields.TotalSpent] },
            ],
        };
        await E2eBenchmark.SaveSpotlerAsync(relay, shopKey, spotler, mapping);

        for (var i = 0; i < customers; i++)
            shop.Api.AddCustomer(new SimulatedCustomer { Email = $"klant{i:D7}@example.nl", FirstName = "Klant", LastName = $"Nummer {i}", CustomerNumber = $"K{i:D7}" });
        var start = new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero);
        for (var i = 0; i < orders; i++)
            shop.Api.AddOrder(new SimulatedOrder
            {
                OrderNumber = $"P{i:D7}",
                OrderDateTime = start.AddMinutes(i),
                AmountTotal = 25m,
                OrderCustomer = new SimulatedOrderCustomer($"klant{i % customers:D7}@example.nl", "Klant", $"Nummer {i % customers}"),
                LineItems = [SimulatedLineItem.Gross("product", "Mok", 1, 25m, 21, new Dictionary<string, object?> { ["productNumber"] = "MOK" }, ShopwareIds.New())],
                Transactions = [new SimulatedTransaction(SimulatedState.Payment("paid"), new SimulatedPaymentMethod("Card"), DateTimeOffset.UnixEpoch)],
            });

        var shopware = relay.Get<Microsoft.Extensions.Options.IOptions<Relay.Platforms.Shopware.ShopwareOptions>>().Value;
        Console.WriteLine($"purchase: full sync of {customers:N0} Shopware customers with {orders:N0} orders -> Spotler with purchase figures mapped, relay in process on " +
                          $"{(redis is null ? "the embedded store" : "Redis " + redis.ConnectionString)}, {Environment.ProcessorCount} cores shared with the simulators");
        Console.WriteLine($"  shop API pacing {shopware.AdminApiRequestsPerSecond:N0} requests/s ({(args.Get("shop-rps") is null ? "the relay's default" : "raised by --shop-rps")}), pages of {shopware.SearchPageSize:N0}: " +
                          $"{(customers + orders) / shopware.SearchPageSize:N0} pages to read, at least {(double)(customers + orders) / shopware.SearchPageSize / shopware.AdminApiRequestsPerSecond:N0} s");
        var seededRss = InProcessRelay.RssMb();
        var startedAt = DateTimeOffset.UtcNow;
        var (progress, elapsed) = await E2eBenchmark.FullSyncAsync(relay, shopKey);
        var perSecond = progress.Done / elapsed.TotalSeconds;
        // The runner logs when the figures are rebuilt: the split between reading the orders and pushing the contacts.
        var rebuilt = (await relay.Get<ActivityLog>().ReadAsync(shopKey, ActivityLog.MaxEntries))
            .FirstOrDefault(e => e.Message.StartsWith("Purchase figures rebuilt", StringComparison.Ordinal))?.At;
        var sample = spotler.Contacts.Values.FirstOrDefault(c => c.Properties.GetValueOrDefault("email") == "klant0000000@example.nl");
        var expectedCount = (orders / customers + (orders % customers > 0 ? 1 : 0)).ToString(System.Globalization.CultureInfo.InvariantCulture);
        var figuresRight = spotler.Contacts.Values.Count(c => c.Properties.GetValueOrDefault("profileField2") is not null);
        Console.WriteLine($"  state {progress.State}, done {progress.Done:N0}, failed {progress.Failed:N0}, in Spotler {spotler.Contacts.Count:N0} ({figuresRight:N0} with figures), in {elapsed.TotalSeconds:N1} s");
        Console.WriteLine($"  sample klant0000000: orders {sample?.Properties.GetValueOrDefault("profileField2")} (expected {expectedCount}), total {sample?.Properties.GetValueOrDefault("profileField3")}, " +
                          $"first {sample?.Properties.GetValueOrDefault("firstPurchaseDate")}, last {sample?.Properties.GetValueOrDefault("lastPurchaseDate")}");
        if (rebuilt is { } at)
            Console.WriteLine($"  phases                orders read and figures rebuilt in {(at - startedAt).TotalSeconds:N1} s ({(double)orders / shopware.SearchPageSize / Math.Max(0.001, (at - startedAt).TotalSeconds):N1} pages/s), contacts pushed in {(elapsed - (at - startedAt)).TotalSeconds:N1} s");
        Console.WriteLine($"  contacts/s            {perSecond,10:N0}   (target >= 2,000, whole run including reading the orders)   {E2eBenchmark.Verdict(perSecond >= 2000)}");
        Console.WriteLine($"  peak RSS (VmHWM)      {InProcessRelay.PeakRssMb(),7:N0} MB   (this process: relay, both simulators, the seeded shop; {seededRss:N0} MB before the sync)");
        Console.WriteLine($"  live managed heap     {GC.GetTotalMemory(forceFullCollection: true) / 1024 / 1024,7:N0} MB   (after the sync, the seeded simulators and the relay's caches included)");
        if (redis is not null) Console.WriteLine($"  redis used memory     {await redis.UsedMemoryMbAsync(),7:N0} MB");
    }

}

using System.Diagnostics;
using Relay.Orders;
using Relay.Settings;
using Relay.Sync;
using Simulators.MiniCrm;
using Simulators.Shopware;

namespace Benchmarks;

/// <summary>
/// A first order sync of N orders (of N/10 customers) from the Shopware simulator into the strict MiniCRM
/// simulator (sliding-minute limit, 429 beyond it), through the relay's real OrderSyncRunner in process.
/// MiniCRM's limit is 60 a minute; at that rate 20,000 orders take hours (about 4 calls an order), so the
/// run raises the simulator's limit and the relay's budget together (--per-minute, the relay's
/// requestsPerMinute option): what is measured is how close the relay keeps to the limit it is given, and
/// that no 429 reaches an order. Reports calls/s against the limit, 429s, failed orders and peak RSS.
/// </summary>
internal static class OrdersBenchmark
{
    public static async Task RunAsync(Arguments args)
    {
        var orders = args.Int("orders", 20_000);
        var perMinute = args.Int("per-minute", 6000);
        await using var bench = await InstalledShop.StartAsync(args);
        var (relay, redis, shop, shopKey) = (bench.Relay, bench.Redis, bench.Shop, bench.ShopKey);
        await using var minicrm = await MiniCrmSimulator.StartAsync("12345", "minicrm-api-key");
        minicrm.RequestsPerMinute = perMinute;

        var store = relay.Get<ShopSettingsStore>();
        var (outcome, _) = await store.SaveAsync(shopKey, new ShopSettings
        {
            SyncEnabled = true,
            Target = new TargetSettings
            {
                Kind = "minicrm",
                BaseUrl = minicrm.BaseUrl,
                Credentials = new Dictionary<string, string> { ["systemId"] = "12345", ["apiKey"] = "minicrm-api-key" },
                Options = new Dictionary<string, string> { ["requestsPerMinute"] = perMinute.ToString(System.Globalization.CultureInfo.InvariantCulture) },
            },
            Orders = new OrderSettings { Enabled = true, StatusPairs = new Dictionary<string, string> { ["payment:paid"] = "Successful", ["payment:open"] = "Draft" } },
        }, 0);
        if (outcome != SaveOutcome.Saved) throw new InvalidOperationException($"Saving the settings: {outcome}");

        var customers = Math.Max(1, orders / 10);
        for (var i = 0; i < orders; i++)
            shop.Api.AddOrder(new SimulatedOrder
            {
                OrderNumber = $"B{i:D7}",
                Currency = new SimulatedCurrency("HUF"),
                OrderCustomer = new SimulatedOrderCustomer($"vevo{i % customers:D6}@example.hu", "Vevő", $"{i % customers}"),
                LineItems =
                [
                    SimulatedLineItem.Gross("product", "Bögre", 2, 3175m, 27, new Dictionary<string, object?> { ["productNumber"] = "MUG" }, ShopwareIds.New()),
                    SimulatedLineItem.Gross("promotion", "Kupon", 1, -635m, 27, new Dictionary<string, object?> { ["code"] = "TEL10" }),
                ],
                Transactions = [new SimulatedTransaction(SimulatedState.Payment(i % 4 == 0 ? "open" : "paid"), new SimulatedPaymentMethod("Card"), DateTimeOffset.UnixEpoch)],
            });

        Console.WriteLine($"orders: first order sync of {orders:N0} Shopware orders of {customers:N0} customers -> MiniCRM (strict simulator, {perMinute:N0} requests/min = {perMinute / 60.0:N1}/s), " +
                          $"relay in process on {(redis is null ? "the embedded store" : "Redis " + redis.ConnectionString)}, {Environment.ProcessorCount} cores shared with the simulators");
        var seededRss = InProcessRelay.RssMb();
        var jobs = relay.Get<OrderSyncJobs>();
        var runner = relay.Get<OrderSyncRunner>();
        var before = minicrm.Requests.Count;
        var clock = Stopwatch.StartNew();
        await jobs.StartAsync(shopKey, "button");
        var result = await runner.RunAsync(shopKey, "bench");
        while (result == FullSyncRunOutcome.Retrying)
        {
            Console.WriteLine($"  transient failure: {(await jobs.GetAsync(shopKey)).Error}; resuming");
            result = await runner.RunAsync(shopKey, "bench");
        }
        clock.Stop();

        var progress = await jobs.GetAsync(shopKey);
        var calls = minicrm.Requests.Count - before;
        var accepted = minicrm.AcceptedAt;
        // The rate while the relay was sending: first to last admitted call (the shop's pages are read in between).
        var span = accepted.Count > 1 ? (accepted[^1] - accepted[0]).TotalSeconds : clock.Elapsed.TotalSeconds;
        var callsPerSecond = calls / span;
        var share = callsPerSecond / (perMinute / 60.0);
        Console.WriteLine($"  state {progress.State}, read {progress.Done:N0}, sent {progress.Sent:N0}, waiting {progress.Waiting:N0}, failed {progress.Failed:N0}, MiniCRM orders {minicrm.Orders.Count:N0}, in {clock.Elapsed.TotalSeconds:N1} s");
        Console.WriteLine($"  MiniCRM calls {calls:N0} ({(double)calls / Math.Max(1, progress.Sent):N2} per order), answered 429: {minicrm.RateLimited:N0}");
        Console.WriteLine($"  calls/s               {callsPerSecond,10:N1}   of the limit {perMinute / 60.0:N1}/s = {share:P1}   (target >= 90 %)   {Verdict(share >= 0.9)}");
        Console.WriteLine($"  429s reaching an order {progress.Failed,9:N0}   (target 0)   {Verdict(progress.Failed == 0 && progress.Sent == minicrm.Orders.Count)}");
        Console.WriteLine($"  peak RSS (VmHWM)      {InProcessRelay.PeakRssMb(),7:N0} MB   (this process: relay, both simulators, the seeded shop; {seededRss:N0} MB before the sync)");
        if (redis is not null) Console.WriteLine($"  redis used memory     {await redis.UsedMemoryMbAsync(),7:N0} MB");
    }

    private static string Verdict(bool met) => met ? "met" : "NOT MET";
}

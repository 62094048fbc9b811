using System.Diagnostics;
using Relay.Settings;
using Relay.Shops;
using Relay.Sync;
using Simulators.Shopware;
using Simulators.Spotler;

namespace Benchmarks;

/// <summary>
/// A full sync of N customers from the Shopware simulator (no rate limit) to the Spotler simulator,
/// through the relay's real FullSyncRunner in process, on Redis (default) or the embedded store.
/// The shop is installed through the real handshake; the target is configured as the admin page saves it.
/// Reports contacts/s, Spotler calls per contact (counted at the simulator) and peak RSS.
/// The relay's own Shopware Admin API pacing stays at its production default unless --shop-rps is
/// given: with pages of 500 it allows about 5,000 contacts/s, so it is part of what is measured.
/// </summary>
internal static class E2eBenchmark
{
    public static async Task RunAsync(Arguments args)
    {
        var contacts = args.Int("contacts", 100_000);
        var settings = new Dictionary<string, string?>();
        // Only to see the relay's ceiling without its politeness pacing; the figures that count use the default.
        if (args.Get("shop-rps") is { } rps)
        {
            settings["Shopware:AdminApiRequestsPerSecond"] = rps;
            settings["Shopware:AdminApiBurst"] = rps;
        }
        await using var bench = await InstalledShop.StartAsync(args, settings);
        var (relay, redis, shop, shopKey) = (bench.Relay, bench.Redis, bench.Shop, bench.ShopKey);
        await using var spotler = await SpotlerSimulator.StartAsync("ck", "cs");

        var store = relay.Get<ShopSettingsStore>();
        var current = await store.GetAsync(shopKey);
        var (outcome, _) = await store.SaveAsync(shopKey, new ShopSettings
        {
            SyncEnabled = true,
            Target = new TargetSettings
            {
                Kind = "spotler",
                BaseUrl = spotler.BaseUrl,
                Credentials = new Dictionary<string, string> { ["consumerKey"] = "ck", ["consumerSecret"] = "cs" },
            },
        }, current.Version);
        if (outcome != SaveOutcome.Saved) throw new InvalidOperationException($"Saving the settings: {outcome}");

        for (var i = 0; i < contacts; i++)
            shop.Api.AddCustomer(new SimulatedCustomer { Email = $"klant{i:D7}@example.nl", FirstName = "Klant", LastName = $"Nummer {i}", CustomerNumber = $"K{i:D7}" });

        Console.WriteLine($"e2e: full sync of {contacts:N0} Shopware customers -> Spotler, relay in process on {(redis is null ? "the embedded store" : "Redis " + redis.ConnectionString)}, " +
                          $"{Environment.ProcessorCount} cores shared with the simulators{(redis is null ? "" : " and redis")}");
        var shopware = relay.Get<Microsoft.Extensions.Options.IOptions<Relay.Platforms.Shopware.ShopwareOptions>>().Value;
        Console.WriteLine($"  shop API pacing {shopware.AdminApiRequestsPerSecond:N0} requests/s, burst {shopware.AdminApiBurst:N0} " +
                          $"({(args.Get("shop-rps") is null ? "the relay's default" : "raised by --shop-rps: shows the relay's ceiling, not what a real shop gets")}); " +
                          $"pages of {shopware.SearchPageSize:N0}, so the pacing allows about {shopware.AdminApiRequestsPerSecond * shopware.SearchPageSize:N0} contacts/s");
        var seededRss = InProcessRelay.RssMb();
        var jobs = relay.Get<FullSync>();
        var runner = relay.Get<FullSyncRunner>();
        var spotlerBefore = spotler.Requests.Count;
        var shopBefore = shop.Api.Requests.Count;
        var clock = Stopwatch.StartNew();
        await jobs.StartAsync(shopKey);
        var result = await runner.RunAsync(shopKey, "bench");
        while (result == FullSyncRunOutcome.Retrying)
        {
            Console.WriteLine($"  transient failure: {(await jobs.GetAsync(shopKey)).Error}; resuming");
            result = await runner.RunAsync(shopKey, "bench");
        }
        clock.Stop();

        var progress = await jobs.GetAsync(shopKey);
        var spotlerCalls = spotler.Requests.Count - spotlerBefore;
        var shopCalls = shop.Api.Requests.Count - shopBefore;
        var perSecond = progress.Done / clock.Elapsed.TotalSeconds;
        var contactsPerCall = spotlerCalls == 0 ? 0 : (double)progress.Done / spotlerCalls;
        Console.WriteLine($"  state {progress.State}, done {progress.Done:N0}, failed {progress.Failed:N0}, in Spotler {spotler.Contacts.Count:N0}, in {clock.Elapsed.TotalSeconds:N1} s");
        Console.WriteLine($"  shop API calls {shopCalls:N0}; Spotler calls {spotlerCalls:N0} (batches {spotler.ContactListBatches.Count:N0}, largest {spotler.ContactListBatches.DefaultIfEmpty().Max()})");
        Console.WriteLine($"  contacts/s            {perSecond,10:N0}   (target >= 2,000)   {Verdict(perSecond >= 2000)}");
        Console.WriteLine($"  contacts per call     {contactsPerCall,10:N1}   (target >= 50, i.e. <= 1 Spotler call per 50 contacts)   {Verdict(contactsPerCall >= 50)}");
        Console.WriteLine($"  complete              {Verdict(progress.State == SyncState.Completed && progress.Failed == 0 && spotler.Contacts.Count == contacts)}");
        Console.WriteLine($"  peak RSS (VmHWM)      {InProcessRelay.PeakRssMb(),7:N0} MB   (this process: relay, both simulators, the seeded shop; {seededRss:N0} MB before the sync)");
        if (redis is not null) Console.WriteLine($"  redis used memory     {await redis.UsedMemoryMbAsync(),7:N0} MB");
    }

    private static string Verdict(bool met) => met ? "met" : "NOT MET";
}

using System.Diagnostics;
using System.Globalization;
using Relay.Platforms.Shoper;
using Relay.Shops;
using Simulators.Shoper;

namespace Benchmarks;

/// <summary>
/// How close the relay's Shoper pacing gets to the shop's leaky bucket. The relay (in process, Redis or
/// embedded store) installs into the Shoper simulator through the real app-store notification, then
/// <c>--concurrency</c> loops page through the shop's subscribers with the relay's own ShoperClient for
/// <c>--duration</c> real seconds, against a bucket of <c>--limit</c> (X-Shop-Api-Limit) draining
/// <c>--bandwidth</c> a second. The theoretical most is the initial burst (a full bucket) plus the
/// bandwidth afterwards. A 429 the client did not absorb (it surfaces as a ShoperApiException) is what a
/// worker would see as an error.
/// </summary>
internal static class ShoperRateBenchmark
{
    public static async Task RunAsync(Arguments args)
    {
        var duration = TimeSpan.FromSeconds(args.Int("duration", 60));
        var limit = args.Int("limit", 10);
        var bandwidth = double.Parse(args.Get("bandwidth") ?? "2", CultureInfo.InvariantCulture);
        var concurrency = args.Int("concurrency", 4);
        var subscribers = args.Int("subscribers", 500);

        var shopOptions = new ShoperSimulatorOptions { ApiLimit = limit, ApiBandwidth = bandwidth };
        await using var shop = await ShoperShopSimulator.StartAsync(shopOptions);
        for (var i = 0; i < subscribers; i++) shop.SeedSubscriber($"subskrybent{i:D6}@example.pl");

        var (relay, redis) = await InProcessRelay.StartAsync(args, new()
        {
            ["Shoper:AppId"] = shopOptions.AppId,
            ["Shoper:AppSecret"] = shopOptions.AppSecret,
            ["Shoper:AppstoreSecret"] = shopOptions.AppstoreSecret,
            ["Shoper:AppWebhookSecret"] = shopOptions.AppWebhookSecret,
            ["Shoper:PublicBaseUrl"] = "https://relay.example.test",
            // Not used here, but the relay refuses to start in Production without a Shopware app.
            ["Shopware:AppName"] = "RelayBench",
            ["Shopware:AppSecret"] = "bench-secret-not-used-0123456789",
            ["Shopware:PublicBaseUrl"] = "http://localhost",
        });
        await using var _redis = redis;
        await using var _relay = relay;
        using var relayClient = relay.CreateClient();
        using (var installed = await shop.SendNotificationAsync(relayClient, "install"))
            if (!installed.IsSuccessStatusCode) throw new InvalidOperationException($"Shoper install answered {(int)installed.StatusCode}");

        var shopKey = ShopKeys.Of("shoper", shopOptions.ShopLicense);
        var client = relay.Get<ShoperClient>();
        var pages = Math.Max(1, (subscribers + ShoperClient.MaxPageSize - 1) / ShoperClient.MaxPageSize);

        // Let the bucket drain from the install's calls, so the run starts with a full burst available.
        await Task.Delay(TimeSpan.FromSeconds(Math.Ceiling(limit / bandwidth)));
        var (before, tooManyBefore) = shop.Read(s => (s.Requests.Count, s.TooManyRequests));

        Console.WriteLine($"shoper-rate: {concurrency} loops paging {subscribers:N0} subscribers ({pages} pages of {ShoperClient.MaxPageSize}) through ShoperClient for {duration.TotalSeconds:N0} s; " +
                          $"bucket limit {limit}, bandwidth {bandwidth}/s; relay on {(redis is null ? "the embedded store" : "Redis")}");
        long calls = 0, errors429 = 0, otherErrors = 0;
        var clock = Stopwatch.StartNew();
        using var stop = new CancellationTokenSource(duration);
        var loops = Enumerable.Range(0, concurrency).Select(n => Task.Run(async () =>
        {
            var page = 1 + n % pages;
            while (!stop.IsCancellationRequested)
            {
                try
                {
                    await client.ListSubscribersAsync(shopKey, page, ct: stop.Token);
                    Interlocked.Increment(ref calls);
                }
                catch (OperationCanceledException) when (stop.IsCancellationRequested) { break; }
                catch (ShoperApiException e) when (e.StatusCode == 429) { Interlocked.Increment(ref errors429); }
                catch (Exception e)
                {
                    if (Interlocked.Increment(ref otherErrors) <= 3) Console.WriteLine($"  error: {e.GetType().Name}: {e.Message}");
                }
                page = page % pages + 1;
            }
        })).ToArray();
        await Task.WhenAll(loops);
        clock.Stop();

        var (requests, tooMany) = shop.Read(s => (s.Requests.Skip(before).ToList(), s.TooManyRequests - tooManyBefore));
        var seconds = clock.Elapsed.TotalSeconds;
        var ok = requests.Count(r => r.Status is >= 200 and < 300);
        var theoretical = (limit + bandwidth * seconds) / seconds;
        var achieved = ok / seconds;
        var steady = Math.Max(0, ok - limit) / seconds;
        Console.WriteLine($"  {seconds:N1} s: {requests.Count:N0} requests at the shop, {ok:N0} answered 2xx, {tooMany:N0} answered 429 (absorbed by the outbound chain's retries unless counted below)");
        // The most any client can get: the shop's bucket starts empty (drained above) and ends at most full.
        Console.WriteLine($"  calls answered 2xx    {ok,8:N0}    of at most {limit + bandwidth * seconds:N1}");
        Console.WriteLine($"  achieved              {achieved,8:N2}/s   theoretical {theoretical:N2}/s (burst {limit} + {bandwidth}/s)   {achieved / theoretical,6:P0}   (target >= 90 %)   {Verdict(achieved >= 0.9 * theoretical)}");
        Console.WriteLine($"  after the burst       {steady,8:N2}/s   of {bandwidth:N2}/s   {steady / bandwidth,6:P0}");
        Console.WriteLine($"  429 errors to callers {errors429,8:N0}   (target 0)   {Verdict(errors429 == 0)};  other errors {otherErrors:N0}; completed calls {calls:N0}");
    }

    private static string Verdict(bool met) => met ? "met" : "NOT MET";
}

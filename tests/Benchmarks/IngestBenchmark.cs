using System.Security.Cryptography;
using Simulators.Shopware;
using StackExchange.Redis;

namespace Benchmarks;

/// <summary>
/// The relay as it runs in production (Relay.dll, Release, its own process, on a Redis of the
/// benchmark's own with AOF) with one Shopware shop installed through the real handshake, under signed
/// webhooks of ~2 KB with unique event ids from this process over loopback. The same load goes to a bare
/// Kestrel process that only reads the body and answers 204, which is the ceiling the relay is compared with.
/// Per target: the most it takes (closed loop), then an open-loop run at a fixed rate (default 80 % of
/// the relay's most) with latency measured from each request's due time, errors and peak RSS.
/// </summary>
internal static class IngestBenchmark
{
    private const string AppName = "RelayBench";

    public static async Task RunAsync(Arguments args)
    {
        var duration = TimeSpan.FromSeconds(args.Int("duration", 60));
        var probe = TimeSpan.FromSeconds(args.Int("probe", 10));
        var rounds = Math.Max(1, args.Int("rounds", 3));
        var warmup = TimeSpan.FromSeconds(args.Int("warmup", 5));
        var connections = args.Int("connections", 64);
        // The open loop needs room for rate × latency requests in flight; with only the closed loop's 64
        // a few milliseconds of extra latency would turn into a queue in the load generator.
        var openConnections = args.Int("open-connections", 256);
        var bodySize = args.Int("body", 2048);
        var workers = args.Get("workers") is "on";
        var partitions = args.Int("partitions", 4);
        var fixedRate = args.Get("rate") is { } r ? double.Parse(r, System.Globalization.CultureInfo.InvariantCulture) : (double?)null;

        await using var redis = await BenchRedis.StartAsync(args);
        var storeIsRedis = args.Get("store") is not "embedded";
        // A relay that has been running holds a week of dedup keys (Pipeline:DedupTtl), millions at a few
        // events a second. An empty Redis instead doubles its key and expiry tables while the run grows
        // them past each power of two, and the doubling at 2^20 (a second or two of extra Redis CPU) would
        // land in the middle of the open loop. Loading past 2^21 first measures the relay in its steady state;
        // --preload 0 measures from empty.
        var preload = storeIsRedis && args.Get("redis") is null ? args.Int("preload", 2_200_000) : 0;
        if (preload > 0) await PreloadDedupKeysAsync(redis.ConnectionString, partitions, preload);
        var appSecret = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));
        var relayPort = ChildProcess.FreePort();
        await using var relay = await ChildProcess.StartAsync("relay", Path.Combine(AppContext.BaseDirectory, "Relay.dll"),
            ["--urls", $"http://127.0.0.1:{relayPort}"], relayPort, new Dictionary<string, string>
            {
                ["ASPNETCORE_ENVIRONMENT"] = "Production",
                // --store embedded: the same relay on its in-process store, to see what the Redis client costs.
                ["Storage__Redis"] = args.Get("store") is "embedded" ? "" : redis.ConnectionString,
                ["Secrets__MasterKey"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)),
                ["Shopware__AppName"] = AppName,
                ["Shopware__AppSecret"] = appSecret,
                ["Shopware__PublicBaseUrl"] = $"http://127.0.0.1:{relayPort}",
                ["Outbound__AllowPrivateNetworks"] = "true",
                ["Pipeline__WorkersEnabled"] = workers ? "true" : "false",
                ["Pipeline__Partitions"] = partitions.ToString(),
                ["Logging__LogLevel__Default"] = "Warning",
                // As the Dockerfile runs it; --relay-env DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS=0 for the thread-pool hop.
                [Relay.InlineIo.Variable] = "1",
            }.Concat(RelayEnvironment(args)).GroupBy(kv => kv.Key).ToDictionary(g => g.Key, g => g.Last().Value), "/health/ready");

        // Install through the real handshake: registration, confirmation, app.installed, app.activated.
        using var installClient = new HttpClient { BaseAddress = new Uri(relay.BaseUrl) };
        await using var shop = await ShopwareShopSimulator.StartAsync(installClient, new ShopwareShopSimulatorOptions { AppName = AppName, AppSecret = appSecret });
        var install = await shop.InstallAsync();
        if (!install.Succeeded) throw new InvalidOperationException($"Shop install failed: {install}");

        var barePort = ChildProcess.FreePort();
        await using var bare = await ChildProcess.StartAsync("bare", Path.Combine(AppContext.BaseDirectory, "Benchmarks.dll"),
            ["bare-server", "--port", barePort.ToString()], barePort, new Dictionary<string, string>
            {
                // The relay runs with workstation GC (Relay.csproj) and inline socket completions (Dockerfile);
                // the baseline must too, so that the ratio compares the work and not the runtime settings.
                ["DOTNET_gcServer"] = "0",
                [Relay.InlineIo.Variable] = "1",
                ["ASPNETCORE_ENVIRONMENT"] = "Production",
            }, "/health/live");

        var webhooks = new SignedWebhooks(shop.ShopId, shop.ShopUrl, shop.ShopSecret!, bodySize, Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4)));
        long next = -1;
        long NextIndex() => Interlocked.Increment(ref next);
        var relayUrl = new Uri($"{relay.BaseUrl}/shopware/webhook");
        var bareUrl = new Uri($"{bare.BaseUrl}/shopware/webhook");

        Console.WriteLine($"ingest: signed Shopware webhooks of {webhooks.Size:N0} bytes, unique event ids, HTTP/1.1 over loopback, {connections} connections");
        Console.WriteLine($"        relay workers {(workers ? "on (events are dead-lettered: no forwarding handler yet)" : "off (ingest only)")}; " +
                          $"load generator, relay, bare server and redis share {Environment.ProcessorCount} cores");
        if (args.Get("redis") is null && storeIsRedis)
            Console.WriteLine($"        redis: appendonly {args.Get("appendonly") ?? "yes"}, appendfsync everysec, auto-aof-rewrite-min-size 4gb {args.Get("redis-args")}; " +
                              $"{preload:N0} dedup keys of an earlier week loaded before the run (--preload)");

        // Workers would keep the queue at the size of the live backlog; with them off the streams would grow
        // by about a gigabyte a minute and Redis's AOF rewrites of that (a fork plus a core for seconds) would
        // be what the latency measures. So, unless --drain off, this process trims the streams as workers
        // would, on its own connection; every entry still counts (XINFO STREAM entries-added).
        using var drainStop = new CancellationTokenSource();
        var drain = storeIsRedis && !workers && args.Get("drain") is not "off"
            ? DrainAsync(redis.ConnectionString, partitions, drainStop.Token)
            : Task.CompletedTask;
        if (storeIsRedis && !workers)
            Console.WriteLine($"        queue streams {(args.Get("drain") is "off" ? "kept whole (--drain off)" : "trimmed to the newest 10,000 entries each every 0.5 s, standing in for workers")}");

        long relayAccepted = 0;
        var servers = new[] { ("relay", relayUrl, relay), ("bare", bareUrl, bare) };
        foreach (var (name, url, _) in servers)
        {
            var w = await HttpLoad.ClosedLoopAsync(url, webhooks, NextIndex, connections, warmup);
            if (name == "relay") relayAccepted += w.Accepted;
        }
        // The machine's speed drifts over minutes (other tenants of the host, page cache, Redis's tables
        // growing), so relay and bare are measured in alternating rounds and compared round by round.
        var rates = new Dictionary<string, List<double>> { ["relay"] = [], ["bare"] = [] };
        for (var round = 1; round <= rounds; round++)
        foreach (var (name, url, server) in servers)
        {
            var (cpuBefore, redisBefore, loadBefore, idleBefore) = (server.CpuSeconds(), redis.CpuSeconds(), LoadCpuSeconds(), IdleCpuSeconds());
            var m = await HttpLoad.ClosedLoopAsync(url, webhooks, NextIndex, connections, probe);
            var loadPerRequest = (LoadCpuSeconds() - loadBefore) / Math.Max(1, m.Accepted) * 1e6;
            var idle = (IdleCpuSeconds() - idleBefore) / (probe.TotalSeconds * Environment.ProcessorCount);
            // CPU per request does not depend on what else the shared cores run: it is the figure to profile by.
            var cpuPerRequest = (server.CpuSeconds() - cpuBefore) / Math.Max(1, m.Accepted) * 1e6;
            var redisPerRequest = (redis.CpuSeconds() - redisBefore) / Math.Max(1, m.Accepted) * 1e6;
            if (name == "relay") relayAccepted += m.Accepted;
            rates[name].Add(m.PerSecond);
            Console.WriteLine($"  {name,-6} max, round {round} (closed loop, {connections} in flight, {probe.TotalSeconds:N0} s): {m.PerSecond,8:N0}/s   errors {m.Errors}   CPU {cpuPerRequest:N0} µs/request" +
                              (name == "relay" && redisPerRequest >= 0 ? $" + redis {redisPerRequest:N0} µs" : "") +
                              $"; load generator {loadPerRequest:N0} µs; cores idle {idle:P0}");
        }
        var max = rates.ToDictionary(r => r.Key, r => Median(r.Value));
        var roundRatios = rates["relay"].Zip(rates["bare"], (relayRate, bareRate) => relayRate / bareRate).ToList();

        var rate = fixedRate ?? Math.Floor(0.8 * max["relay"]);
        Console.WriteLine($"  open loop at {rate:N0}/s for {duration.TotalSeconds:N0} s{(fixedRate is null ? " (80 % of the relay's median max)" : "")}, up to {openConnections} in flight:");
        var results = new List<LoadResult>();
        foreach (var (name, url) in new[] { ("relay", relayUrl), ("bare", bareUrl) })
        {
            var result = await HttpLoad.OpenLoopAsync(name, url, webhooks, NextIndex, rate, duration, openConnections, printStalls: args.Get("stalls") is "on");
            if (name == "relay") relayAccepted += result.Accepted;
            results.Add(result);
        }

        Console.WriteLine($"    {"",-22}{"relay",18}{"bare Kestrel",18}");
        void Row(string label, Func<LoadResult, string> value) => Console.WriteLine($"    {label,-22}{value(results[0]),18}{value(results[1]),18}");
        Row("accepted/s", x => x.AcceptedPerSecond.ToString("N0"));
        Row("latency p50", x => $"{x.Percentile(0.50):N2} ms");
        Row("latency p99", x => $"{x.Percentile(0.99):N2} ms");
        Row("latency p99.9", x => $"{x.Percentile(0.999):N2} ms");
        Row("latency max", x => $"{x.Percentile(1):N2} ms");
        // Latency runs from the due time; this part of it runs from writing the request, so what is left
        // is the load generator's own lateness (its millisecond wait, its thread waiting for a core).
        Row("  send→answer p50", x => $"{x.InRequestPercentile(0.50):N2} ms");
        Row("  send→answer p99", x => $"{x.InRequestPercentile(0.99):N2} ms");
        Row("errors", x => $"{x.Errors} ({x.Rejected}/{x.Failed}/{x.NotSent})");
        Console.WriteLine($"    {"peak RSS (VmHWM)",-22}{relay.PeakRssMb() + " MB",18}{bare.PeakRssMb() + " MB",18}");
        Console.WriteLine("    (errors: non-2xx / no answer / not sent because more than 5 s overdue)");

        var ratio = Median(roundRatios);
        var relayOpen = results[0];
        Console.WriteLine($"  relay/bare max rate      {ratio:P0}   (median of {rounds} rounds: {string.Join(", ", roundRatios.Select(r => r.ToString("P0")))}; target >= 50 %)   {Verdict(ratio >= 0.5)}");
        Console.WriteLine($"  relay p99 at {rate:N0}/s    {relayOpen.Percentile(0.99):N2} ms   (target < 20 ms at 80 % of max)   {Verdict(relayOpen.Percentile(0.99) < 20 && relayOpen.Errors == 0)}");
        Console.WriteLine($"  relay peak RSS           {relay.PeakRssMb()} MB   (target < 250 MB)   {Verdict(relay.PeakRssMb() is > 0 and < 250)}");

        await drainStop.CancelAsync();
        await drain;
        if (!workers && storeIsRedis)
        {
            // Every 2xx must be an entry in a queue stream: the inbox answered only after the write.
            var stored = await StoredEntriesAsync(redis.ConnectionString, partitions);
            Console.WriteLine($"  redis: {stored:N0} entries added to the queue for {relayAccepted:N0} accepted webhooks {Verdict(stored == relayAccepted)}; {await redis.UsedMemoryMbAsync():N0} MB used");
        }
    }

    /// <summary>--relay-env "K=V,K=V": settings to try on the relay (e.g. runtime knobs) without a rebuild.</summary>
    private static IEnumerable<KeyValuePair<string, string>> RelayEnvironment(Arguments args) =>
        (args.Get("relay-env") ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries)
            .Select(pair => pair.Split('=', 2)).Select(kv => KeyValuePair.Create(kv[0], kv.Length > 1 ? kv[1] : ""));

    private static string Verdict(bool met) => met ? "met" : "NOT MET";

    private static async Task<long> StoredEntriesAsync(string connection, int partitions)
    {
        using var mux = await ConnectionMultiplexer.ConnectAsync(connection);
        var db = mux.GetDatabase();
        long total = 0;
        // XINFO STREAM's entries-added counts trimmed entries too.
        for (var p = 0; p < partitions; p++)
            total += (await db.StreamInfoAsync(Relay.Storage.StoreKeys.Stream(p))).EntriesAdded;
        return total;
    }

    private static async Task PreloadDedupKeysAsync(string connection, int partitions, int count)
    {
        const string script = """
            local from, n, ttl = tonumber(ARGV[1]), tonumber(ARGV[2]), ARGV[3]
            for i = from, from + n - 1 do redis.call('SET', KEYS[1] .. i, '1', 'EX', ttl) end
            return n
            """;
        // DEBUG HTSTATS walks the key table: on a busy machine it can take longer than the default 5 s timeout.
        using var mux = await ConnectionMultiplexer.ConnectAsync(connection + ",allowAdmin=true,asyncTimeout=60000");
        var db = mux.GetDatabase();
        var ttl = (long)new Relay.Pipeline.PipelineOptions().DedupTtl.TotalSeconds;
        const int perCall = 10_000;
        for (var from = 0; from < count; from += perCall)
        {
            var prefix = Relay.Storage.StoreKeys.Seen(from / perCall % partitions, "shopware:earlier-week", "");
            await db.ScriptEvaluateAsync(script, [prefix], [from, Math.Min(perCall, count - from), ttl]);
        }
        // Redis moves a doubled table's entries over incrementally (a millisecond every 100 ms, and a step
        // per command), which would slow the first rounds; wait until neither table is being rehashed.
        for (var i = 0; i < 120; i++)
        {
            var stats = (string?)await db.ExecuteAsync("DEBUG", "HTSTATS", "0");
            if (stats is null || !stats.Contains("rehashing", StringComparison.OrdinalIgnoreCase)) return;
            await Task.Delay(500);
        }
    }

    private static async Task DrainAsync(string connection, int partitions, CancellationToken stop)
    {
        using var mux = await ConnectionMultiplexer.ConnectAsync(connection);
        var db = mux.GetDatabase();
        while (!stop.IsCancellationRequested)
        {
            for (var p = 0; p < partitions; p++)
                await db.StreamTrimAsync(Relay.Storage.StoreKeys.Stream(p), 10_000, useApproximateMaxLength: true);
            try { await Task.Delay(500, stop); } catch (OperationCanceledException) { }
        }
    }

    private static double LoadCpuSeconds() => System.Diagnostics.Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds;

    /// <summary>Idle plus I/O-wait time of all cores so far (/proc/stat), in seconds; whether a closed loop was CPU-bound.</summary>
    private static double IdleCpuSeconds()
    {
        try
        {
            var cpu = File.ReadLines("/proc/stat").First().Split(' ', StringSplitOptions.RemoveEmptyEntries);
            return (long.Parse(cpu[4]) + long.Parse(cpu[5])) / 100.0;
        }
        catch (IOException) { return double.NaN; }
    }

    private static double Median(IReadOnlyList<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2;
    }
}

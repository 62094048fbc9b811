using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Relay.Pipeline;
using Relay.Storage.Redis;

namespace Benchmarks;

/// <summary>
/// Inbox accept (dedup + durable enqueue) on Redis: N events of ~2 KB with unique ids, C in flight,
/// as the webhook endpoints call it. Prints events/s, latency percentiles and peak memory.
/// </summary>
internal static class InboxBenchmark
{
    public static async Task RunAsync(Arguments args)
    {
        var events = args.Int("events", 1_000_000);
        var concurrency = args.Int("concurrency", 256);
        await using var redis = await BenchRedis.StartAsync(args);

        var options = Options.Create(new PipelineOptions { Partitions = args.Int("partitions", 4) });
        using var store = new RedisRelayStore(redis.ConnectionString, options.Value.Partitions, NullLogger.Instance);
        var metrics = new RelayMetrics(new ServiceCollection().AddMetrics().BuildServiceProvider().GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>());
        var inbox = new Inbox(store, options, TimeProvider.System, metrics);

        var body = Payload.ShopwareWebhook(2048);
        var shops = Enumerable.Range(0, 50).Select(i => $"shopware:shop{i:D3}").ToArray();

        // Warm up the connection, scripts and JIT.
        for (var i = 0; i < 2000; i++) await inbox.AcceptAsync(shops[i % shops.Length], $"warm-{i}", "shopware.webhook", body);

        var latencies = new long[events];
        var next = -1;
        var duplicates = 0;
        var peakRss = 0L;
        using var sampler = new Timer(_ => peakRss = Math.Max(peakRss, Process.GetCurrentProcess().WorkingSet64), null, 0, 100);
        var started = Stopwatch.GetTimestamp();
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(async _ =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < events)
            {
                var t0 = Stopwatch.GetTimestamp();
                var outcome = await inbox.AcceptAsync(shops[i % shops.Length], $"evt-{i:D8}", "shopware.webhook", body);
                latencies[i] = Stopwatch.GetTimestamp() - t0;
                if (outcome == AcceptOutcome.Duplicate) Interlocked.Increment(ref duplicates);
            }
        }));
        var elapsed = Stopwatch.GetElapsedTime(started);
        peakRss = Math.Max(peakRss, Process.GetCurrentProcess().PeakWorkingSet64);

        Array.Sort(latencies);
        double Ms(double q) => latencies[(int)Math.Min(latencies.Length - 1, q * latencies.Length)] * 1000.0 / Stopwatch.Frequency;
        Console.WriteLine($"inbox accept on Redis: {events:N0} events of {body.Length:N0} bytes, {concurrency} in flight, {options.Value.Partitions} partitions");
        Console.WriteLine($"  throughput     {events / elapsed.TotalSeconds:N0} events/s ({elapsed.TotalSeconds:N1} s)");
        Console.WriteLine($"  latency        p50 {Ms(0.50):N2} ms   p99 {Ms(0.99):N2} ms   p99.9 {Ms(0.999):N2} ms   max {Ms(1):N2} ms");
        Console.WriteLine($"  duplicates     {duplicates}");
        Console.WriteLine($"  peak RSS       {peakRss / 1024 / 1024:N0} MB (benchmark process = relay side)");
        Console.WriteLine($"  redis memory   {await redis.UsedMemoryMbAsync():N0} MB used");
    }
}

using System.Diagnostics;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;

namespace Benchmarks;

/// <summary>
/// Signed Shopware webhooks of a fixed size with unique event ids, built per request so a long run
/// holds no pre-built bodies: the same bytes for the relay and for the bare server.
/// </summary>
internal sealed class SignedWebhooks
{
    private readonly byte[] _key;
    private readonly string _prefix;
    private readonly string _suffix;
    private readonly string _runId;

    public SignedWebhooks(string shopId, string shopUrl, string shopSecret, int size, string runId)
    {
        _key = Encoding.UTF8.GetBytes(shopSecret);
        _runId = runId;
        var timestamp = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        _prefix = """{"data":{"payload":[{"entity":"customer","operation":"update","primaryKey":"0190a6b4c1a57f0f9e1c2d3e4f5a6b7c","updatedFields":["id","firstName","lastName","email","newsletter"]}],"event":"customer.written"},"source":{"url":""" +
                  "\"" + shopUrl.Replace("/", "\\/") + "\",\"eventId\":\"";
        var middle = $"\",\"shopId\":\"{shopId}\",\"appVersion\":\"1.0.0\"}},\"timestamp\":{timestamp},\"padding\":\"";
        var fixedLength = _prefix.Length + EventId(0).Length + middle.Length + 2;
        _suffix = middle + new string('x', Math.Max(0, size - fixedLength)) + "\"}";
        Size = Encoding.UTF8.GetByteCount(Body(0));
    }

    public int Size { get; }

    private string EventId(long i) => $"{_runId}-{i:x12}";

    private string Body(long i) => _prefix + EventId(i) + _suffix;

    public HttpRequestMessage Create(Uri url, long i)
    {
        var body = Encoding.UTF8.GetBytes(Body(i));
        var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        request.Headers.TryAddWithoutValidation("shopware-shop-signature", Convert.ToHexStringLower(HMACSHA256.HashData(_key, body)));
        return request;
    }
}

internal sealed record LoadResult(
    string Target,
    double Rate,
    TimeSpan Duration,
    long Scheduled,
    long Accepted,
    long Rejected,
    long Failed,
    long NotSent,
    double[] AcceptedLatenciesMs)
{
    public double AcceptedPerSecond => Accepted / Duration.TotalSeconds;
    public long Errors => Rejected + Failed + NotSent;

    public double Percentile(double q) =>
        AcceptedLatenciesMs.Length == 0 ? double.NaN : AcceptedLatenciesMs[(int)Math.Min(AcceptedLatenciesMs.Length - 1, q * AcceptedLatenciesMs.Length)];
}

/// <summary>HTTP load on loopback: closed loop to find the most a server takes, open loop to measure latency at a rate.</summary>
internal static class HttpLoad
{
    public static HttpClient Client(int connections) => new(new SocketsHttpHandler
    {
        MaxConnectionsPerServer = connections,
        UseCookies = false,
        PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5),
        PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
    })
    { Timeout = TimeSpan.FromSeconds(30) };

    /// <summary>
    /// <paramref name="concurrency"/> senders, each sending the next request as soon as the last one is
    /// answered, for <paramref name="duration"/>. Returns answered-2xx per second: the server's ceiling.
    /// </summary>
    public static async Task<(double PerSecond, long Errors, long Accepted)> ClosedLoopAsync(
        HttpClient client, Uri url, SignedWebhooks webhooks, Func<long> nextIndex, int concurrency, TimeSpan duration)
    {
        long accepted = 0, errors = 0;
        var end = Stopwatch.GetTimestamp() + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        var started = Stopwatch.GetTimestamp();
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(_ => Task.Run(async () =>
        {
            while (Stopwatch.GetTimestamp() < end)
            {
                try
                {
                    using var request = webhooks.Create(url, nextIndex());
                    using var response = await client.SendAsync(request);
                    if (response.IsSuccessStatusCode) Interlocked.Increment(ref accepted);
                    else Interlocked.Increment(ref errors);
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
                {
                    Interlocked.Increment(ref errors);
                }
            }
        })));
        return (accepted / Stopwatch.GetElapsedTime(started).TotalSeconds, errors, accepted);
    }

    /// <summary>
    /// Open loop: request i is due at start + i/rate whatever happened to the earlier ones, and its
    /// latency is measured from that due time, so a stalled server shows up in the percentiles instead of
    /// slowing the load down (no coordinated omission). More than <paramref name="maxInFlight"/> open
    /// requests means the server is not keeping up; further requests are counted as not sent.
    /// </summary>
    public static async Task<LoadResult> OpenLoopAsync(
        string target, HttpClient client, Uri url, SignedWebhooks webhooks, Func<long> nextIndex, double rate, TimeSpan duration, bool printStalls = false, int maxInFlight = 20_000)
    {
        var total = (long)(rate * duration.TotalSeconds);
        var latencies = new long[total];
        Array.Fill(latencies, -1);
        long rejected = 0, failed = 0, notSent = 0, inFlight = 0, completed = 0;
        var allDone = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var ticksPerRequest = Stopwatch.Frequency / rate;
        var start = Stopwatch.GetTimestamp() + Stopwatch.Frequency / 100;

        void Complete()
        {
            Interlocked.Decrement(ref inFlight);
            if (Interlocked.Increment(ref completed) == total) allDone.TrySetResult();
        }

        async Task SendAsync(long slot, long index, long due)
        {
            try
            {
                using var request = webhooks.Create(url, index);
                using var response = await client.SendAsync(request);
                if (response.IsSuccessStatusCode) latencies[slot] = Stopwatch.GetTimestamp() - due;
                else Interlocked.Increment(ref rejected);
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                Interlocked.Increment(ref failed);
            }
            finally
            {
                Complete();
            }
        }

        for (long i = 0; i < total; i++)
        {
            var due = start + (long)(i * ticksPerRequest);
            // Sleep until the request is due, then send everything that has come due meanwhile. Spinning
            // for the sub-millisecond gaps would take a whole core from the server under test on a shared
            // machine; the up-to-a-millisecond lateness this costs is measured (latency runs from the due
            // time), not hidden.
            while (due > Stopwatch.GetTimestamp()) await Task.Delay(1);
            Interlocked.Increment(ref inFlight);
            if (Volatile.Read(ref inFlight) > maxInFlight)
            {
                Interlocked.Increment(ref notSent);
                Complete();
                continue;
            }
            var slot = i;
            var index = nextIndex();
            _ = Task.Run(() => SendAsync(slot, index, due));
        }
        if (total == 0) allDone.TrySetResult();
        await allDone.Task.WaitAsync(TimeSpan.FromSeconds(60));

        if (printStalls)
        {
            var perWindow = (int)(rate / 10);
            for (var w = 0; w * perWindow < total; w++)
            {
                var worst = latencies.Skip(w * perWindow).Take(perWindow).Max() * 1000.0 / Stopwatch.Frequency;
                if (worst > 30) Console.WriteLine($"      stall {target} at {w / 10.0:N1} s: worst {worst:N0} ms");
            }
        }
        var accepted = latencies.Where(l => l >= 0).Select(l => l * 1000.0 / Stopwatch.Frequency).ToArray();
        Array.Sort(accepted);
        return new LoadResult(target, rate, duration, total, accepted.Length, rejected, failed, notSent, accepted);
    }
}

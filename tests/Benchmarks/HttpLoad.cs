using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;

namespace Benchmarks;

/// <summary>
/// Signed Shopware webhooks of a fixed size with unique event ids, built per request so a long run
/// holds no pre-built bodies: the same bytes for the relay and for the bare server. Each body is
/// written straight into its byte array: the load generator shares the cores with the server under
/// test, and garbage it makes is CPU its GC takes from them.
/// </summary>
internal sealed class SignedWebhooks
{
    private readonly byte[] _key;
    private readonly byte[] _prefix;
    private readonly byte[] _suffix;
    private readonly string _runId;
    private readonly int _eventIdLength;

    public SignedWebhooks(string shopId, string shopUrl, string shopSecret, int size, string runId)
    {
        _key = Encoding.UTF8.GetBytes(shopSecret);
        _runId = runId;
        _eventIdLength = EventId(0).Length;
        var timestamp = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var prefix = """{"data":{"payload":[{"entity":"customer","operation":"update","primaryKey":"0190a6b4c1a57f0f9e1c2d3e4f5a6b7c","updatedFields":["id","firstName","lastName","email","newsletter"]}],"event":"customer.written"},"source":{"url":""" +
                     "\"" + shopUrl.Replace("/", "\\/") + "\",\"eventId\":\"";
        var middle = $"\",\"shopId\":\"{shopId}\",\"appVersion\":\"1.0.0\"}},\"timestamp\":{timestamp},\"padding\":\"";
        var fixedLength = prefix.Length + _eventIdLength + middle.Length + 2;
        _prefix = Encoding.UTF8.GetBytes(prefix);
        _suffix = Encoding.UTF8.GetBytes(middle + new string('x', Math.Max(0, size - fixedLength)) + "\"}");
        Size = _prefix.Length + _eventIdLength + _suffix.Length;
    }

    public int Size { get; }

    /// <summary>ASCII, fixed length for a run: "{runId}-{i as 12 hex digits}".</summary>
    private string EventId(long i) => $"{_runId}-{i:x12}";

    public HttpRequestMessage Create(Uri url, long i)
    {
        var body = new byte[Size];
        _prefix.CopyTo(body, 0);
        var id = body.AsSpan(_prefix.Length, _eventIdLength);
        Encoding.ASCII.GetBytes(_runId, id);
        id[_runId.Length] = (byte)'-';
        if (!i.TryFormat(id[(_runId.Length + 1)..], out _, "x12")) throw new InvalidOperationException("event index too large");
        _suffix.CopyTo(body, _prefix.Length + _eventIdLength);
        Span<byte> mac = stackalloc byte[32];
        HMACSHA256.HashData(_key, body, mac);
        var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new ByteArrayContent(body) };
        request.Content.Headers.TryAddWithoutValidation("Content-Type", "application/json");
        request.Headers.TryAddWithoutValidation("shopware-shop-signature", Convert.ToHexStringLower(mac));
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
    double[] AcceptedLatenciesMs,
    double[] InRequestMs)
{
    public double AcceptedPerSecond => Accepted / Duration.TotalSeconds;
    public long Errors => Rejected + Failed + NotSent;

    public double Percentile(double q) => Of(AcceptedLatenciesMs, q);

    /// <summary>The part of the latency from handing the request to HttpClient to its answer (sorted sample).</summary>
    public double InRequestPercentile(double q) => Of(InRequestMs, q);

    private static double Of(double[] sorted, double q) =>
        sorted.Length == 0 ? double.NaN : sorted[(int)Math.Min(sorted.Length - 1, q * sorted.Length)];
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
    /// slowing the load down (no coordinated omission). <paramref name="connections"/> senders take the
    /// due requests in order, one at a time each, as wrk2 does: a request that is due while all of them
    /// wait for answers stays a number until one is free, so a stall grows the measured latency and not
    /// the load generator's heap. (Handing every due request to HttpClient at once queued them inside it
    /// with their bodies; during a stall those piled up, the generator's GC took a core, and the
    /// generator, not the server, became what the latency measured.) A request more than 5 s overdue is
    /// counted as not sent.
    /// </summary>
    public static async Task<LoadResult> OpenLoopAsync(
        string target, HttpClient client, Uri url, SignedWebhooks webhooks, Func<long> nextIndex, double rate, TimeSpan duration,
        int connections, bool printStalls = false)
    {
        var total = (long)(rate * duration.TotalSeconds);
        var latencies = new long[total];
        var inRequest = new long[total];
        Array.Fill(latencies, -1);
        long rejected = 0, failed = 0, notSent = 0, nextSlot = -1;
        var ticksPerRequest = Stopwatch.Frequency / rate;
        var giveUpTicks = 5 * Stopwatch.Frequency;
        var start = Stopwatch.GetTimestamp() + Stopwatch.Frequency / 100;

        async Task SenderAsync()
        {
            for (var slot = Interlocked.Increment(ref nextSlot); slot < total; slot = Interlocked.Increment(ref nextSlot))
            {
                var due = start + (long)(slot * ticksPerRequest);
                // Sleeping until due rounds up to the timer's millisecond; spinning for the gaps would take
                // a core from the server under test. The lateness is measured (latency runs from due), not hidden.
                for (var early = due - Stopwatch.GetTimestamp(); early > 0; early = due - Stopwatch.GetTimestamp())
                    await Task.Delay((int)Math.Ceiling(early * 1000.0 / Stopwatch.Frequency));
                if (Stopwatch.GetTimestamp() - due > giveUpTicks)
                {
                    Interlocked.Increment(ref notSent);
                    continue;
                }
                try
                {
                    using var request = webhooks.Create(url, nextIndex());
                    var sent = Stopwatch.GetTimestamp();
                    using var response = await client.SendAsync(request);
                    var answered = Stopwatch.GetTimestamp();
                    inRequest[slot] = answered - sent;
                    if (response.IsSuccessStatusCode) latencies[slot] = answered - due;
                    else Interlocked.Increment(ref rejected);
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
                {
                    Interlocked.Increment(ref failed);
                }
            }
        }

        await Task.WhenAll(Enumerable.Range(0, connections).Select(_ => Task.Run(SenderAsync)));

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
        var acceptedInRequest = latencies.Zip(inRequest).Where(l => l.First >= 0).Select(l => l.Second * 1000.0 / Stopwatch.Frequency).ToArray();
        Array.Sort(accepted);
        Array.Sort(acceptedInRequest);
        return new LoadResult(target, rate, duration, total, accepted.Length, rejected, failed, notSent, accepted, acceptedInRequest);
    }
}

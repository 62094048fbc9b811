using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
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

    /// <summary>
    /// Writes request i, start line and headers included, into <paramref name="into"/> and returns its
    /// length. <paramref name="head"/> is the request up to the signature header's value
    /// (<see cref="RequestHead"/>).
    /// </summary>
    public int WriteRequest(byte[] into, byte[] head, long i)
    {
        var bodyAt = BodyOffset(head);
        head.CopyTo(into, 0);
        var body = into.AsSpan(bodyAt, Size);
        _prefix.CopyTo(body);
        var id = body.Slice(_prefix.Length, _eventIdLength);
        Encoding.ASCII.GetBytes(_runId, id);
        id[_runId.Length] = (byte)'-';
        if (!i.TryFormat(id[(_runId.Length + 1)..], out _, "x12")) throw new InvalidOperationException("event index too large");
        _suffix.CopyTo(body[(_prefix.Length + _eventIdLength)..]);
        Span<byte> mac = stackalloc byte[32];
        HMACSHA256.HashData(_key, body, mac);
        if (!Convert.TryToHexStringLower(mac, into.AsSpan(head.Length, MacHex), out _)) throw new InvalidOperationException("signature does not fit");
        "\r\n\r\n"u8.CopyTo(into.AsSpan(head.Length + MacHex));
        return bodyAt + Size;
    }

    /// <summary>A signed webhook POST to <paramref name="url"/> up to the signature's value: the part every request shares.</summary>
    public byte[] RequestHead(Uri url) => Encoding.ASCII.GetBytes(
        $"POST {url.PathAndQuery} HTTP/1.1\r\nHost: {url.Authority}\r\nContent-Type: application/json\r\nContent-Length: {Size}\r\nshopware-shop-signature: ");

    /// <summary>Room for any request <see cref="WriteRequest"/> writes.</summary>
    public int RequestCapacity(byte[] head) => BodyOffset(head) + Size;

    /// <summary>The signature's hex digits and the blank line that ends the headers come between head and body.</summary>
    private static int BodyOffset(byte[] head) => head.Length + MacHex + 4;

    private const int MacHex = 64;
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

    /// <summary>The part of the latency from writing the request to reading its answer (sorted sample).</summary>
    public double InRequestPercentile(double q) => Of(InRequestMs, q);

    private static double Of(double[] sorted, double q) =>
        sorted.Length == 0 ? double.NaN : sorted[(int)Math.Min(sorted.Length - 1, q * sorted.Length)];
}

/// <summary>
/// HTTP/1.1 load on loopback from one thread over plain non-blocking sockets: closed loop to find the
/// most a server takes, open loop to measure latency at a rate. The generator shares the cores with the
/// server under test, so what it costs is taken from the server: HttpClient, with its connection pool,
/// a thread-pool hop per answer and a timer per wait, took about 42 µs of CPU per request, more than the
/// bare Kestrel it measured (35 µs), and its own threads waiting for a core were part of every latency.
/// One thread that writes each request whole and polls the sockets for answers costs a fraction of that.
/// </summary>
internal static class HttpLoad
{
    /// <summary>
    /// <paramref name="concurrency"/> connections, each sending the next request as soon as the last one
    /// is answered, for <paramref name="duration"/>. Returns answered-2xx per second: the server's ceiling.
    /// </summary>
    public static Task<(double PerSecond, long Errors, long Accepted)> ClosedLoopAsync(
        Uri url, SignedWebhooks webhooks, Func<long> nextIndex, int concurrency, TimeSpan duration) =>
        Task.Factory.StartNew(() =>
        {
            long accepted = 0, errors = 0;
            var started = Stopwatch.GetTimestamp();
            var end = started + (long)(duration.TotalSeconds * Stopwatch.Frequency);
            using var loop = new LoadLoop(url, webhooks, concurrency);
            loop.Run(
                nextDue: () => Stopwatch.GetTimestamp() < end ? 0 : null,
                nextIndex,
                answered: (_, _, _, status) => { if (status is >= 200 and < 300) accepted++; else errors++; },
                failed: () => errors++);
            return (accepted / Stopwatch.GetElapsedTime(started).TotalSeconds, errors, accepted);
        }, TaskCreationOptions.LongRunning);

    /// <summary>
    /// Open loop: request i is due at start + i/rate whatever happened to the earlier ones, and its
    /// latency is measured from that due time, so a stalled server shows up in the percentiles instead of
    /// slowing the load down (no coordinated omission). The due requests go out in order on whichever of
    /// <paramref name="connections"/> is free, as wrk2 does: a request that is due while every connection
    /// waits for an answer stays a number until one is free, so a stall grows the measured latency and
    /// not the load generator's memory. A request more than 5 s overdue is counted as not sent.
    /// </summary>
    public static Task<LoadResult> OpenLoopAsync(
        string target, Uri url, SignedWebhooks webhooks, Func<long> nextIndex, double rate, TimeSpan duration,
        int connections, bool printStalls = false) =>
        Task.Factory.StartNew(() =>
        {
            var total = (long)(rate * duration.TotalSeconds);
            var latencies = new long[total];
            var inRequest = new long[total];
            Array.Fill(latencies, -1);
            long rejected = 0, failed = 0, notSent = 0, nextSlot = 0;
            var ticksPerRequest = Stopwatch.Frequency / rate;
            var giveUpTicks = 5 * Stopwatch.Frequency;
            var start = Stopwatch.GetTimestamp() + Stopwatch.Frequency / 100;
            long Due(long slot) => start + (long)(slot * ticksPerRequest);

            using var loop = new LoadLoop(url, webhooks, connections);
            loop.Run(
                nextDue: () =>
                {
                    // A slot that is overdue by more than the give-up time is dropped, not sent.
                    while (nextSlot < total && Stopwatch.GetTimestamp() - Due(nextSlot) > giveUpTicks)
                    {
                        nextSlot++;
                        notSent++;
                    }
                    return nextSlot < total ? Due(nextSlot) : null;
                },
                nextIndex,
                answered: (due, sent, answeredAt, status) =>
                {
                    var slot = (long)Math.Round((due - start) / ticksPerRequest);
                    inRequest[slot] = answeredAt - sent;
                    if (status is >= 200 and < 300) latencies[slot] = answeredAt - due;
                    else rejected++;
                },
                failed: () => failed++,
                taken: () => nextSlot++);

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
        }, TaskCreationOptions.LongRunning);
}

/// <summary>
/// The load generator's event loop: a fixed set of keep-alive connections, one request in flight on
/// each, requests written whole with one send and answers found with poll(2). Sleeps until the next
/// request is due (rounded up to the millisecond poll waits in) or an answer arrives; never spins.
/// </summary>
internal sealed class LoadLoop : IDisposable
{
    private readonly EndPoint _endpoint;
    private readonly SignedWebhooks _webhooks;
    private readonly byte[] _head;
    private readonly Connection[] _connections;
    private readonly Dictionary<Socket, Connection> _bySocket = [];

    private sealed class Connection(byte[] request)
    {
        public Socket? Socket;
        public readonly byte[] Request = request;
        public int RequestLength;
        public int RequestSent;
        public readonly byte[] Answer = new byte[16 * 1024];
        public int AnswerLength;
        public long Due;
        public long Sent;
        public bool Busy;
    }

    public LoadLoop(Uri url, SignedWebhooks webhooks, int connections)
    {
        _endpoint = new IPEndPoint(IPAddress.Parse(url.Host), url.Port);
        _webhooks = webhooks;
        _head = webhooks.RequestHead(url);
        _connections = Enumerable.Range(0, connections).Select(_ => new Connection(new byte[webhooks.RequestCapacity(_head)])).ToArray();
    }

    /// <param name="nextDue">The timestamp the next request is due at (0: now), or null when no more are to be sent.</param>
    /// <param name="nextIndex">The event index of the request about to be written.</param>
    /// <param name="answered">due, sent, answered timestamps and the status of an answered request.</param>
    /// <param name="failed">A request that could not be sent or whose connection broke before its answer.</param>
    /// <param name="taken">The due request returned last by <paramref name="nextDue"/> was sent.</param>
    public void Run(Func<long?> nextDue, Func<long> nextIndex, Action<long, long, long, int> answered, Action failed, Action? taken = null)
    {
        var free = new Stack<Connection>(_connections.Reverse());
        var busy = new List<Socket>(_connections.Length);
        var writing = new List<Socket>();
        while (true)
        {
            var due = nextDue();
            while (due is { } d && d <= Stopwatch.GetTimestamp() && free.Count > 0)
            {
                var connection = free.Pop();
                if (!TrySend(connection, d, nextIndex()))
                {
                    failed();
                    free.Push(connection);
                }
                taken?.Invoke();
                due = nextDue();
            }
            if (due is null && free.Count == _connections.Length) return;

            busy.Clear();
            writing.Clear();
            foreach (var c in _connections)
            {
                if (!c.Busy) continue;
                if (c.RequestSent < c.RequestLength) writing.Add(c.Socket!);
                else busy.Add(c.Socket!);
            }
            // Wait for an answer, or until the next request is due if a connection is free to send it.
            var waitMs = due is { } next && free.Count > 0
                ? (int)Math.Ceiling(Math.Max(0, next - Stopwatch.GetTimestamp()) * 1000.0 / Stopwatch.Frequency)
                : 100;
            if (busy.Count == 0 && writing.Count == 0)
            {
                if (waitMs > 0) Thread.Sleep(waitMs);
                continue;
            }
            if (waitMs == 0 && due is not null && free.Count > 0) continue;
            Socket.Select(busy.Count > 0 ? busy : null, writing.Count > 0 ? writing : null, null, waitMs * 1000);

            foreach (var socket in writing) ContinueSending(_bySocket[socket], failed, free);
            var now = Stopwatch.GetTimestamp();
            foreach (var socket in busy)
            {
                var c = _bySocket[socket];
                int read;
                try { read = socket.Receive(c.Answer, c.AnswerLength, c.Answer.Length - c.AnswerLength, SocketFlags.None); }
                catch (SocketException) { read = 0; }
                if (read == 0)
                {
                    Drop(c);
                    failed();
                    free.Push(c);
                    continue;
                }
                c.AnswerLength += read;
                if (ParseAnswer(c.Answer.AsSpan(0, c.AnswerLength)) is not var (status, keepAlive)) continue;
                c.Busy = false;
                c.AnswerLength = 0;
                if (!keepAlive) Drop(c);
                answered(c.Due, c.Sent, now, status);
                free.Push(c);
            }
        }
    }

    private bool TrySend(Connection c, long due, long index)
    {
        try
        {
            if (c.Socket is null)
            {
                var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                socket.Connect(_endpoint);
                socket.Blocking = false;
                c.Socket = socket;
                _bySocket[socket] = c;
            }
            c.RequestLength = _webhooks.WriteRequest(c.Request, _head, index);
            c.RequestSent = 0;
            c.AnswerLength = 0;
            c.Due = due;
            c.Sent = Stopwatch.GetTimestamp();
            c.Busy = true;
            c.RequestSent = Send(c);
            return true;
        }
        catch (SocketException)
        {
            Drop(c);
            return false;
        }
    }

    private static int Send(Connection c)
    {
        var sent = c.Socket!.Send(c.Request, c.RequestSent, c.RequestLength - c.RequestSent, SocketFlags.None, out var error);
        return error is SocketError.Success or SocketError.WouldBlock ? c.RequestSent + sent : throw new SocketException((int)error);
    }

    private void ContinueSending(Connection c, Action failed, Stack<Connection> free)
    {
        try { c.RequestSent = Send(c); }
        catch (SocketException)
        {
            Drop(c);
            failed();
            free.Push(c);
        }
    }

    private void Drop(Connection c)
    {
        if (c.Socket is { } socket)
        {
            _bySocket.Remove(socket);
            socket.Dispose();
        }
        c.Socket = null;
        c.Busy = false;
        c.AnswerLength = 0;
    }

    /// <summary>Status and keep-alive of a complete HTTP/1.1 answer, or null while more bytes are to come.</summary>
    private static (int Status, bool KeepAlive)? ParseAnswer(ReadOnlySpan<byte> answer)
    {
        var headEnd = answer.IndexOf("\r\n\r\n"u8);
        if (headEnd < 0 || answer.Length < 12) return null;
        var status = (answer[9] - '0') * 100 + (answer[10] - '0') * 10 + (answer[11] - '0');
        var head = Encoding.ASCII.GetString(answer[..headEnd]).ToLowerInvariant();
        var keepAlive = !head.Contains("\r\nconnection: close");
        var body = answer[(headEnd + 4)..];
        if (status is 204 or 304 || (status >= 100 && status < 200)) return (status, keepAlive);
        var at = head.IndexOf("\r\ncontent-length:", StringComparison.Ordinal);
        if (at >= 0)
        {
            var value = head[(at + 17)..];
            var length = int.Parse(value[..(value.IndexOf('\r') is var e and >= 0 ? e : value.Length)].Trim());
            return body.Length >= length ? (status, keepAlive) : null;
        }
        if (head.Contains("\r\ntransfer-encoding: chunked"))
            return body.EndsWith("0\r\n\r\n"u8) ? (status, keepAlive) : null;
        return (status, false); // no length: the answer ends when the server closes
    }

    public void Dispose()
    {
        foreach (var c in _connections) c.Socket?.Dispose();
    }
}

using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using StackExchange.Redis;

namespace Benchmarks;

internal sealed class Arguments(string[] args)
{
    public string? Get(string name)
    {
        var i = Array.IndexOf(args, "--" + name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }

    public int Int(string name, int fallback) => Get(name) is { } v ? int.Parse(v) : fallback;
}

/// <summary>
/// A redis-server of the benchmark's own on a free port, configured as the README's operating guide says
/// (AOF with fsync every second, rare rewrites), or --redis host:port.
/// </summary>
internal sealed class BenchRedis : IAsyncDisposable
{
    private Process? _process;
    private string? _dir;
    public required string ConnectionString { get; init; }

    public static async Task<BenchRedis> StartAsync(Arguments args)
    {
        if (args.Get("redis") is { } given) return new BenchRedis { ConnectionString = given };
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        var dir = Directory.CreateTempSubdirectory("bench-redis-").FullName;
        var start = new ProcessStartInfo("redis-server")
        {
            ArgumentList = { "--port", port.ToString(), "--bind", "127.0.0.1", "--dir", dir, "--appendonly", args.Get("appendonly") ?? "yes", "--save", "", "--loglevel", "warning",
                // As the operating guide recommends: a small live queue under a high write rate would
                // otherwise make Redis rewrite its AOF every few seconds, and each rewrite stalls writes.
                "--auto-aof-rewrite-min-size", "4gb",
                // DEBUG HTSTATS, to see when Redis has finished growing its tables (ingest --preload).
                "--enable-debug-command", "local" },
            RedirectStandardOutput = true,
        };
        // --redis-args "--no-appendfsync-on-rewrite yes ..." passes further settings to the benchmark's own redis-server.
        foreach (var extra in (args.Get("redis-args") ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries)) start.ArgumentList.Add(extra);
        var process = Process.Start(start)!;
        for (var i = 0; i < 100; i++)
        {
            try
            {
                using var c = new TcpClient();
                await c.ConnectAsync(IPAddress.Loopback, port);
                break;
            }
            catch (SocketException) { await Task.Delay(50); }
        }
        return new BenchRedis { ConnectionString = $"127.0.0.1:{port}", _process = process, _dir = dir };
    }

    /// <summary>CPU seconds the benchmark's own redis-server has used, or -1 for a given --redis.</summary>
    public double CpuSeconds() => _process is null ? -1 : ChildProcess.CpuSecondsOf(_process.Id);

    public async Task<long> UsedMemoryMbAsync()
    {
        await using var mux = await ConnectionMultiplexer.ConnectAsync(ConnectionString + ",allowAdmin=true");
        var memory = await mux.GetServers()[0].InfoAsync("memory");
        return long.Parse(memory.SelectMany(g => g).First(kv => kv.Key == "used_memory").Value) / 1024 / 1024;
    }

    public async ValueTask DisposeAsync()
    {
        if (_process is { HasExited: false })
        {
            _process.Kill();
            await _process.WaitForExitAsync();
        }
        if (_dir is not null) Directory.Delete(_dir, true);
    }
}

internal static class Payload
{
    /// <summary>A customer.written webhook body padded to about <paramref name="size"/> bytes.</summary>
    public static string ShopwareWebhook(int size)
    {
        var sb = new StringBuilder("""{"data":{"payload":[{"entity":"customer","operation":"update","primaryKey":"0190a6b4c1a57f0f9e1c2d3e4f5a6b7c","updatedFields":["id","firstName","lastName","email","newsletter"]}],"event":"customer.written"},"source":{"url":"https:\/\/shop.example.com","eventId":"5f1e0c2b7d9a4e3f8b6a1c0d9e8f7a6b","shopId":"AbCdEf1234567890","appVersion":"1.0.0"},"timestamp":1700000000,"padding":" """);
        while (sb.Length < size - 2) sb.Append('x');
        return sb.Append("\"}").ToString();
    }
}

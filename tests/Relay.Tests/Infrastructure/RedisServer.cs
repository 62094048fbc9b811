using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Relay.Tests.Infrastructure;

/// <summary>A Redis deployment the tests run the relay on: one redis-server or a cluster of them.</summary>
public interface ITestRedis : IAsyncLifetime
{
    /// <summary>StackExchange.Redis configuration, as Storage:Redis takes it.</summary>
    string ConnectionString { get; }

    /// <summary>Empties every master; tests that count whole queues start with it.</summary>
    Task FlushAllAsync();

    /// <summary>Kills every redis-server (SIGKILL); <see cref="StartAsync"/> brings them back on their AOF.</summary>
    Task StopAsync();

    Task StartAsync();
}

public static class TestRedisExtensions
{
    /// <summary>A store on an emptied Redis, for tests that count whole queues.</summary>
    public static async Task<Relay.Storage.Redis.RedisRelayStore> EmptyStoreAsync(this ITestRedis redis, int partitions)
    {
        await redis.FlushAllAsync();
        return new Relay.Storage.Redis.RedisRelayStore(redis.ConnectionString, partitions, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance);
    }
}

/// <summary>
/// A real redis-server on a free loopback port, in its own temp directory, with AOF on
/// (as production runs it) so a restart keeps what was written.
/// </summary>
public sealed class RedisServer : ITestRedis, IAsyncLifetime, IAsyncDisposable
{
    private readonly string[] _extraArguments;
    private Process? _process;

    public RedisServer() : this(FreePort(), []) { }

    /// <summary>A node of a <see cref="RedisCluster"/>: its port and the cluster settings.</summary>
    internal RedisServer(int port, string[] extraArguments)
    {
        Port = port;
        _extraArguments = extraArguments;
    }

    public string Directory { get; } = Path.Combine(Path.GetTempPath(), "relay-redis-" + Guid.NewGuid().ToString("N")[..8]);
    public int Port { get; }
    public string ConnectionString => $"127.0.0.1:{Port},abortConnect=false,connectTimeout=2000,syncTimeout=5000";
    public bool IsRunning => _process is { HasExited: false };

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public async Task InitializeAsync()
    {
        System.IO.Directory.CreateDirectory(Directory);
        await StartAsync();
    }

    public async Task StartAsync()
    {
        // A second process on the port would exit at once and leave the first one running, untracked.
        if (IsRunning) throw new InvalidOperationException($"redis-server on port {Port} is already running.");
        var info = new ProcessStartInfo("redis-server")
        {
            ArgumentList =
            {
                "--port", Port.ToString(), "--bind", "127.0.0.1", "--dir", Directory,
                "--appendonly", "yes", "--appendfsync", "always", "--save", "", "--daemonize", "no",
                "--protected-mode", "no", "--loglevel", "warning",
            },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var argument in _extraArguments) info.ArgumentList.Add(argument);
        _process = Process.Start(info) ?? throw new InvalidOperationException("redis-server did not start; is it installed (scripts/test.sh installs it)?");
        _process.OutputDataReceived += (_, _) => { };
        _process.ErrorDataReceived += (_, _) => { };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        var process = _process;
        await Eventually.TrueAsync(async () =>
        {
            if (process.HasExited) throw new InvalidOperationException($"redis-server exited with {process.ExitCode} before it listened on port {Port}.");
            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync(IPAddress.Loopback, Port);
                return true;
            }
            catch (SocketException)
            {
                return false;
            }
        }, $"redis-server to listen on port {Port}");
    }

    /// <summary>Each test starts from an empty Redis; tests of one class run one after another.</summary>
    public async Task FlushAllAsync()
    {
        await using var admin = await StackExchange.Redis.ConnectionMultiplexer.ConnectAsync(ConnectionString + ",allowAdmin=true");
        await admin.GetServer("127.0.0.1", Port).FlushAllDatabasesAsync();
    }

    public async Task StopAsync()
    {
        if (_process is null || _process.HasExited) return;
        _process.Kill();
        await _process.WaitForExitAsync();
        _process.Dispose();
        _process = null;
    }

    ValueTask IAsyncDisposable.DisposeAsync() => new(DisposeAsync());

    public async Task DisposeAsync()
    {
        await StopAsync();
        try { System.IO.Directory.Delete(Directory, recursive: true); } catch (IOException) { }
    }
}

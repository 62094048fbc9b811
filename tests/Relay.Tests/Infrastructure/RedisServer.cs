using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Relay.Tests.Infrastructure;

/// <summary>
/// A real redis-server on a free loopback port, in its own temp directory, with AOF on
/// (as production runs it) so a restart keeps what was written.
/// </summary>
public sealed class RedisServer : IAsyncLifetime, IAsyncDisposable
{
    private Process? _process;
    public string Directory { get; } = Path.Combine(Path.GetTempPath(), "relay-redis-" + Guid.NewGuid().ToString("N")[..8]);
    public int Port { get; } = FreePort();
    public string ConnectionString => $"127.0.0.1:{Port},abortConnect=false,connectTimeout=2000,syncTimeout=5000";

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
    public void FlushAll()
    {
        using var admin = StackExchange.Redis.ConnectionMultiplexer.Connect(ConnectionString + ",allowAdmin=true");
        admin.GetServer("127.0.0.1", Port).FlushAllDatabases();
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

using System.Collections.Concurrent;
using System.Diagnostics;
using System.Runtime.InteropServices;
using Relay.Tests.Infrastructure;

namespace Relay.Tests.Faults;

/// <summary>
/// The built relay (Relay.dll beside the tests) as its own OS process on a free loopback port, so that
/// a test can kill it the way an orchestrator or the kernel would. Every started process is killed on
/// dispose and, should the test run itself end abruptly, when the test process exits.
/// </summary>
public sealed class RelayProcess : IAsyncDisposable
{
    public const string AppName = "RelayFaults";
    public const string AppSecret = "app-secret-for-fault-tests";
    public const string OperatorKey = "operator-key-for-fault-tests-0123456789";

    private static readonly ConcurrentDictionary<int, Process> Running = new();

    static RelayProcess()
    {
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            foreach (var process in Running.Values)
                try { process.Kill(); } catch (InvalidOperationException) { }
        };
    }

    private readonly Process _process;
    private readonly ConcurrentQueue<string> _output = new();

    private RelayProcess(Process process, int port)
    {
        _process = process;
        Port = port;
        Client = new HttpClient { BaseAddress = new Uri(BaseUrl), Timeout = Eventually.HangGuard };
    }

    public int Port { get; }
    public string BaseUrl => $"http://127.0.0.1:{Port}";
    public int ProcessId => _process.Id;
    public HttpClient Client { get; }
    public bool HasExited => _process.HasExited;

    /// <summary>Everything the process wrote to stdout and stderr so far, one entry per line.</summary>
    public IReadOnlyCollection<string> Output => _output;

    /// <summary>
    /// Starts Relay.dll in Production mode with the given settings (environment variables, "__" for ":")
    /// on top of what every fault test needs, and waits until /health/live answers.
    /// </summary>
    public static async Task<RelayProcess> StartAsync(IDictionary<string, string?> settings)
    {
        var port = RedisServer.FreePort();
        var start = new ProcessStartInfo("dotnet")
        {
            ArgumentList = { Path.Combine(AppContext.BaseDirectory, "Relay.dll"), "--urls", $"http://127.0.0.1:{port}" },
            WorkingDirectory = AppContext.BaseDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        var environment = new Dictionary<string, string?>
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
            ["Secrets__MasterKey"] = RelayApplication.TestMasterKey,
            ["Operator__ApiKey"] = OperatorKey,
            ["Shopware__AppName"] = AppName,
            ["Shopware__AppSecret"] = AppSecret,
            ["Shopware__PublicBaseUrl"] = $"http://127.0.0.1:{port}",
            ["Logging__LogLevel__Default"] = "Warning",
            ["Outbound__AllowPrivateNetworks"] = "true",
            // As the relay runs in production (Dockerfile, scripts/run.sh): socket completions inline.
            [Relay.InlineIo.Variable] = "1",
        };
        foreach (var (key, value) in settings) environment[key] = value;
        foreach (var (key, value) in environment) start.Environment[key] = value;

        var process = Process.Start(start) ?? throw new InvalidOperationException("dotnet did not start");
        Running[process.Id] = process;
        var relay = new RelayProcess(process, port);
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) relay._output.Enqueue(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) relay._output.Enqueue(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        try
        {
            await Eventually.TrueAsync(async () =>
            {
                if (process.HasExited) throw new InvalidOperationException($"Relay.dll exited with {process.ExitCode}: {string.Join('\n', relay._output)}");
                try { return (await relay.Client.GetAsync("/health/live")).IsSuccessStatusCode; }
                catch (HttpRequestException) { return false; }
            }, "the relay process to answer /health/live");
        }
        catch
        {
            await relay.DisposeAsync();
            throw;
        }
        return relay;
    }

    /// <summary>SIGKILL: no shutdown hooks, no draining, in-flight work is simply gone.</summary>
    public async Task KillAsync()
    {
        if (_process.HasExited) return;
        _process.Kill();
        await _process.WaitForExitAsync();
    }

    /// <summary>SIGSTOP: frozen exactly where it is, so what it holds can be looked at before it dies.</summary>
    public void Freeze() => Signal(19);

    /// <summary>SIGCONT.</summary>
    public void Thaw() => Signal(18);

    private void Signal(int signal)
    {
        if (SendSignal(_process.Id, signal) != 0)
            throw new InvalidOperationException($"kill({_process.Id}, {signal}) failed: errno {Marshal.GetLastPInvokeError()}");
    }

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int SendSignal(int pid, int signal);

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        try
        {
            if (!_process.HasExited)
            {
                Thaw();
                _process.Kill();
                await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
            }
        }
        catch (Exception e) when (e is InvalidOperationException or TimeoutException) { }
        Running.TryRemove(_process.Id, out _);
        _process.Dispose();
    }
}

using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Benchmarks;

/// <summary>
/// A server under test in its own OS process on a free loopback port: the relay (Relay.dll) or the bare
/// Kestrel app (this assembly's bare-server command). Killed on dispose; its peak RSS is read from
/// /proc/{pid}/status (VmHWM) before that.
/// </summary>
internal sealed class ChildProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly List<string> _output = [];

    private ChildProcess(Process process, int port, string name)
    {
        _process = process;
        Port = port;
        Name = name;
    }

    public string Name { get; }
    public int Port { get; }
    public string BaseUrl => $"http://127.0.0.1:{Port}";
    public int ProcessId => _process.Id;

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>Starts `dotnet {assembly} {arguments}` and waits until {probePath} answers 2xx.</summary>
    public static async Task<ChildProcess> StartAsync(string name, string assembly, IEnumerable<string> arguments, int port,
        IDictionary<string, string> environment, string probePath)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = Path.GetDirectoryName(assembly)!,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.ArgumentList.Add(assembly);
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        foreach (var (key, value) in environment) start.Environment[key] = value;
        var process = Process.Start(start) ?? throw new InvalidOperationException($"{name} did not start");
        var child = new ChildProcess(process, port, name);
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (child._output) child._output.Add(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (child._output) child._output.Add(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        using var probe = new HttpClient { BaseAddress = new Uri(child.BaseUrl), Timeout = TimeSpan.FromSeconds(5) };
        for (var i = 0; i < 600; i++)
        {
            if (process.HasExited)
                throw new InvalidOperationException($"{name} exited with {process.ExitCode}:\n{child.Output}");
            try
            {
                if ((await probe.GetAsync(probePath)).IsSuccessStatusCode) return child;
            }
            catch (HttpRequestException) { }
            await Task.Delay(100);
        }
        await child.DisposeAsync();
        throw new TimeoutException($"{name} did not answer {probePath} within 60 s.");
    }

    public string Output
    {
        get { lock (_output) return string.Join('\n', _output); }
    }

    /// <summary>Peak resident set size in MB (VmHWM), or -1 where /proc is not available.</summary>
    public long PeakRssMb()
    {
        try
        {
            var line = File.ReadLines($"/proc/{_process.Id}/status").FirstOrDefault(l => l.StartsWith("VmHWM:", StringComparison.Ordinal));
            return line is null ? -1 : long.Parse(line["VmHWM:".Length..].Trim().Split(' ')[0]) / 1024;
        }
        catch (IOException)
        {
            return -1;
        }
    }

    /// <summary>User plus system CPU the process has used so far, in seconds (/proc/{pid}/stat), or -1.</summary>
    public double CpuSeconds() => CpuSecondsOf(_process.Id);

    public static double CpuSecondsOf(int processId)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{processId}/stat");
            // Fields after the command name (which may contain spaces) start after the last ')'.
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return (long.Parse(fields[11]) + long.Parse(fields[12])) / 100.0;
        }
        catch (IOException)
        {
            return -1;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
    }
}

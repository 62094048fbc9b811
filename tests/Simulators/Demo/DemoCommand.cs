using System.Security.Cryptography;
using Simulators.Standalone;

namespace Simulators.Demo;

/// <summary>
/// `Simulators demo`: the relay (Relay.dll) and the simulators (`Simulators serve`) as two child
/// processes on loopback ports, then <see cref="DemoScript"/> against them, then both stopped.
/// The relay runs as scripts/run.sh runs it (Development, embedded store unless Storage__Redis is set),
/// plus the few settings a demo needs, each explained where it is set.
/// </summary>
internal static class DemoCommand
{
    public static async Task<int> RunAsync(Arguments args)
    {
        using var stop = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            // Let the finally blocks stop the children instead of dying with them running.
            e.Cancel = true;
            stop.Cancel();
        };
        var relayDll = args.Get("relay-dll") is { } given ? Path.GetFullPath(given) : FindRelayDll();
        if (relayDll is null || !File.Exists(relayDll))
        {
            Console.Error.WriteLine("Relay.dll not found: build the relay first (dotnet build relay) or pass --relay-dll <path>; scripts/demo.sh does both.");
            return 2;
        }
        // The project folder as content root, as `dotnet run` has it: appsettings.json and the admin page's wwwroot.
        var relayDir = args.Get("relay-dir") is { } dir ? Path.GetFullPath(dir) : Path.GetFullPath(Path.Combine(Path.GetDirectoryName(relayDll)!, "..", "..", ".."));

        var port = DemoProcess.FreePort();
        var relayUrl = $"http://127.0.0.1:{port}";
        // The relay learns the Shoprenter shop's token and API addresses at start, so its port is chosen first.
        var shoprenterPort = DemoProcess.FreePort();
        var standalone = new StandaloneOptions(relayUrl, "RelayConnector", "", ShoprenterPort: shoprenterPort);
        var appSecret = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));
        var operatorKey = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24));
        const string appName = "RelayConnector";
        var redis = Environment.GetEnvironmentVariable("Storage__Redis");
        var environment = new Dictionary<string, string?>
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Development",
            ["ASPNETCORE_URLS"] = relayUrl,
            // The manifest's <name> and <setup><secret>; the simulated shop installs with the same pair.
            ["Shopware__AppName"] = appName,
            ["Shopware__AppSecret"] = appSecret,
            ["Shopware__PublicBaseUrl"] = relayUrl,
            ["Operator__ApiKey"] = operatorKey,
            // The simulated Spotler speaks plain http on loopback; production insists on https.
            ["Admin__AllowInsecureTargetUrls"] = "true",
            // The full-sync worker looks for new work every 30 s by default; a demo should not wait that long.
            ["Sync__SchedulerTick"] = "00:00:01",
            // One line per event, without the HTTP client's per-request lines, so the tail the demo shows says something.
            ["Logging__LogLevel__System.Net.Http.HttpClient"] = "Warning",
            ["Logging__Console__FormatterName"] = "simple",
            ["Logging__Console__FormatterOptions__SingleLine"] = "true",
            ["Logging__Console__FormatterOptions__TimestampFormat"] = "HH:mm:ss ",
        };
        foreach (var (key, value) in standalone.ShoprenterRelaySettings($"http://127.0.0.1:{shoprenterPort}", "__")) environment[key] = value;
        if (!string.IsNullOrEmpty(redis) && string.IsNullOrEmpty(Environment.GetEnvironmentVariable("Secrets__MasterKey")))
            // On Redis the relay refuses to start without a master key; a throwaway one suits a demo.
            environment["Secrets__MasterKey"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));

        var started = TimeProvider.System.GetTimestamp();
        Console.WriteLine("Shop relay demo: Shopware and Shoprenter shops, Spotler Mail+, an MplusKASSA till and MiniCRM (simulators) kept in step by the relay.");
        DemoProcess? relay = null, simulators = null;
        try
        {
            relay = DemoProcess.Start("relay", relayDll, [], relayDir, environment);
            var self = typeof(DemoCommand).Assembly.Location;
            simulators = DemoProcess.Start("simulators", self,
                ["serve", "--relay", relayUrl, "--app-name", appName, "--app-secret", appSecret, "--shoprenter-port", shoprenterPort.ToString(System.Globalization.CultureInfo.InvariantCulture)],
                Path.GetDirectoryName(self)!, new Dictionary<string, string?>());
            await simulators.WaitForLineAsync(l => l == StandaloneHost.ReadyLine, TimeSpan.FromSeconds(60), stop.Token);
            await relay.WaitForHttpAsync(relayUrl + "/health/ready", TimeSpan.FromSeconds(60), stop.Token);
            var addresses = simulators.Output.Select(l => l.Split(' ', 2)).Where(p => p.Length == 2 && p[1].StartsWith("http", StringComparison.Ordinal))
                .ToDictionary(p => p[0], p => p[1]);
            Console.WriteLine($"   relay       {relayUrl}  (pid {relay.ProcessId}, {(string.IsNullOrEmpty(redis) ? "embedded store: not durable" : "Redis " + RedisHost(redis))})");
            Console.WriteLine($"   simulators  shop {addresses["shopware-shop"]}, Shoprenter shop {addresses["shoprenter-shop"]}, Spotler {addresses["spotler"]}, " +
                              $"till {addresses["mpluskassa"]}, orders shop {addresses["shopware-orders-shop"]}, MiniCRM {addresses["minicrm"]}  (pid {simulators.ProcessId})");
            Console.WriteLine($"   started in {TimeProvider.System.GetElapsedTime(started).TotalSeconds:0.0} s");

            using var client = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = new Uri(relayUrl), Timeout = TimeSpan.FromSeconds(30) };
            var relayProcess = relay;
            // `serve` was started without --spotler-key/--spotler-secret: the simulator accepts the defaults.
            var spotlerDefaults = new StandaloneOptions(relayUrl, appName, appSecret);
            var script = new DemoScript(new DemoEndpoints(client, operatorKey, new Uri(addresses["shopware-shop"]), addresses["spotler"],
                spotlerDefaults.SpotlerConsumerKey, spotlerDefaults.SpotlerConsumerSecret,
                () => relayProcess.Output.Where(l => l.Contains(" Relay.", StringComparison.Ordinal)).ToList(), new Uri(addresses["shoprenter-shop"]),
                new DemoTill(addresses["mpluskassa"], spotlerDefaults.MplusKassaIdent, spotlerDefaults.MplusKassaSecret),
                new Uri(addresses["shopware-orders-shop"]), addresses["minicrm"]), Console.Out);
            await script.RunAsync(stop.Token);
            return 0;
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            Console.Error.WriteLine("Stopped.");
            return 130;
        }
        catch (Exception e)
        {
            Console.Error.WriteLine();
            Console.Error.WriteLine($"The demo failed: {e.Message}");
            if (relay is not null) Console.Error.WriteLine("Relay output:\n  " + string.Join("\n  ", relay.Output.TakeLast(40)));
            return 1;
        }
        finally
        {
            if (simulators is not null) await simulators.DisposeAsync();
            if (relay is not null) await relay.DisposeAsync();
            Console.WriteLine($"Stopped the relay and the simulators ({TimeProvider.System.GetElapsedTime(started).TotalSeconds:0.0} s in all).");
        }
    }

    private static string RedisHost(string configuration) =>
        // Never print a password: "redis://:secret@host:6379/0" or "host:6379,password=secret".
        configuration.StartsWith("redis://", StringComparison.Ordinal) && configuration.LastIndexOf('@') is var at and > 0
            ? "redis://" + configuration[(at + 1)..]
            : configuration.Split(',')[0];

    /// <summary>relay/bin/{Debug|Release}/net10.0/Relay.dll of the repository this assembly was built in, the newest.</summary>
    private static string? FindRelayDll()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (!File.Exists(Path.Combine(dir.FullName, "RelayApi.sln"))) continue;
            return new[] { "Debug", "Release" }
                .Select(c => new FileInfo(Path.Combine(dir.FullName, "relay", "bin", c, "net10.0", "Relay.dll")))
                .Where(f => f.Exists).OrderByDescending(f => f.LastWriteTimeUtc).FirstOrDefault()?.FullName;
        }
        return null;
    }
}

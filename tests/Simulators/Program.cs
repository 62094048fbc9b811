using Simulators.Demo;
using Simulators.Standalone;

namespace Simulators;

/// <summary>
/// The simulators as a program of their own:
///   serve  — the Shopware shop, Shoprenter shop, Spotler, SARE and MiniCRM simulators on loopback ports (see StandaloneHost);
///   demo   — the README demo: the relay and `serve` as child processes, driven over HTTP (see DemoCommand).
/// </summary>
internal static class SimulatorsHost
{
    public static async Task<int> Main(string[] args)
    {
        var arguments = new Arguments(args.Skip(1).ToArray());
        switch (args.FirstOrDefault())
        {
            case "serve": return await StandaloneHost.RunAsync(arguments);
            case "demo": return await DemoCommand.RunAsync(arguments);
            default:
                Console.Error.WriteLine("""
                    usage: Simulators serve --app-secret <Shopware:AppSecret> [--relay http://localhost:5080] [--app-name RelayConnector]
                                            [--shopware-port 0] [--spotler-port 0] [--sare-port 0] [--minicrm-port 0] [--mpluskassa-port 0]
                                            [--shoprenter-port 0] [--shoprenter-client-secret demo-shoprenter-client-secret]
                                            [--spotler-key demo-consumer-key] [--spotler-secret demo-consumer-secret]
                           Simulators demo [--relay-dll relay/bin/Debug/net10.0/Relay.dll] [--relay-dir relay]
                    A port of 0 picks a free one; serve prints "name url" per simulator, then "ready".
                    """);
                return 2;
        }
    }
}

/// <summary>"--name value" pairs.</summary>
internal sealed class Arguments(string[] args)
{
    public string? Get(string name)
    {
        var index = Array.IndexOf(args, "--" + name);
        return index >= 0 && index + 1 < args.Length ? args[index + 1] : null;
    }

    public int Int(string name, int fallback) => Get(name) is { } value ? int.Parse(value, System.Globalization.CultureInfo.InvariantCulture) : fallback;
}

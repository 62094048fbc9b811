namespace Simulators.Standalone;

/// <summary>
/// `Simulators serve`: the simulators in their own process until Ctrl+C or SIGTERM. Prints one
/// "name url" line per simulator, then <see cref="ReadyLine"/>.
/// </summary>
internal static class StandaloneHost
{
    public const string ReadyLine = "ready";

    public static async Task<int> RunAsync(Arguments args)
    {
        var defaults = new StandaloneOptions("", "", "");
        var relay = args.Get("relay") ?? "http://localhost:5080";
        var appSecret = args.Get("app-secret") ?? Environment.GetEnvironmentVariable("Shopware__AppSecret");
        if (string.IsNullOrEmpty(appSecret))
        {
            Console.Error.WriteLine("--app-secret (or Shopware__AppSecret) is required: the relay's Shopware:AppSecret, which the shop signs its registration with.");
            return 2;
        }
        var options = new StandaloneOptions(
            relay,
            args.Get("app-name") ?? "RelayConnector",
            appSecret,
            args.Get("spotler-key") ?? defaults.SpotlerConsumerKey,
            args.Get("spotler-secret") ?? defaults.SpotlerConsumerSecret,
            args.Int("shopware-port", 0),
            args.Int("spotler-port", 0),
            args.Int("sare-port", 0),
            args.Int("minicrm-port", 0),
            args.Int("shoprenter-port", 0),
            args.Get("shoprenter-client-secret") ?? defaults.ShoprenterClientSecret,
            args.Int("mpluskassa-port", 0));

        using var stop = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            stop.Cancel();
        };
        using var terminate = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGTERM, c =>
        {
            c.Cancel = true;
            stop.Cancel();
        });

        await using var simulators = await StandaloneSimulators.StartAsync(options);
        foreach (var (name, url) in simulators.Addresses) Console.WriteLine($"{name} {url}");
        Console.WriteLine(ReadyLine);
        try { await Task.Delay(Timeout.Infinite, stop.Token); }
        catch (OperationCanceledException) { }
        return 0;
    }
}

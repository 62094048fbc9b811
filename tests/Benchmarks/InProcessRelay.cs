using System.Security.Cryptography;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Benchmarks;

/// <summary>
/// The relay in this process (WebApplicationFactory over the real Program, system clock, Production
/// environment), on a Redis of the benchmark's own or the embedded store. Its outgoing calls go over
/// real loopback HTTP to the simulators; only the calls into the relay (installs) use the in-memory server.
/// </summary>
internal sealed class InProcessRelay(Dictionary<string, string?> settings) : WebApplicationFactory<Relay.Sync.FullSync> // any type of the Relay assembly: its entry point is what runs (this project has a Program of its own)
{
    public static async Task<(InProcessRelay Relay, BenchRedis? Redis)> StartAsync(Arguments args, Dictionary<string, string?> extra)
    {
        var embedded = args.Get("store") is "embedded";
        var redis = embedded ? null : await BenchRedis.StartAsync(args);
        var settings = new Dictionary<string, string?>
        {
            ["Secrets:MasterKey"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)),
            ["Operator:ApiKey"] = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16)),
            ["Logging:LogLevel:Default"] = "Warning",
            ["Pipeline:WorkersEnabled"] = "false",
            ["Sync:BackgroundEnabled"] = "false",
            // The simulators listen on loopback.
            ["Outbound:AllowPrivateNetworks"] = "true",
        };
        if (redis is not null) settings["Storage:Redis"] = redis.ConnectionString;
        foreach (var (key, value) in extra) settings[key] = value;
        var relay = new InProcessRelay(settings);
        try
        {
            _ = relay.Services; // start the host now, not inside the measured part
        }
        catch
        {
            // Not leave a redis-server behind (it would also hold the caller's stderr open).
            await relay.DisposeAsync();
            if (redis is not null) await redis.DisposeAsync();
            throw;
        }
        return (relay, redis);
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        foreach (var (key, value) in settings) builder.UseSetting(key, value);
        builder.UseEnvironment("Production");
        // The relay project directory is not where this runs from; its appsettings are copied next to the binaries.
        builder.UseContentRoot(AppContext.BaseDirectory);
    }

    public T Get<T>() where T : notnull => Services.GetRequiredService<T>();

    /// <summary>VmHWM of this process (relay, simulators and load together), MB.</summary>
    public static long PeakRssMb() => StatusMb("VmHWM:");

    /// <summary>VmRSS of this process now, MB.</summary>
    public static long RssMb() => StatusMb("VmRSS:");

    private static long StatusMb(string field)
    {
        var line = File.ReadLines("/proc/self/status").FirstOrDefault(l => l.StartsWith(field, StringComparison.Ordinal));
        return line is null ? -1 : long.Parse(line[field.Length..].Trim().Split(' ')[0]) / 1024;
    }
}

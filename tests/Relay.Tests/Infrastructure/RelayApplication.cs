using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Relay.Tests.Infrastructure;

/// <summary>
/// The relay in process, configured by a dictionary of settings (the same keys as appsettings).
/// Embedded store unless "Storage:Redis" is given; time is a <see cref="ManualTimeProvider"/>
/// when one is passed.
/// </summary>
public sealed class RelayApplication(
    Dictionary<string, string?>? settings = null,
    TimeProvider? time = null,
    Action<IServiceCollection>? services = null)
    : WebApplicationFactory<Program>
{
    public static readonly string TestMasterKey = Convert.ToBase64String(Enumerable.Range(1, 32).Select(i => (byte)i).ToArray());

    private readonly Dictionary<string, string?> _settings = new()
    {
        ["Secrets:MasterKey"] = TestMasterKey,
        ["Operator:ApiKey"] = "operator-key-for-tests-0123456789",
        ["Logging:LogLevel:Default"] = "Warning",
        // The simulators listen on loopback.
        ["Outbound:AllowPrivateNetworks"] = "true",
    };

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        foreach (var (key, value) in settings ?? []) _settings[key] = value;
        foreach (var (key, value) in _settings) builder.UseSetting(key, value);
        builder.UseEnvironment("Testing");
        if (time is not null)
            builder.ConfigureServices(s => s.Replace(ServiceDescriptor.Singleton(time)));
        if (services is not null)
            builder.ConfigureServices(services);
    }

    public T Get<T>() where T : notnull => Services.GetRequiredService<T>();
}

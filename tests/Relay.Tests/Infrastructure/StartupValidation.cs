using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Hosting.Internal;
using Microsoft.Extensions.Options;
using Relay.Pipeline;
using Relay.Secrets;
using Relay.Storage;

namespace Relay.Tests.Infrastructure;

/// <summary>
/// Runs the start-up validation the host runs, over the relay's shared registrations plus a feature's
/// own, without starting a host (a host that fails to start races WebApplicationFactory's disposal).
/// </summary>
public static class StartupValidation
{
    public static Exception? Run(Dictionary<string, string?> settings, Action<IServiceCollection>? feature = null, string environment = "Testing")
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["Secrets:MasterKey"] = RelayApplication.TestMasterKey })
            .AddInMemoryCollection(settings)
            .Build();
        var services = new ServiceCollection()
            .AddSingleton<IConfiguration>(configuration)
            .AddSingleton<IHostEnvironment>(new HostingEnvironment { EnvironmentName = environment })
            .AddLogging()
            .AddSingleton(TimeProvider.System);
        services.AddRelayStore(PipelineOptions.PartitionsOf).AddSecrets().AddPipeline();
        feature?.Invoke(services);
        using var provider = services.BuildServiceProvider();
        return Record.Exception(() => provider.GetRequiredService<IStartupValidator>().Validate());
    }
}

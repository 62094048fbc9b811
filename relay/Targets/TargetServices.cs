using Relay.Infrastructure;
using Relay.Targets.MiniCrm;
using Relay.Targets.MplusKassa;
using Relay.Targets.Sare;
using Relay.Targets.Spotler;

namespace Relay.Targets;

public static class TargetServices
{
    /// <summary>Resilience settings of every target call.</summary>
    public const string HttpSection = "Targets:Http";

    public static IServiceCollection AddTargets(this IServiceCollection services)
    {
        services.AddOutboundHttpOptions(HttpSection);
        services.AddSingleton<TargetFactory>();
        services.AddSingleton<PosFactory>();

        // One line per target.
        services.AddSpotler();
        services.AddSare();
        services.AddMiniCrm();
        services.AddMplusKassa();
        return services;
    }
}

using Refit;
using Relay.Infrastructure;

namespace Relay.Targets.MplusKassa;

public static class MplusKassaServices
{
    public static IServiceCollection AddMplusKassa(this IServiceCollection services)
    {
        services.AddTransient<SoapFaultStatusHandler>();
        // Plain text both ways: the client writes and reads the envelopes itself.
        services.AddRefitGeneratedClient<IMplusKassaApi>(OutboundHttp.RefitSettings(JsonDefaults.Options))
            .AddOutboundChain(TargetServices.HttpSection)
            .AddHttpMessageHandler<SoapFaultStatusHandler>();
        services.AddSingleton<IPosProvider, MplusKassaProvider>();
        return services;
    }
}

using Refit;
using Relay.Infrastructure;
using Relay.Mapping;

namespace Relay.Targets.Spotler;

public static class SpotlerServices
{
    public static IServiceCollection AddSpotler(this IServiceCollection services)
    {
        services.AddTransient<SpotlerOAuthHandler>();
        services.AddRefitGeneratedClient<ISpotlerApi>(OutboundHttp.RefitSettings(JsonDefaults.Options))
            .AddOutboundChain(TargetServices.HttpSection)
            .AddHttpMessageHandler<SpotlerOAuthHandler>();
        services.AddSingleton<ITargetProvider, SpotlerTargetProvider>();
        return services;
    }
}

public sealed class SpotlerTargetProvider(IServiceProvider services, TimeProvider time) : ITargetProvider
{
    public string Kind => "spotler";
    public string DisplayName => "Spotler Mail+";

    public FieldMaps DefaultMaps(ShopRecordShape shop) => DefaultRules.Maps(
        [.. DefaultRules.Names, DefaultRules.Copy(ShopFields.Company, ContactFields.Company), .. DefaultRules.Address],
        [.. DefaultRules.Names, .. shop.SubscribersHaveAddress ? DefaultRules.SubscriberAddress : []]);

    public IReadOnlyList<string> CredentialNames { get; } = ["consumerKey", "consumerSecret"];
    public IReadOnlyList<string> OptionNames { get; } = ["permissionBit", "pullOverlapMinutes", "firstPullLookbackHours", "pageSize"];
    public PartnerClock Clock => SpotlerSettings.Clock;

    // Typed clients are transient: one per target keeps the factory's handler rotation.
    public ITarget Create(TargetAccount account) =>
        new SpotlerClient(services.GetRequiredService<ISpotlerApi>(), account.AccountId, SpotlerSettings.From(account), time);
}

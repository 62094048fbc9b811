using Relay.Mapping;

namespace Relay.Targets.Spotler;

public static class SpotlerServices
{
    public const string HttpClientName = "spotler";

    public static IServiceCollection AddSpotler(this IServiceCollection services)
    {
        services.AddTransient<SpotlerOAuthHandler>();
        services.AddTargetHttpClient(HttpClientName).AddHttpMessageHandler<SpotlerOAuthHandler>();
        services.AddSingleton<ITargetProvider, SpotlerTargetProvider>();
        return services;
    }
}

public sealed class SpotlerTargetProvider(IHttpClientFactory httpClients, TimeProvider time) : ITargetProvider
{
    public string Kind => "spotler";
    public string DisplayName => "Spotler Mail+";

    public FieldMaps DefaultMaps(ShopRecordShape shop) => DefaultRules.Maps(
        [.. DefaultRules.Names, DefaultRules.Copy(ShopFields.Company, ContactFields.Company), .. DefaultRules.Address],
        [.. DefaultRules.Names, .. shop.SubscribersHaveAddress ? DefaultRules.SubscriberAddress : []]);

    public IReadOnlyList<string> CredentialNames { get; } = ["consumerKey", "consumerSecret"];
    public IReadOnlyList<string> OptionNames { get; } = ["permissionBit", "pullOverlapMinutes", "firstPullLookbackHours", "pageSize"];
    public PartnerClock Clock => SpotlerSettings.Clock;

    public ITarget Create(TargetAccount account) =>
        new SpotlerClient(httpClients.CreateClient(SpotlerServices.HttpClientName), account.AccountId, SpotlerSettings.From(account), time);
}

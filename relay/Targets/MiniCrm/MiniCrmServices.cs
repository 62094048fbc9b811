using System.Text;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Refit;
using Relay.Infrastructure;
using Relay.Mapping;

namespace Relay.Targets.MiniCrm;

public static class MiniCrmServices
{
    public static IServiceCollection AddMiniCrm(this IServiceCollection services)
    {
        services.TryAddTransient<SharedPacingHandler>();
        services.AddRefitGeneratedClient<IMiniCrmApi>(OutboundHttp.RefitSettings(JsonDefaults.Options))
            .AddOutboundChain(TargetServices.HttpSection)
            .AddHttpMessageHandler<SharedPacingHandler>();
        services.AddSingleton<ITargetProvider, MiniCrmTargetProvider>();
        return services;
    }
}

public sealed class MiniCrmTargetProvider(IServiceProvider services, TimeProvider time) : ITargetProvider
{
    public string Kind => "minicrm";
    public string DisplayName => "MiniCRM";

    public FieldMaps DefaultMaps(ShopRecordShape shop) => DefaultRules.Maps(
        [.. DefaultRules.Names, DefaultRules.Copy(ShopFields.Phone, ContactFields.Phone, "trim"), DefaultRules.Copy(ShopFields.Company, ContactFields.Company), .. DefaultRules.Address],
        DefaultRules.Names);

    public IReadOnlyList<string> CredentialNames { get; } = ["systemId", "apiKey"];
    public IReadOnlyList<string> OptionNames { get; } = ["requestsPerMinute", "consentField", "consentSubscribed", "consentUnsubscribed"];
    public PartnerClock Clock => MiniCrmSettings.Clock;

    /// <summary>MiniCRM allows one webshop integration per system: a second shop would overwrite the first one's data.</summary>
    public string? ExclusiveSystem(TargetAccount account) =>
        account.Credentials.GetValueOrDefault("systemId")?.Trim() is { Length: > 0 } systemId ? $"minicrm:{account.BaseUri(MiniCrmSettings.ProductionBaseUrl).Host}:{systemId}" : null;

    // Typed clients are transient: one per target keeps the factory's handler rotation.
    public ITarget Create(TargetAccount account) =>
        new MiniCrmClient(services.GetRequiredService<IMiniCrmApi>(), account.AccountId, MiniCrmSettings.From(account), time);
}

/// <param name="RequestsPerMinute">MiniCRM's limit per system (60, one client's figure; 429 beyond it).</param>
/// <param name="ConsentField">
/// MiniCRM's API has no newsletter flag; accounts that track consent do it in a custom Person
/// field. Null: consent changes are not written.
/// </param>
public sealed record MiniCrmSettings(
    Uri BaseUri, string SystemId, string ApiKey, int RequestsPerMinute,
    string? ConsentField, string ConsentSubscribed, string ConsentUnsubscribed)
{
    public const string ProductionBaseUrl = "https://r3.minicrm.hu";
    /// <summary>
    /// MiniCRM writes zone-less Hungarian wall-clock times ("Y-m-d H:i:s", e.g. UpdatedSince, an order's
    /// Performance). The relay reads none today (the consent field has no time and counts from the
    /// read); any it reads later goes through <see cref="ZonelessTime.Read"/> in this zone.
    /// </summary>
    public static readonly PartnerClock Clock = PartnerClock.LocalTime("Europe/Budapest", PartnerClock.ZonelessDoubt);

    public string BasicAuthorization => Convert.ToBase64String(Encoding.UTF8.GetBytes($"{SystemId}:{ApiKey}"));

    /// <summary>
    /// One budget per MiniCRM system, whichever shop uses it, shared by every relay instance. Burst 1: GCRA
    /// with a larger burst would admit more than the limit within one minute. A wait over two minutes means
    /// a deep backlog: the worker is given back and the pipeline retries later.
    /// </summary>
    public OutboundPace Pace => new($"relay:rate:minicrm:{SystemId}", RequestsPerMinute / 60.0, 1, TimeSpan.FromMinutes(2));

    public static MiniCrmSettings From(TargetAccount account)
    {
        var systemId = account.RequireCredential("systemId");
        if (!systemId.All(char.IsAsciiDigit))
            throw new TargetConfigurationException("minicrm: credential 'systemId' must be the numeric system id (as in r3.minicrm.hu/<SystemId>/).");
        var perMinute = account.IntOption("requestsPerMinute", 60);
        if (perMinute is < 1 or > 6000) throw new TargetConfigurationException("minicrm: option 'requestsPerMinute' must be between 1 and 6000.");
        return new MiniCrmSettings(
            account.BaseUri(ProductionBaseUrl), systemId, account.RequireCredential("apiKey"), perMinute,
            account.Option("consentField"), account.Option("consentSubscribed") ?? "Active", account.Option("consentUnsubscribed") ?? "Unsubscribed");
    }

    public override string ToString() => $"MiniCrmSettings {{ BaseUri = {BaseUri}, SystemId = {SystemId}, ApiKey = *** }}";
}

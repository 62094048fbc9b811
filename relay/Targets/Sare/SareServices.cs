using Refit;
using Relay.Infrastructure;
using Relay.Mapping;

namespace Relay.Targets.Sare;

public static class SareServices
{
    public static IServiceCollection AddSare(this IServiceCollection services)
    {
        services.AddRefitGeneratedClient<ISareApi>(OutboundHttp.RefitSettings(JsonDefaults.Options))
            .AddOutboundChain(TargetServices.HttpSection);
        services.AddSingleton<ITargetProvider, SareTargetProvider>();
        return services;
    }
}

public sealed class SareTargetProvider(IServiceProvider services, TimeProvider time) : ITargetProvider
{
    public string Kind => "sare";
    public string DisplayName => "SARE";

    // SARE's standard subscriber fields are name and gsm; the relay joins first and last name.
    public FieldMaps DefaultMaps(ShopRecordShape shop) => DefaultRules.Maps(
        [.. DefaultRules.Names, DefaultRules.Copy(ShopFields.Phone, "gsm", "trim")],
        DefaultRules.Names);

    // No change feed: SARE answers the status of the addresses it is asked about.
    public bool PullsByAddress => true;

    public IReadOnlyList<string> CredentialNames { get; } = ["uid", "apiKey"];
    public IReadOnlyList<string> OptionNames { get; } = ["groupIds", "sendConfirmation", "batchSize"];
    public PartnerClock Clock => SareSettings.Clock;

    // Typed clients are transient: one per target keeps the factory's handler rotation.
    public ITarget Create(TargetAccount account) =>
        new SareClient(services.GetRequiredService<ISareApi>(), account.AccountId, SareSettings.From(account), time);
}

/// <param name="BaseUri">Ends in "/{uid}/": the account UID is part of every path.</param>
/// <param name="GroupIds">Groups every upserted or subscribed address is added to (never removed from).</param>
/// <param name="SendConfirmation">Let SARE send its double-opt-in mail for unconfirmed subscriptions.</param>
public sealed record SareSettings(Uri BaseUri, string ApiKey, IReadOnlyList<int> GroupIds, bool SendConfirmation, int BatchSize)
{
    public const string ProductionBaseUrl = "https://s.enewsletter.pl/api/v1";
    /// <summary>
    /// SARE reports no time with a status: the relay stamps a read with its own clock, which is never
    /// before the change it reveals. Its own times (none read today) are Polish wall-clock time.
    /// </summary>
    public static readonly PartnerClock Clock = PartnerClock.LocalTime("Europe/Warsaw", PartnerClock.Skew);

    public static SareSettings From(TargetAccount account)
    {
        // Contacts go into every group the merchant chose.
        account = account.ListsAsOption("groupIds", lists => string.Join(",", lists));
        var uid = account.RequireCredential("uid");
        if (!uid.All(char.IsAsciiDigit))
            throw new TargetConfigurationException("sare: credential 'uid' must be the numeric account UID.");
        var groups = new List<int>();
        foreach (var part in (account.Option("groupIds") ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            groups.Add(int.TryParse(part, out var id) && id >= 0 ? id : throw new TargetConfigurationException("sare: option 'groupIds' must be comma-separated group numbers."));
        var batch = account.IntOption("batchSize", 100);
        if (batch is < 1 or > 1000) throw new TargetConfigurationException("sare: option 'batchSize' must be between 1 and 1000.");
        return new SareSettings(
            new Uri(account.BaseUri(ProductionBaseUrl), uid + "/"),
            account.RequireCredential("apiKey"),
            groups,
            string.Equals(account.Option("sendConfirmation"), "true", StringComparison.OrdinalIgnoreCase),
            batch);
    }

    public override string ToString() => $"SareSettings {{ BaseUri = {BaseUri}, ApiKey = ***, Groups = {string.Join(",", GroupIds)} }}";
}

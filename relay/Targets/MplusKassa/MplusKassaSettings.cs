using System.Globalization;
using Relay.Secrets;

namespace Relay.Targets.MplusKassa;

/// <summary>
/// One till: the customer's own host and port (no shared production address), ident and secret, and what
/// the till requires of an order it is given: the branch it is booked in and the employee booking it
/// (999999, the number MplusKASSA connectors use for web orders, unless the merchant sets another).
/// </summary>
public sealed record MplusKassaSettings(Uri BaseUri, string Ident, string Secret, int BranchNumber, long EmployeeNumber, int SyncMarkerLimit)
{
    public const string Kind = "mpluskassa";
    public const long DefaultEmployeeNumber = 999999;

    /// <summary>QAPI times are wall-clock Europe/Amsterdam (SoapMplusDateTime fields, no offset).</summary>
    public static readonly PartnerClock Clock = PartnerClock.LocalTime("Europe/Amsterdam", PartnerClock.ZonelessDoubt);

    public TimeZoneInfo Zone { get; } = ZonelessTime.Zone(Clock.Zone!);

    public static readonly IReadOnlyList<PosOption> Options =
    [
        new("branchNumber", "1", "The till's branch (filiaal) that web orders are booked in and whose stock the shop shows."),
        new("employeeNumber", DefaultEmployeeNumber.ToString(CultureInfo.InvariantCulture), "The employee number web orders are booked under."),
        new("syncMarkerLimit", "500", "Products read per call while catching up (syncMarkerLimit)."),
    ];

    public static MplusKassaSettings From(TargetAccount account)
    {
        if (string.IsNullOrWhiteSpace(account.BaseUrl))
            throw new TargetConfigurationException("mpluskassa: enter the till's API address with its port (https://api.mpluskassa.nl:<port>); each customer has their own.");
        var limit = account.IntOption("syncMarkerLimit", 500);
        if (limit is < 1 or > 5000) throw new TargetConfigurationException("mpluskassa: option 'syncMarkerLimit' must be between 1 and 5000.");
        var employee = account.Option("employeeNumber") is { } text
            ? long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var e) && e > 0 ? e
                : throw new TargetConfigurationException("mpluskassa: option 'employeeNumber' must be a positive whole number.")
            : DefaultEmployeeNumber;
        return new MplusKassaSettings(account.BaseUri(account.BaseUrl), account.RequireCredential("ident"), account.RequireCredential("secret"),
            account.IntOption("branchNumber", 1), employee, limit);
    }
}

public sealed class MplusKassaProvider(IMplusKassaApi api, SecretProtector secrets, TimeProvider time) : IPosProvider
{
    public string Kind => MplusKassaSettings.Kind;
    public string DisplayName => "MplusKASSA";
    public IReadOnlyList<string> CredentialNames { get; } = ["ident", "secret"];
    public IReadOnlyList<PosOption> Options => MplusKassaSettings.Options;
    public IReadOnlyList<string> ProductFields => MplusKassaClient.ProductFields;
    public PartnerClock Clock => MplusKassaSettings.Clock;

    public IPointOfSale Create(TargetAccount account) => new MplusKassaClient(api, account.AccountId, MplusKassaSettings.From(account), time);

    public string? WebhookPath(string shopKey) => MplusKassaWebhooks.PathFor(shopKey, secrets);
}

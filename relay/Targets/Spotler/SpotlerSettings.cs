namespace Relay.Targets.Spotler;

/// <param name="PermissionBit">The bit of the `permissions` set property that means "newsletter" in this account (vendor default 1).</param>
/// <param name="PullOverlap">
/// How far each pull reaches back before the previous one ended. Generous because the time zone
/// Spotler reads fromDate/toDate in is undocumented (Europe/Amsterdam is likely); repeats are harmless.
/// </param>
public sealed record SpotlerSettings(
    Uri BaseUri,
    SpotlerCredentials Credentials,
    int PermissionBit,
    TimeSpan PullOverlap,
    TimeSpan FirstPullLookback,
    int PageSize)
{
    public const string ProductionBaseUrl = "https://restapi.mailplus.nl/integrationservice";
    /// <summary>
    /// The feeds' fromDate/toDate are zone-less and their zone undocumented: sent as Amsterdam time, the
    /// zone Spotler's own connector configures (targets.md §1.3), with <see cref="PullOverlap"/> covering
    /// the offset should Mail+ read UTC. The times it reports are epoch numbers, so only clock skew.
    /// </summary>
    public static readonly PartnerClock Clock = PartnerClock.LocalTime("Europe/Amsterdam", PartnerClock.Skew);
    internal static TimeZoneInfo Zone => ZonelessTime.Zone(Clock.Zone!);
    /// <summary>Spotler's own limit for POST contact/list (Swagger: "Too many contacts provided (max is 100)").</summary>
    public const int MaxBatch = 100;
    /// <summary>The most the feeds serve per call (restdoc: "Default is 1000 (max is 10000)"): the consent snapshot reads whole accounts.</summary>
    public const int SnapshotPageSize = 10_000;
    /// <summary>Before Mail+ existed: contact/updates/list from here lists every contact of the account.</summary>
    public static readonly DateTimeOffset FeedStart = new(2000, 1, 1, 0, 0, 0, TimeSpan.Zero);
    /// <summary>How long a full sync answers first-contact consent reads from one snapshot before catching up with the feed.</summary>
    public static readonly TimeSpan SnapshotMaxAge = TimeSpan.FromMinutes(5);
    /// <summary>
    /// Up to this many contacts (a live event) are read one by one (GET contact/{externalId}) instead of
    /// taking a snapshot. One: the single read cannot see bounces, which a sync page should.
    /// </summary>
    public const int SingleReadMax = 1;
    /// <summary>A contact Spotler created this recently with the newsletter bit off is taken for the relay's own create, not an opt-out.</summary>
    public static readonly TimeSpan OwnCreateWindow = TimeSpan.FromMinutes(15);

    public static SpotlerSettings From(TargetAccount account)
    {
        // Consent goes to one permission bit: the first list the merchant chose.
        account = account.ListsAsOption("permissionBit", lists => lists[0]);
        var bit = account.IntOption("permissionBit", 1);
        if (bit <= 0 || (bit & (bit - 1)) != 0)
            throw new TargetConfigurationException("spotler: option 'permissionBit' must be a power of two (1, 2, 4, …).");
        var pageSize = account.IntOption("pageSize", 1000);
        if (pageSize is < 1 or > 10000)
            throw new TargetConfigurationException("spotler: option 'pageSize' must be between 1 and 10000.");
        return new SpotlerSettings(
            account.BaseUri(ProductionBaseUrl),
            new SpotlerCredentials(account.RequireCredential("consumerKey"), account.RequireCredential("consumerSecret")),
            bit,
            TimeSpan.FromMinutes(account.IntOption("pullOverlapMinutes", 180)),
            TimeSpan.FromHours(account.IntOption("firstPullLookbackHours", 24)),
            pageSize);
    }
}

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
    /// <summary>Spotler's own limit for POST contact/list (Swagger: "Too many contacts provided (max is 100)").</summary>
    public const int MaxBatch = 100;

    public static SpotlerSettings From(TargetAccount account)
    {
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

namespace Relay.Platforms.Shoprenter;

/// <summary>
/// The Shoprenter app this relay acts as: the ClientId and ClientSecret Partner Support sends after
/// registration (the secret also keys the install and iframe HMACs), and the app's id in the shop admin.
/// Shoprenter stays off while neither credential is set, so a relay for other platforms needs no settings.
/// </summary>
public sealed class ShoprenterOptions
{
    public const string Section = "Shoprenter";

    /// <summary>AppId from Partner Support: the admin opens the app at https://{shop}.myshoprenter.hu/admin/app/{AppId}.</summary>
    public string? AppId { get; set; }

    /// <summary>OAuth client id (client credentials grant).</summary>
    public string? ClientId { get; set; }

    /// <summary>OAuth client secret; also the key of the hmac on the RedirectUri, EntryPoint and UninstallUri.</summary>
    public string? ClientSecret { get; set; }

    /// <summary>Public https base of this relay as shops reach it; the webhook URLs registered in each shop are built from it.</summary>
    public string? PublicBaseUrl { get; set; }

    /// <summary>Token endpoint; "{shopName}" is replaced. Tests point it at the simulator.</summary>
    public string TokenUrl { get; set; } = "https://oauth.app.shoprenter.net/{shopName}/app/token";

    /// <summary>The OAuth API of a shop ("API2"); "{shopName}" is replaced.</summary>
    public string ApiUrl { get; set; } = "https://{shopName}.api2.myshoprenter.hu/api";

    /// <summary>The deprecated Basic-auth API of a shop, used only when its merchant chose it; "{shopName}" is replaced.</summary>
    public string LegacyApiUrl { get; set; } = "https://{shopName}.api.myshoprenter.hu";

    /// <summary>The shop's admin address; "{shopName}" is replaced. The admin page is framed from there.</summary>
    public string AdminUrl { get; set; } = "https://{shopName}.myshoprenter.hu";

    /// <summary>
    /// Origins besides the shop's own admin that may frame the admin page: shops on a custom domain open
    /// their admin there, and older shops still answer on *.shoprenter.hu.
    /// </summary>
    public List<string> AdminFrameAncestors { get; set; } = [];

    public static readonly string[] DefaultAdminFrameAncestors = ["https://*.myshoprenter.hu", "https://*.shoprenter.hu"];

    public IReadOnlyList<string> EffectiveAdminFrameAncestors => AdminFrameAncestors.Count > 0 ? AdminFrameAncestors : DefaultAdminFrameAncestors;

    /// <summary>How far a signed timestamp (install, iframe, uninstall) may be from now, either way.</summary>
    public TimeSpan TimestampTolerance { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// The pace of calls on one shop, shared by every relay instance. Shoprenter allows 3 a second per app
    /// and shop; a little under it, requests land about 345 ms apart, so a millisecond of rounding in the
    /// schedule or of jitter on the way cannot put a fourth one into the same second.
    /// </summary>
    public double RequestsPerSecond { get; set; } = 2.9;

    /// <summary>"json" or "xml": the body type the relay registers its webhooks with. Deliveries of the other type are refused.</summary>
    public string WebhookFormat { get; set; } = "json";

    /// <summary>Webhook deliveries larger than this are refused (413).</summary>
    public int MaxWebhookBodyBytes { get; set; } = 512 * 1024;

    /// <summary>
    /// The zone of the wall-clock times Shoprenter writes without a zone (dateCreated, dateUpdated,
    /// dateSubscribed, subscribe_date; updatedAtMin is read the same way): the shop's config_timezone,
    /// Europe/Budapest unless the shop changed it (then its settings say so, <c>ShopSettings.TimeZone</c>).
    /// </summary>
    public string TimeZone { get; set; } = PlatformZone;

    public const string PlatformZone = "Europe/Budapest";

    /// <summary>Shoprenter writes zone-less local times: an ordering window of hours.</summary>
    public PartnerClock Clock => PartnerClock.LocalTime(TimeZone, PartnerClock.ZonelessDoubt);

    public bool Enabled => !string.IsNullOrWhiteSpace(ClientId) || !string.IsNullOrWhiteSpace(ClientSecret);

    public string TokenUrlOf(string shopName) => TokenUrl.Replace("{shopName}", shopName, StringComparison.Ordinal);
    public string ApiUrlOf(string shopName) => ApiUrl.Replace("{shopName}", shopName, StringComparison.Ordinal);
    public string LegacyApiUrlOf(string shopName) => LegacyApiUrl.Replace("{shopName}", shopName, StringComparison.Ordinal);
    public string AdminUrlOf(string shopName) => AdminUrl.Replace("{shopName}", shopName, StringComparison.Ordinal);

    /// <summary>Where the owner consents to scopes added after the install (getting started, "Updating application scopes").</summary>
    public string ApproveScopesUrlOf(string shopName) => $"{AdminUrlOf(shopName)}/admin/app/{ClientId}/approveScopes";

    internal string WebhookUrl(string shopName, string secret, string eventName) =>
        $"{PublicBaseUrl!.TrimEnd('/')}{ShoprenterEndpoints.WebhookPath}/{shopName}/{secret}/{eventName}";
}

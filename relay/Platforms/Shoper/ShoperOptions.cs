namespace Relay.Platforms.Shoper;

/// <summary>
/// The Shoper Appstore app this relay acts as. Three credentials from the developer panel:
/// the app id and app secret (OAuth client), and the AppStore secret (signs notifications and iframe URLs).
/// Shoper stays off while none of them is set, so a relay for Shopware only needs no Shoper settings.
/// </summary>
public sealed class ShoperOptions
{
    public const string Section = "Shoper";

    /// <summary>Application id ("application_code" in notifications, OAuth client id).</summary>
    public string? AppId { get; set; }

    /// <summary>Application secret: the OAuth client secret.</summary>
    public string? AppSecret { get; set; }

    /// <summary>AppStore secret: key of the notification and iframe HMACs, one webhook key candidate.</summary>
    public string? AppstoreSecret { get; set; }

    /// <summary>
    /// Optional "application webhook secret" for webhooks declared in the app's Appstore configuration;
    /// their key is derived per shop from it. Webhooks the relay registers itself use their own secret.
    /// </summary>
    public string? AppWebhookSecret { get; set; }

    /// <summary>Public https base of this relay as the shops reach it; the webhook URL registered in each shop is built from it.</summary>
    public string? PublicBaseUrl { get; set; }

    /// <summary>How far an iframe entry's signed timestamp may be from now, either way.</summary>
    public TimeSpan IframeTimestampTolerance { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// Origins that may frame the admin page of a Shoper shop besides the shop's own origin: the
    /// Shoper admin panel can be opened on the shop's *.shoparena.pl address while the install
    /// notification names its own domain. CSP source expressions ("https://*.shoparena.pl").
    /// </summary>
    public List<string> AdminFrameAncestors { get; set; } = [];

    public static readonly string[] DefaultAdminFrameAncestors = ["https://*.shoparena.pl"];

    public IReadOnlyList<string> EffectiveAdminFrameAncestors => AdminFrameAncestors.Count > 0 ? AdminFrameAncestors : DefaultAdminFrameAncestors;

    /// <summary>Refresh the access token when less than this remains (reference apps use 24 h; tokens live 30 days).</summary>
    public TimeSpan RefreshAhead { get; set; } = TimeSpan.FromHours(24);

    /// <summary>Webhook deliveries larger than this are refused (413). Shoper sends whole objects, a few KB each.</summary>
    public int MaxWebhookBodyBytes { get; set; } = 512 * 1024;

    /// <summary>Bucket assumed until a shop's first response states its own (Shoper's documented defaults).</summary>
    public int DefaultApiLimit { get; set; } = 10;
    public double DefaultApiBandwidth { get; set; } = 2;

    /// <summary>
    /// The zone of the wall-clock times Shoper writes without a zone (subscribers' dateadd, users'
    /// date_add): a Polish platform, so Europe/Warsaw. A shop set to another zone says so in its
    /// settings (<c>ShopSettings.TimeZone</c>).
    /// </summary>
    public string TimeZone { get; set; } = PlatformZone;

    /// <summary>Shoper's own zone: the Appstore's times (subscription ends, iframe timestamps) and the default of every shop's.</summary>
    public const string PlatformZone = "Europe/Warsaw";

    /// <summary>Shoper writes zone-less local times: an ordering window of hours.</summary>
    public PartnerClock Clock => PartnerClock.LocalTime(TimeZone, PartnerClock.ZonelessDoubt);

    public bool Enabled => !string.IsNullOrWhiteSpace(AppId) || !string.IsNullOrWhiteSpace(AppSecret) || !string.IsNullOrWhiteSpace(AppstoreSecret);

    internal string WebhookUrl => PublicBaseUrl!.TrimEnd('/') + ShoperEndpoints.WebhookPath;
}

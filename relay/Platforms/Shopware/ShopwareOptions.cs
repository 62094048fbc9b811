namespace Relay.Platforms.Shopware;

public sealed class ShopwareOptions
{
    public const string Section = "Shopware";

    /// <summary>Manifest &lt;meta&gt;&lt;name&gt;: the technical app name. It is part of the registration proof.</summary>
    public string AppName { get; set; } = "RelayConnector";

    /// <summary>
    /// Manifest &lt;setup&gt;&lt;secret&gt; (private and dev apps) or the store app secret from the
    /// Shopware Account. Signs only the registration request and the proof.
    /// </summary>
    public string? AppSecret { get; set; }

    /// <summary>
    /// The relay's public base URL as shops reach it (e.g. https://relay.example.com). Falls back to
    /// Relay:PublicBaseUrl. The confirmation URL handed to Shopware is built from it.
    /// </summary>
    public string? PublicBaseUrl { get; set; }

    /// <summary>How far a signed timestamp (webhook, module URL, registration) may lie from our clock.</summary>
    public TimeSpan WebhookTolerance { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>
    /// A shop that already completed registration must sign a re-registration with its current shop
    /// secret (shopware-shop-signature / -previous). Shopware before the 6.7 rotation work does not send
    /// these headers; turning this off then accepts a re-registration without them unless the shop has
    /// sent them before (the PHP SDK's rule).
    /// </summary>
    public bool EnforceDualSignature { get; set; } = true;

    /// <summary>How long a registration may wait for its confirmation. Shopware confirms within seconds.</summary>
    public TimeSpan PendingRegistrationLifetime { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>
    /// How long a shop uninstalled with keepUserData=true keeps its settings, ledger and credentials for a
    /// reinstall before the sweep forgets it. 30 days: a merchant who uninstalls by mistake or reinstalls
    /// after a migration usually does so within days, and personal data (the ledger's addresses) should
    /// not outlive its use by much longer (GDPR storage limitation). Fixed per shop at its uninstall.
    /// </summary>
    public TimeSpan KeepUserDataRetention { get; set; } = TimeSpan.FromDays(30);

    /// <summary>Largest request body accepted from a shop.</summary>
    public int MaxBodyBytes { get; set; } = 1024 * 1024;

    /// <summary>
    /// Admin API pacing per shop, shared by every relay instance (GCRA in the store): a politeness
    /// limit for real shops, counted in requests, not rows. At full-sync pages of
    /// <see cref="SearchPageSize"/> rows, 10 requests a second still read up to 5,000 rows a second.
    /// </summary>
    public double AdminApiRequestsPerSecond { get; set; } = 10;
    public int AdminApiBurst { get; set; } = 20;

    /// <summary>
    /// Rows per search page in a full sync: Shopware's shopware.api.max_limit, which is 500 unless the
    /// shop configured it otherwise (a larger limit is refused with 400, not clamped).
    /// </summary>
    public int SearchPageSize { get; set; } = 500;

    /// <summary>
    /// Till products per <c>_action/sync</c> call (each with its variants: 100 products of 3 variants are 400
    /// rows). Large enough that an import costs a few calls per hundred products, small enough that one
    /// transaction stays well inside the shop's request time.
    /// </summary>
    public int CatalogBatchSize { get; set; } = 100;

    public Uri ConfirmationUrl => new(new Uri(PublicBaseUrl!.TrimEnd('/') + "/"), "shopware/register/confirm");

    /// <summary>The old shop secret stays valid this long after a rotation (docs: "e.g. 1 minute"; PHP SDK: 60 s).</summary>
    public static readonly TimeSpan SecretGracePeriod = TimeSpan.FromSeconds(60);

    internal static bool IsBaseUrl(string? value) =>
        Uri.TryCreate(value, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttps || uri.Scheme == Uri.UriSchemeHttp)
        && string.IsNullOrEmpty(uri.Query) && string.IsNullOrEmpty(uri.Fragment);
}

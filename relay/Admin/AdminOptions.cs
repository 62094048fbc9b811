namespace Relay.Admin;

public sealed class AdminOptions
{
    public const string Section = "Admin";

    /// <summary>
    /// Lets a merchant point a target at a plain-http base URL. Off in production: the relay would
    /// send credentials in clear text, and it narrows what a merchant can make the relay call.
    /// </summary>
    public bool AllowInsecureTargetUrls { get; set; }

    /// <summary>
    /// Origins that may frame the admin page of a Shoper shop besides the shop's own origin: the
    /// Shoper admin panel can be opened on the shop's *.shoparena.pl address while the install
    /// notification names its own domain. CSP source expressions ("https://*.shoparena.pl").
    /// </summary>
    public List<string> ShoperFrameAncestors { get; set; } = [];

    public static readonly string[] DefaultShoperFrameAncestors = ["https://*.shoparena.pl"];

    public IReadOnlyList<string> EffectiveShoperFrameAncestors => ShoperFrameAncestors.Count > 0 ? ShoperFrameAncestors : DefaultShoperFrameAncestors;

    /// <summary>How long a connection test or field discovery may take before the page is told the target did not answer.</summary>
    public TimeSpan TargetCallTimeout { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>No event for this long: the status section warns that webhooks may not be arriving.</summary>
    public TimeSpan QuietAfter { get; set; } = TimeSpan.FromHours(24);
}

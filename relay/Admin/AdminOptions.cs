namespace Relay.Admin;

public sealed class AdminOptions
{
    public const string Section = "Admin";

    /// <summary>
    /// Lets a merchant point a target at a plain-http base URL. Off in production: the relay would
    /// send credentials in clear text, and it narrows what a merchant can make the relay call.
    /// </summary>
    public bool AllowInsecureTargetUrls { get; set; }

    /// <summary>How long a connection test or field discovery may take before the page is told the target did not answer.</summary>
    public TimeSpan TargetCallTimeout { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>No event for this long: the status section warns that webhooks may not be arriving.</summary>
    public TimeSpan QuietAfter { get; set; } = TimeSpan.FromHours(24);
}

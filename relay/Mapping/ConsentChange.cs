namespace Relay.Mapping;

public enum ConsentState
{
    Subscribed,
    /// <summary>Asked for, not yet confirmed (double opt-in pending). Never mailed.</summary>
    Unconfirmed,
    Unsubscribed,
}

/// <summary>
/// One permission of one contact changed. Travels both ways: shop → target (set consent) and
/// target → shop (pull-back), so it carries both the unique key and the e-mail: some targets
/// address contacts by key, others by e-mail.
/// </summary>
public sealed record ConsentChange
{
    public required string Key { get; init; }
    public string? Email { get; init; }
    /// <summary>Which permission: "newsletter" (the account's configured one) or a target-specific id such as a permission bit.</summary>
    public string Channel { get; init; } = ConsentChannels.Newsletter;
    public required ConsentState State { get; init; }
    public required DateTimeOffset At { get; init; }
    /// <summary>Where the change came from ("shop" or the target's kind): echo suppression and the activity log.</summary>
    public string? Source { get; init; }
}

public static class ConsentChannels
{
    public const string Newsletter = "newsletter";
}

using Relay.Mapping;

namespace Relay.Targets.Sare;

/// <summary>SARE's numeric subscriber statuses (sare-rest-js, after the SARE knowledge base).</summary>
public enum SareStatus
{
    RemovedManually = 2,
    RemovedAutomatically = 3,
    /// <summary>What a click on a newsletter's unsubscribe link most likely produces.</summary>
    RemovalRequested = 4,
    NotVerified = 5,
    /// <summary>SARE's default for new addresses.</summary>
    NotConfirmed = 6,
    Blocked = 7,
    /// <summary>The only status that receives newsletters.</summary>
    Confirmed = 8,
}

public static class SareStatuses
{
    /// <summary>2, 3, 4 and 7 all mean "do not mail"; unknown codes are treated the same way, to be safe.</summary>
    public static ConsentState ToConsent(int status) => status switch
    {
        (int)SareStatus.Confirmed => ConsentState.Subscribed,
        (int)SareStatus.NotConfirmed or (int)SareStatus.NotVerified => ConsentState.Unconfirmed,
        _ => ConsentState.Unsubscribed,
    };

    /// <summary>
    /// Unsubscribing on the shop's behalf is a removal by the account owner (2), not the recipient's
    /// own request (4), which SARE sets itself when the link is clicked.
    /// </summary>
    public static SareStatus FromConsent(ConsentState state) => state switch
    {
        ConsentState.Subscribed => SareStatus.Confirmed,
        ConsentState.Unconfirmed => SareStatus.NotConfirmed,
        _ => SareStatus.RemovedManually,
    };
}

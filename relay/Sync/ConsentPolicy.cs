using Relay.Mapping;

namespace Relay.Sync;

/// <summary>Live: a webhook says the shop changed now. Resync: a full sync walks through what the shop holds.</summary>
public enum SyncMode { Live, Resync }

/// <summary>One side's last known consent and when it took that state.</summary>
public sealed record ConsentSide(ConsentState State, DateTimeOffset At);

/// <param name="Shop">What the shop says now.</param>
/// <param name="KnownInTarget">The target has this contact (the relay wrote it, or the target reported it).</param>
/// <param name="Target">The target's last known consent: from the relay's own writes and from pull-back.</param>
/// <param name="Window">How far apart a shop time and a target time must be to be ordered for sure (<see cref="ConsentPolicy.OrderWindow"/>).</param>
public sealed record ConsentFacts(ShopConsent Shop, bool KnownInTarget, ConsentSide? Target, SyncMode Mode, TimeSpan Window = default);

/// <summary><see cref="Write"/> null: leave the target's consent as it is.</summary>
public sealed record ConsentDecision(ConsentState? Write, string Reason)
{
    public static ConsentDecision Keep(string reason) => new(null, reason);
}

/// <summary>
/// Whether a shop's consent goes to the target. The product's core promise lives here:
/// unsubscribe wins. An opt-out on either side is only undone by an explicit opt-in in the shop
/// that is clearly newer than the target's opt-out (<see cref="OptInIsClearlyNewer"/>), arriving
/// live; a resync never re-subscribes anyone.
/// </summary>
public static class ConsentPolicy
{
    /// <summary>
    /// The one ordering rule between an opt-in and an opt-out, wherever the relay compares them (this
    /// policy, pull-back, the first meeting with a contact): the opt-in wins only when it is later by
    /// more than <paramref name="window"/>. Closer than that, clock skew or a zone-less time could
    /// order them either way, and the opt-out wins.
    /// </summary>
    public static bool OptInIsClearlyNewer(DateTimeOffset optIn, DateTimeOffset optOut, TimeSpan window) => optIn - optOut > window;

    /// <summary>
    /// The window for comparing a shop's time with a target's: how far each side's times may be off
    /// (<see cref="PartnerClock.Uncertainty"/>, declared by the platform and by the target), added.
    /// </summary>
    public static TimeSpan OrderWindow(PartnerClock shop, PartnerClock target) => shop.Uncertainty + target.Uncertainty;

    /// <summary>
    /// The shop's consent as an opt-in time the policy may trust: a subscription the relay already knew
    /// as subscribed keeps the time it began. A confirmation, a group or field change of an existing
    /// subscription moves the shop's timestamps (a confirmation time and an update time) but is no new opt-in.
    /// </summary>
    public static ShopConsent SinceKnown(ConsentSide? known, ShopConsent now) =>
        now.State == ConsentState.Subscribed && known is { State: ConsentState.Subscribed } && known.At < now.At
            ? now with { At = known.At }
            : now;

    public static ConsentDecision Decide(ConsentFacts facts)
    {
        var shop = facts.Shop;
        if (shop.State == ConsentState.Unsubscribed)
            // Always written, even when the target seems to agree: the relay's knowledge of the target
            // can be minutes old, and an extra opt-out costs nothing.
            return new(ConsentState.Unsubscribed, "Unsubscribed in the shop; unsubscribe wins.");

        if (facts.Target is { State: ConsentState.Unsubscribed } optOut)
        {
            if (facts.Mode == SyncMode.Resync)
                return ConsentDecision.Keep("Opted out in the target; a resync never re-subscribes.");
            if (shop.State == ConsentState.Subscribed && shop.Confirmed && OptInIsClearlyNewer(shop.At, optOut.At, facts.Window))
                return new(ConsentState.Subscribed, "A confirmed opt-in in the shop, clearly newer than the target's opt-out.");
            return ConsentDecision.Keep("Opted out in the target; the shop shows no clearly newer confirmed opt-in.");
        }

        if (facts.Mode == SyncMode.Resync)
            return facts.KnownInTarget
                // The seed rule of a target without a feed: an existing contact keeps its status, only fields and groups are filled.
                ? ConsentDecision.Keep("Existing target contact keeps its status during a resync.")
                : facts.Target?.State == shop.State
                    // Written before: writing it again would overwrite an unsubscribe the relay has not pulled yet.
                    ? ConsentDecision.Keep("The target already has this status.")
                    : new(shop.State, "New contact takes the shop's status.");

        if (facts.Target?.State == shop.State)
            return ConsentDecision.Keep("The target already has this status.");
        return new(shop.State, "The shop's status changed.");
    }
}

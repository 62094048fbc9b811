using Relay.Mapping;

namespace Relay.Sync;

/// <summary>Live: a webhook says the shop changed now. Resync: a full sync walks through what the shop holds.</summary>
public enum SyncMode { Live, Resync }

/// <summary>One side's last known consent and when it took that state.</summary>
public sealed record ConsentSide(ConsentState State, DateTimeOffset At);

/// <param name="Shop">What the shop says now.</param>
/// <param name="KnownInTarget">The target has this contact (the relay wrote it, or the target reported it).</param>
/// <param name="Target">The target's last known consent: from the relay's own writes and from pull-back.</param>
public sealed record ConsentFacts(ShopConsent Shop, bool KnownInTarget, ConsentSide? Target, SyncMode Mode);

/// <summary><see cref="Write"/> null: leave the target's consent as it is.</summary>
public sealed record ConsentDecision(ConsentState? Write, string Reason)
{
    public static ConsentDecision Keep(string reason) => new(null, reason);
}

/// <summary>
/// Whether a shop's consent goes to the target. The product's core promise lives here:
/// unsubscribe wins. An opt-out on either side is only undone by an explicit opt-in in the shop
/// that is newer than the target's opt-out, arriving live; a resync never re-subscribes anyone.
/// </summary>
public static class ConsentPolicy
{
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
            if (shop.State == ConsentState.Subscribed && shop.Confirmed && shop.At > optOut.At)
                return new(ConsentState.Subscribed, "A confirmed opt-in in the shop, newer than the target's opt-out.");
            return ConsentDecision.Keep("Opted out in the target; the shop shows no newer confirmed opt-in.");
        }

        if (facts.Mode == SyncMode.Resync)
            return facts.KnownInTarget
                // SARE's seed rule: an existing contact keeps its status, only fields and groups are filled.
                ? ConsentDecision.Keep("Existing target contact keeps its status during a resync.")
                : new(shop.State, "New contact takes the shop's status.");

        if (facts.Target?.State == shop.State)
            return ConsentDecision.Keep("The target already has this status.");
        return new(shop.State, "The shop's status changed.");
    }
}

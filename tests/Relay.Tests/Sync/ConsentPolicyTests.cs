using Relay.Mapping;
using Relay.Platforms.Shoper;
using Relay.Sync;

namespace Relay.Tests.Sync;

/// <summary>Unsubscribe wins: the rules that decide whether a shop's consent reaches the target.</summary>
public sealed class ConsentPolicyTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 1, 12, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset Before = T0.AddDays(-1);
    private static readonly DateTimeOffset After = T0.AddDays(1);

    private static ConsentDecision Decide(ConsentState shop, DateTimeOffset at, bool confirmed, bool known, ConsentSide? target, SyncMode mode) =>
        ConsentPolicy.Decide(new ConsentFacts(new ShopConsent(shop, at, confirmed), known, target, mode));

    private static readonly ConsentSide OptedOutInTarget = new(ConsentState.Unsubscribed, T0);

    [Theory]
    [InlineData(SyncMode.Live)]
    [InlineData(SyncMode.Resync)]
    public void An_unsubscribe_in_the_shop_always_reaches_the_target(SyncMode mode)
    {
        foreach (var target in new ConsentSide?[] { null, new(ConsentState.Subscribed, After), OptedOutInTarget })
            foreach (var known in new[] { true, false })
                Assert.Equal(ConsentState.Unsubscribed, Decide(ConsentState.Unsubscribed, Before, false, known, target, mode).Write);
    }

    [Fact]
    public void A_resync_never_re_subscribes_a_contact_opted_out_in_the_target_not_even_with_a_newer_confirmed_opt_in()
    {
        foreach (var state in new[] { ConsentState.Subscribed, ConsentState.Unconfirmed })
            foreach (var at in new[] { Before, After })
                foreach (var confirmed in new[] { true, false })
                    Assert.Null(Decide(state, at, confirmed, known: true, OptedOutInTarget, SyncMode.Resync).Write);
    }

    [Fact]
    public void A_confirmed_opt_in_newer_than_the_targets_opt_out_re_subscribes_when_it_arrives_live()
    {
        var decision = Decide(ConsentState.Subscribed, After, confirmed: true, known: true, OptedOutInTarget, SyncMode.Live);
        Assert.Equal(ConsentState.Subscribed, decision.Write);
    }

    [Theory]
    [InlineData(ConsentState.Subscribed, -1, true)]   // confirmed, but older than the opt-out
    [InlineData(ConsentState.Subscribed, 1, false)]   // newer, but not confirmed
    [InlineData(ConsentState.Unconfirmed, 1, false)]  // double opt-in still pending
    [InlineData(ConsentState.Subscribed, 0, true)]    // same instant: the opt-out stands
    public void Anything_less_than_a_newer_confirmed_opt_in_leaves_the_opt_out_alone(ConsentState state, int days, bool confirmed)
    {
        var decision = Decide(state, T0.AddDays(days), confirmed, known: true, OptedOutInTarget, SyncMode.Live);
        Assert.Null(decision.Write);
        Assert.Contains("opted out", decision.Reason, StringComparison.OrdinalIgnoreCase);
    }

    [Theory]
    [InlineData(ConsentState.Subscribed)]
    [InlineData(ConsentState.Unconfirmed)]
    public void A_new_contact_gets_the_shops_status_in_a_resync(ConsentState state) =>
        Assert.Equal(state, Decide(state, Before, false, known: false, target: null, SyncMode.Resync).Write);

    [Fact]
    public void A_resync_does_not_write_again_what_the_relay_already_wrote_to_a_contact_it_created()
    {
        // Written again, it would overwrite an unsubscribe in the target that pull-back has not brought yet.
        Assert.Null(Decide(ConsentState.Subscribed, After, true, known: false, new ConsentSide(ConsentState.Subscribed, T0), SyncMode.Resync).Write);
        Assert.Equal(ConsentState.Subscribed, Decide(ConsentState.Subscribed, After, true, known: false, new ConsentSide(ConsentState.Unconfirmed, T0), SyncMode.Resync).Write);
    }

    [Fact]
    public void An_existing_target_contact_keeps_its_status_in_a_resync()
    {
        Assert.Null(Decide(ConsentState.Subscribed, After, true, known: true, new ConsentSide(ConsentState.Unconfirmed, T0), SyncMode.Resync).Write);
        Assert.Null(Decide(ConsentState.Unconfirmed, After, false, known: true, new ConsentSide(ConsentState.Subscribed, T0), SyncMode.Resync).Write);
        Assert.Null(Decide(ConsentState.Subscribed, After, true, known: true, target: null, SyncMode.Resync).Write);
    }

    [Fact]
    public void A_live_change_is_written_unless_the_target_already_has_it()
    {
        Assert.Equal(ConsentState.Subscribed, Decide(ConsentState.Subscribed, After, true, true, new ConsentSide(ConsentState.Unconfirmed, T0), SyncMode.Live).Write);
        Assert.Equal(ConsentState.Subscribed, Decide(ConsentState.Subscribed, After, false, false, null, SyncMode.Live).Write);
        Assert.Null(Decide(ConsentState.Subscribed, After, true, true, new ConsentSide(ConsentState.Subscribed, T0), SyncMode.Live).Write);
    }

    // ---- Uncertain order: the window ------------------------------------------------------------

    private static readonly TimeSpan ShoperAndSare = ConsentPolicy.OrderWindow(new ShoperOptions().Clock, Relay.Targets.Sare.SareSettings.Clock);

    [Theory]
    [InlineData(30)]   // minutes after the opt-out: zone doubt alone is one or two hours
    [InlineData(120)]
    [InlineData(190)]
    public void A_confirmed_opt_in_within_the_window_after_an_opt_out_does_not_re_subscribe(int minutes)
    {
        var decision = ConsentPolicy.Decide(new ConsentFacts(new ShopConsent(ConsentState.Subscribed, T0.AddMinutes(minutes), Confirmed: true),
            true, OptedOutInTarget, SyncMode.Live, ShoperAndSare));
        Assert.Null(decision.Write);
    }

    [Fact]
    public void A_confirmed_opt_in_clearly_after_the_window_re_subscribes()
    {
        var decision = ConsentPolicy.Decide(new ConsentFacts(new ShopConsent(ConsentState.Subscribed, T0 + ShoperAndSare + TimeSpan.FromMinutes(1), Confirmed: true),
            true, OptedOutInTarget, SyncMode.Live, ShoperAndSare));
        Assert.Equal(ConsentState.Subscribed, decision.Write);
    }

    [Fact]
    public void The_window_adds_what_the_platform_and_the_target_declare_hours_for_zone_less_times()
    {
        Assert.Equal(PartnerClock.ZonelessDoubt + PartnerClock.Skew, ShoperAndSare);
        Assert.Equal(PartnerClock.Skew * 2, ConsentPolicy.OrderWindow(Relay.Platforms.Shopware.ShopwareShops.Clock, Relay.Targets.Spotler.SpotlerSettings.Clock));
        Assert.True(ConsentPolicy.OrderWindow(Relay.Platforms.Shopware.ShopwareShops.Clock, Relay.Targets.MiniCrm.MiniCrmSettings.Clock) >= TimeSpan.FromHours(2));
    }

    [Fact]
    public void A_confirmation_or_an_edit_of_a_subscription_the_relay_already_knew_keeps_the_time_it_began()
    {
        var known = new ConsentSide(ConsentState.Subscribed, Before);
        Assert.Equal(Before, ConsentPolicy.SinceKnown(known, new ShopConsent(ConsentState.Subscribed, After, Confirmed: true)).At);
        // After an opt-out in the shop, a subscription is new again.
        Assert.Equal(After, ConsentPolicy.SinceKnown(new ConsentSide(ConsentState.Unsubscribed, Before), new ShopConsent(ConsentState.Subscribed, After, true)).At);
        Assert.Equal(After, ConsentPolicy.SinceKnown(new ConsentSide(ConsentState.Unconfirmed, Before), new ShopConsent(ConsentState.Subscribed, After, true)).At);
        Assert.Equal(After, ConsentPolicy.SinceKnown(null, new ShopConsent(ConsentState.Subscribed, After, true)).At);
    }
}

using Relay.Storage;
using Relay.Sync;

namespace Relay.Tests.Sync;

/// <summary>Unsubscribes and bounces in the marketing system come back into the shop, once, and do not echo back.</summary>
public sealed class PullBackTests : IAsyncLifetime
{
    private SyncTestbed _bed = null!;

    public async Task InitializeAsync() => _bed = await SyncTestbed.StartAsync();
    public async Task DisposeAsync() => await _bed.DisposeAsync();

    private PullBackRunner Runner => _bed.Get<PullBackRunner>();

    private int ShopPatches() => _bed.ShopApi.Requests.Count(r => r.StartsWith("PATCH /api/newsletter-recipient/", StringComparison.Ordinal));

    private async Task<Simulators.Shopware.SimulatedNewsletterRecipient> SubscribedInBothAsync(string email)
    {
        var recipient = _bed.AddRecipient(email, "direct");
        await _bed.SendNewsletterAsync("newsletter.register", recipient.Id);
        await _bed.ProcessQueueAsync();
        Assert.True(_bed.Spotler.Contacts[email].Permissions[1]);
        return recipient;
    }

    [Fact]
    public async Task A_Spotler_unsubscribe_opts_the_recipient_out_in_Shopware_and_the_echo_is_not_forwarded()
    {
        await _bed.ConfigureAsync(_bed.SpotlerTarget());
        var recipient = await SubscribedInBothAsync("lisa@example.nl");

        _bed.Time.Advance(TimeSpan.FromMinutes(30));
        _bed.Spotler.Unsubscribe("lisa@example.nl", 1, _bed.Time.GetUtcNow());
        _bed.Time.Advance(TimeSpan.FromMinutes(10));
        var result = await Runner.RunOnceAsync(_bed.ShopKey);

        Assert.Equal(PullBackOutcome.Done, result.Outcome);
        Assert.Equal(1, result.OptedOut);
        Assert.Equal("optOut", recipient.Status);

        // Shopware (or an admin flow) reports the change back; the relay must not write it to Spotler again.
        var writesBefore = _bed.SpotlerWrites();
        await _bed.SendNewsletterAsync("newsletter.unsubscribe", recipient.Id);
        await _bed.ProcessQueueAsync();

        Assert.Equal(writesBefore, _bed.SpotlerWrites());
        Assert.Empty(await _bed.DeadLettersAsync());
        Assert.Contains(await _bed.ActivityAsync(ActivityOutcome.Skipped), e => e.Message.Contains("echo", StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public async Task Overlapping_windows_apply_an_unsubscribe_only_once()
    {
        await _bed.ConfigureAsync(_bed.SpotlerTarget());
        await SubscribedInBothAsync("bas@example.nl");
        _bed.Time.Advance(TimeSpan.FromMinutes(30));
        _bed.Spotler.Unsubscribe("bas@example.nl", 1, _bed.Time.GetUtcNow());

        _bed.Time.Advance(TimeSpan.FromMinutes(10));
        await Runner.RunOnceAsync(_bed.ShopKey);
        _bed.Time.Advance(TimeSpan.FromMinutes(10));
        var second = await Runner.RunOnceAsync(_bed.ShopKey);

        Assert.Equal(0, second.OptedOut);
        Assert.Equal(1, ShopPatches());
    }

    [Fact]
    public async Task A_hard_bounce_opts_the_address_out_in_the_shop_and_a_soft_bounce_does_not()
    {
        await _bed.ConfigureAsync(_bed.SpotlerTarget());
        var hard = await SubscribedInBothAsync("dood@example.nl");
        var soft = await SubscribedInBothAsync("vol@example.nl");

        _bed.Time.Advance(TimeSpan.FromMinutes(30));
        _bed.Spotler.Bounce("dood@example.nl", hard: true, _bed.Time.GetUtcNow());
        _bed.Spotler.Bounce("vol@example.nl", hard: false, _bed.Time.GetUtcNow());
        _bed.Time.Advance(TimeSpan.FromMinutes(10));
        var result = await Runner.RunOnceAsync(_bed.ShopKey);

        Assert.Equal(1, result.Bounced);
        Assert.Equal("optOut", hard.Status);
        Assert.Equal("direct", soft.Status);
    }

    [Fact]
    public async Task SARE_is_asked_about_the_shops_subscribed_addresses_and_its_unsubscribes_reach_the_shop()
    {
        await _bed.ConfigureAsync(_bed.SareTarget());
        var leaving = _bed.AddRecipient("ola@example.pl", "direct");
        var staying = _bed.AddRecipient("ewa@example.pl", "direct");
        foreach (var r in new[] { leaving, staying })
        {
            await _bed.SendNewsletterAsync("newsletter.register", r.Id);
            await _bed.ProcessQueueAsync();
        }
        Assert.Equal(8, _bed.Sare.Subscribers["ola@example.pl"].Status);

        _bed.Sare.Unsubscribe("ola@example.pl");
        var result = await Runner.RunOnceAsync(_bed.ShopKey);

        Assert.Equal(1, result.OptedOut);
        Assert.Equal("optOut", leaving.Status);
        Assert.Equal("direct", staying.Status);
        Assert.Contains(_bed.Sare.Requests, r => r.Path.Contains("status_by_email_list", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Only_one_runner_pulls_a_shop_at_a_time()
    {
        await _bed.ConfigureAsync(_bed.SpotlerTarget());
        await _bed.Get<IRelayStore>().SetIfAbsentAsync(StoreKeys.ShopItem(_bed.ShopKey, "pullback:lock"), "other-instance", TimeSpan.FromMinutes(10));

        Assert.Equal(PullBackOutcome.Busy, (await Runner.RunOnceAsync(_bed.ShopKey)).Outcome);

        // The other instance died: its lock expires and the shop is pulled again.
        _bed.Time.Advance(TimeSpan.FromMinutes(11));
        Assert.Equal(PullBackOutcome.Done, (await Runner.RunOnceAsync(_bed.ShopKey)).Outcome);
    }

    [Fact]
    public async Task The_scheduler_pulls_each_syncing_shop_once_per_interval()
    {
        var scheduler = _bed.Get<PullBackScheduler>();
        Assert.Equal(0, await scheduler.RunDueAsync());

        await _bed.ConfigureAsync(_bed.SpotlerTarget(), s => s with { PullInterval = TimeSpan.FromMinutes(10) });
        Assert.Equal(1, await scheduler.RunDueAsync());
        _bed.Time.Advance(TimeSpan.FromMinutes(5));
        Assert.Equal(0, await scheduler.RunDueAsync());
        _bed.Time.Advance(TimeSpan.FromMinutes(5));
        Assert.Equal(1, await scheduler.RunDueAsync());
    }
}

using Relay.Platforms.Shopware;
using Relay.Sync;
using Relay.Tests.Sync;
using Simulators.Shopware;

namespace Relay.Tests.Platforms.Shopware;

/// <summary>
/// The reconciliation that runs with every pull-back of a Shopware shop: switched-off webhooks come
/// back on, changes made without a webhook reach the target, deleted recipients are noticed.
/// </summary>
public sealed class ShopwareReconciliationTests : IAsyncLifetime
{
    private SyncTestbed _bed = null!;

    public async Task InitializeAsync() => _bed = await SyncTestbed.StartAsync();
    public async Task DisposeAsync() => await _bed.DisposeAsync();

    private Task<PullBackResult> RunAsync() => _bed.Get<PullBackRunner>().RunOnceAsync(_bed.ShopKey);

    private async Task<SimulatedNewsletterRecipient> SubscribedAsync(string email)
    {
        var recipient = _bed.AddRecipient(email, "direct");
        await _bed.SendNewsletterAsync("newsletter.register", recipient.Id);
        await _bed.ProcessQueueAsync();
        Assert.True(_bed.Spotler.Contacts[email].Permissions[1]);
        return recipient;
    }

    [Fact]
    public async Task A_webhook_Shopware_switched_off_is_switched_back_on_and_the_merchant_sees_it()
    {
        await _bed.ConfigureAsync(_bed.SpotlerTarget());
        var off = _bed.ShopApi.AddWebhook(new SimulatedWebhook { Name = "customerWritten", EventName = "customer.written", Url = "http://localhost/shopware/webhook", Active = false, ErrorCount = 10 });
        var foreign = _bed.ShopApi.AddWebhook(new SimulatedWebhook { Name = "other", EventName = "customer.written", Url = "https://other-app.example/hook", Active = false });

        var result = await RunAsync();

        Assert.Equal(PullBackOutcome.Done, result.Outcome);
        Assert.Equal(1, result.Reconciliation!.WebhooksReenabled);
        Assert.True(off.Active);
        Assert.False(foreign.Active);
        Assert.Contains(_bed.ShopApi.Requests, r => r == $"PATCH /api/webhook/{off.Id}");
        var logged = Assert.Single(await _bed.ActivityAsync(ActivityOutcome.Ok), e => e.Kind == "webhooks");
        Assert.Contains("customer.written", logged.Message);

        // All on again: the next run only looks.
        _bed.Time.Advance(TimeSpan.FromMinutes(10));
        Assert.Equal(0, (await RunAsync()).Reconciliation!.WebhooksReenabled);
    }

    [Fact]
    public async Task Without_permission_to_read_its_webhooks_the_run_says_so_and_carries_on()
    {
        await _bed.ConfigureAsync(_bed.SpotlerTarget());
        await RunAsync();
        _bed.AddCustomer("door@example.nl", "Door", "Gaan");
        _bed.Time.Advance(TimeSpan.FromMinutes(10));
        // The webhook search is the run's first Admin API call.
        _bed.ShopApi.FailNext(403);

        var result = await RunAsync();

        Assert.Equal(PullBackOutcome.Done, result.Outcome);
        Assert.Equal(0, result.Reconciliation!.WebhooksReenabled);
        Assert.Equal(1, result.Reconciliation.Resynced);
        Assert.Contains(await _bed.ActivityAsync(ActivityOutcome.Skipped), e => e.Kind == "webhooks" && e.Message.Contains("webhook:read", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_customer_edited_in_the_shop_without_a_webhook_arrives_in_the_target_after_the_run()
    {
        await _bed.ConfigureAsync(_bed.SpotlerTarget());
        var customer = _bed.AddCustomer("stil@example.nl", "Jan", "Jansen");
        await _bed.SendCustomerWrittenAsync(customer.Id);
        await _bed.ProcessQueueAsync();
        await RunAsync();

        // The webhook was switched off (or lost): the edit and a new customer reach no one ...
        _bed.Time.Advance(TimeSpan.FromMinutes(3));
        customer.FirstName = "Johanna";
        customer.UpdatedAt = _bed.Time.GetUtcNow();
        _bed.AddCustomer("nieuw@example.nl", "Nieuw", "Klant");
        Assert.Equal("Jan", _bed.Spotler.Contacts["stil@example.nl"].Properties["firstName"]);

        // ... until the next pull-back run.
        _bed.Time.Advance(TimeSpan.FromMinutes(7));
        var result = await RunAsync();

        Assert.Equal("Johanna", _bed.Spotler.Contacts["stil@example.nl"].Properties["firstName"]);
        Assert.Equal("Nieuw", _bed.Spotler.Contacts["nieuw@example.nl"].Properties["firstName"]);
        Assert.Equal(2, result.Reconciliation!.Resynced);
        Assert.NotNull(await _bed.Get<ShopwareReconciliation>().GetStateAsync(_bed.ShopKey));

        // Nothing changed since: the next run sends nothing.
        _bed.Time.Advance(TimeSpan.FromMinutes(10));
        var writes = _bed.SpotlerWrites();
        Assert.Equal(0, (await RunAsync()).Reconciliation!.Resynced);
        Assert.Equal(writes, _bed.SpotlerWrites());
    }

    [Fact]
    public async Task A_subscription_restored_without_a_webhook_does_not_re_subscribe_a_contact_who_opted_out()
    {
        await _bed.ConfigureAsync(_bed.SpotlerTarget());
        var recipient = await SubscribedAsync("terug@example.nl");
        await RunAsync();
        _bed.Time.Advance(TimeSpan.FromMinutes(5));
        _bed.Spotler.Unsubscribe("terug@example.nl", 1, _bed.Time.GetUtcNow());
        _bed.Time.Advance(TimeSpan.FromMinutes(5));
        await RunAsync();
        Assert.Equal("optOut", recipient.Status);

        // An import sets it back to direct without any event.
        _bed.Time.Advance(TimeSpan.FromMinutes(5));
        recipient.Status = "direct";
        recipient.UpdatedAt = _bed.Time.GetUtcNow();
        _bed.Time.Advance(TimeSpan.FromMinutes(5));
        await RunAsync();

        Assert.False(_bed.Spotler.Contacts["terug@example.nl"].Permissions[1], "Reconciliation re-subscribed a contact who had opted out.");
    }

    [Fact]
    public async Task The_relays_own_opt_out_in_the_shop_is_not_sent_back_by_the_next_run()
    {
        await _bed.ConfigureAsync(_bed.SpotlerTarget());
        var recipient = await SubscribedAsync("echo@example.nl");
        await RunAsync();
        _bed.Time.Advance(TimeSpan.FromMinutes(5));
        _bed.Spotler.Unsubscribe("echo@example.nl", 1, _bed.Time.GetUtcNow());
        _bed.Time.Advance(TimeSpan.FromMinutes(5));

        var writes = _bed.SpotlerWrites();
        Assert.Equal(1, (await RunAsync()).OptedOut);
        Assert.Equal("optOut", recipient.Status);
        _bed.Time.Advance(TimeSpan.FromMinutes(10));
        await RunAsync();
        // Past the 30-minute echo mark too: the ledger knows both sides agree.
        _bed.Time.Advance(TimeSpan.FromMinutes(40));
        await RunAsync();

        Assert.Equal(writes, _bed.SpotlerWrites());
    }

    [Fact]
    public async Task A_recipient_deleted_in_the_shop_is_noticed_and_unsubscribed_in_the_target()
    {
        await _bed.ConfigureAsync(_bed.SpotlerTarget());
        var gone = await SubscribedAsync("weg@example.nl");
        var stays = await SubscribedAsync("blijft@example.nl");
        await RunAsync();

        Assert.True(_bed.ShopApi.RemoveNewsletterRecipient(gone.Id));
        _bed.Time.Advance(TimeSpan.FromMinutes(10));
        var result = await RunAsync();

        Assert.Equal(1, result.Reconciliation!.Deleted);
        Assert.False(_bed.Spotler.Contacts["weg@example.nl"].Permissions[1]);
        Assert.True(_bed.Spotler.Contacts["blijft@example.nl"].Permissions[1]);
        Assert.Contains(await _bed.ActivityAsync(ActivityOutcome.Ok), e => e.Kind == "consent" && e.Message.Contains("deleted", StringComparison.Ordinal));

        // Noticed once.
        _bed.Time.Advance(TimeSpan.FromMinutes(10));
        Assert.Equal(0, (await RunAsync()).Reconciliation!.Deleted);
        _ = stays;
    }
}

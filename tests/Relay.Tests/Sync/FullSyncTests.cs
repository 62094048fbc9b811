using Relay.Sync;

namespace Relay.Tests.Sync;

/// <summary>The full sync behind the admin page's button: complete, resumable, cancellable, one at a time, and it never re-subscribes anyone.</summary>
public sealed class FullSyncTests : IAsyncLifetime
{
    private SyncTestbed _bed = null!;

    public async Task InitializeAsync() => _bed = await SyncTestbed.StartAsync();
    public async Task DisposeAsync() => await _bed.DisposeAsync();

    private FullSync Jobs => _bed.Get<FullSync>();
    private FullSyncRunner Runner => _bed.Get<FullSyncRunner>();

    private void AddCustomers(int count)
    {
        for (var i = 1; i <= count; i++)
        {
            _bed.AddCustomer($"klant{i:D3}@example.nl", "Klant", $"Nummer {i}", number: $"K{i:D3}");
            _bed.Time.Advance(TimeSpan.FromSeconds(1));
        }
    }

    [Fact]
    public async Task A_full_sync_of_1250_customers_reaches_100_percent_in_Spotler_batches_of_at_most_100()
    {
        await _bed.ConfigureAsync(_bed.SpotlerTarget());
        AddCustomers(1250); // three Shopware pages of at most 500, each split into Spotler batches

        await Jobs.StartAsync(_bed.ShopKey);
        Assert.Equal(FullSyncRunOutcome.Finished, await Runner.RunAsync(_bed.ShopKey, "instance-a"));

        var progress = await Jobs.GetAsync(_bed.ShopKey);
        Assert.Equal(SyncState.Completed, progress.State);
        Assert.Equal(1250, progress.Total);
        Assert.Equal(1250, progress.Done);
        Assert.Equal(0, progress.Failed);
        Assert.NotNull(progress.FinishedAt);
        Assert.Equal(1250, _bed.Spotler.Contacts.Count);
        Assert.All(_bed.Spotler.ContactListBatches, size => Assert.InRange(size, 1, 100));
    }

    [Fact]
    public async Task The_first_save_that_switches_sync_on_with_a_target_starts_a_full_sync_and_later_saves_do_not()
    {
        AddCustomers(120);

        // Credentials saved while setting up, sync still off: nothing starts.
        Assert.Null(await _bed.SaveAsAdminAsync(s => s with { Target = _bed.SpotlerTarget() }));
        Assert.Equal(SyncState.Idle, (await Jobs.GetAsync(_bed.ShopKey)).State);

        var started = await _bed.SaveAsAdminAsync(s => s with { SyncEnabled = true });
        Assert.Equal(SyncState.Running, started!.State);
        Assert.Equal(FullSyncRunOutcome.Finished, await Runner.RunAsync(_bed.ShopKey, "instance-a"));
        Assert.Equal(120, _bed.Spotler.Contacts.Count);

        // Editing the mapping later, or switching sync off and on again, is not a first configuration.
        Assert.Null(await _bed.SaveAsAdminAsync(s => s with { PullInterval = TimeSpan.FromMinutes(20) }));
        Assert.Null(await _bed.SaveAsAdminAsync(s => s with { SyncEnabled = false }));
        Assert.Null(await _bed.SaveAsAdminAsync(s => s with { SyncEnabled = true }));
        Assert.Equal(SyncState.Completed, (await Jobs.GetAsync(_bed.ShopKey)).State);
    }

    [Fact]
    public async Task A_shop_that_already_synced_before_the_hook_existed_gets_no_full_sync_on_its_next_save()
    {
        await _bed.ConfigureAsync(_bed.SpotlerTarget());
        Assert.Null(await _bed.SaveAsAdminAsync(s => s with { PullInterval = TimeSpan.FromMinutes(20) }));
        Assert.Equal(SyncState.Idle, (await Jobs.GetAsync(_bed.ShopKey)).State);
    }

    [Fact]
    public async Task A_second_start_joins_the_running_sync()
    {
        await _bed.ConfigureAsync(_bed.SpotlerTarget());
        AddCustomers(750);
        var first = await Jobs.StartAsync(_bed.ShopKey);
        await Runner.RunAsync(_bed.ShopKey, "instance-a", maxPages: 1);

        _bed.Time.Advance(TimeSpan.FromSeconds(5));
        var second = await Jobs.StartAsync(_bed.ShopKey);

        Assert.Equal(first.StartedAt, second.StartedAt);
        Assert.Equal(500, second.Done);
        await Runner.RunAsync(_bed.ShopKey, "instance-a");
        Assert.Equal(750, (await Jobs.GetAsync(_bed.ShopKey)).Done);
        Assert.Equal([100, 100, 100, 100, 100, 100, 100, 50], _bed.Spotler.ContactListBatches);
    }

    [Fact]
    public async Task Cancel_stops_the_sync_after_the_page_in_hand()
    {
        await _bed.ConfigureAsync(_bed.SpotlerTarget());
        AddCustomers(750);
        await Jobs.StartAsync(_bed.ShopKey);
        await Runner.RunAsync(_bed.ShopKey, "instance-a", maxPages: 1);

        var cancelled = await Jobs.CancelAsync(_bed.ShopKey);
        Assert.Equal(FullSyncRunOutcome.NotRunning, await Runner.RunAsync(_bed.ShopKey, "instance-a"));

        Assert.Equal(SyncState.Cancelled, cancelled.State);
        Assert.Equal(500, (await Jobs.GetAsync(_bed.ShopKey)).Done);
        Assert.Equal(500, _bed.Spotler.Contacts.Count);
    }

    [Fact]
    public async Task A_job_whose_instance_died_is_resumed_from_its_cursor_by_another()
    {
        await _bed.ConfigureAsync(_bed.SpotlerTarget());
        AddCustomers(1250);
        await Jobs.StartAsync(_bed.ShopKey);
        // Instance A did one page and its lease was renewed; then it died without a word.
        await _bed.Get<Relay.Storage.IRelayStore>().SetAsync(Relay.Storage.StoreKeys.ShopItem(_bed.ShopKey, "fullsync:lease"), "instance-a", TimeSpan.FromMinutes(10));
        Assert.Equal(FullSyncRunOutcome.Paused, await Runner.RunAsync(_bed.ShopKey, "instance-a", maxPages: 1));
        await _bed.Get<Relay.Storage.IRelayStore>().SetAsync(Relay.Storage.StoreKeys.ShopItem(_bed.ShopKey, "fullsync:lease"), "instance-a", TimeSpan.FromMinutes(10));

        Assert.Equal(FullSyncRunOutcome.Busy, await Runner.RunAsync(_bed.ShopKey, "instance-b"));
        _bed.Time.Advance(TimeSpan.FromMinutes(11));
        Assert.Equal(FullSyncRunOutcome.Finished, await Runner.RunAsync(_bed.ShopKey, "instance-b"));

        var progress = await Jobs.GetAsync(_bed.ShopKey);
        Assert.Equal(SyncState.Completed, progress.State);
        Assert.Equal(1250, progress.Done);
        // Resumed at page 2: no page was sent twice.
        Assert.Equal([.. Enumerable.Repeat(100, 12), 50], _bed.Spotler.ContactListBatches);
    }

    [Fact]
    public async Task A_run_whose_lease_was_taken_over_during_a_page_stops_without_writing_its_progress()
    {
        await _bed.ConfigureAsync(_bed.SpotlerTarget());
        AddCustomers(750);
        await Jobs.StartAsync(_bed.ShopKey);
        var store = _bed.Get<Relay.Storage.IRelayStore>();
        var lease = Relay.Storage.StoreKeys.ShopItem(_bed.ShopKey, "fullsync:lease");
        var firstPage = _bed.Spotler.Faults.HoldNext();

        var run = Runner.RunAsync(_bed.ShopKey, "instance-a");
        // While the first page is with the target, instance A's lease runs out and instance B takes it.
        await firstPage.Arrived;
        await store.SetAsync(lease, "instance-b", TimeSpan.FromMinutes(10));
        firstPage.Release();

        Assert.Equal(FullSyncRunOutcome.Busy, await run);
        Assert.Equal("instance-b", await store.GetAsync(lease));
        Assert.Equal(0, (await Jobs.GetAsync(_bed.ShopKey)).Done);
    }

    [Fact]
    public async Task A_resync_does_not_re_subscribe_a_contact_who_opted_out_in_the_target()
    {
        await _bed.ConfigureAsync(_bed.SpotlerTarget());
        var recipient = _bed.AddRecipient("optout@example.nl", "direct");
        await _bed.SendNewsletterAsync("newsletter.register", recipient.Id);
        await _bed.ProcessQueueAsync();
        _bed.Time.Advance(TimeSpan.FromMinutes(30));
        _bed.Spotler.Unsubscribe("optout@example.nl", 1, _bed.Time.GetUtcNow());
        _bed.Time.Advance(TimeSpan.FromMinutes(10));
        await _bed.Get<PullBackRunner>().RunOnceAsync(_bed.ShopKey);

        // Someone re-imports the old newsletter list in the shop admin: no webhook, status "direct" again.
        recipient.Status = "direct";
        recipient.UpdatedAt = _bed.Time.GetUtcNow();
        _bed.Time.Advance(TimeSpan.FromMinutes(1));
        await Jobs.StartAsync(_bed.ShopKey);
        await Runner.RunAsync(_bed.ShopKey, "instance-a");

        Assert.Equal(SyncState.Completed, (await Jobs.GetAsync(_bed.ShopKey)).State);
        Assert.False(_bed.Spotler.Contacts["optout@example.nl"].Permissions[1], "A resync re-subscribed a contact who had opted out.");
    }

    [Fact]
    public async Task A_first_sync_into_SARE_keeps_addresses_opted_out_there_and_statuses_of_existing_ones()
    {
        await _bed.ConfigureAsync(_bed.SareTarget());
        _bed.Sare.Add("weg@example.pl", status: 4);
        _bed.Sare.Add("bestaand@example.pl", status: 8);
        _bed.AddRecipient("weg@example.pl", "direct");
        _bed.AddRecipient("bestaand@example.pl", "notSet");
        _bed.AddRecipient("nieuw@example.pl", "optIn", confirmedAt: _bed.Time.GetUtcNow());

        await Jobs.StartAsync(_bed.ShopKey);
        await Runner.RunAsync(_bed.ShopKey, "instance-a");

        Assert.Equal(4, _bed.Sare.Subscribers["weg@example.pl"].Status);
        Assert.Equal(8, _bed.Sare.Subscribers["bestaand@example.pl"].Status);
        Assert.Equal(8, _bed.Sare.Subscribers["nieuw@example.pl"].Status);
        Assert.Contains(21, _bed.Sare.Subscribers["weg@example.pl"].Groups);
    }

    [Fact]
    public async Task Contacts_the_target_refuses_are_counted_as_failed_and_the_sync_completes()
    {
        await _bed.ConfigureAsync(_bed.SpotlerTarget());
        AddCustomers(3);
        _bed.AddCustomer("not-an-address", number: "K999");

        await Jobs.StartAsync(_bed.ShopKey);
        await Runner.RunAsync(_bed.ShopKey, "instance-a");

        var progress = await Jobs.GetAsync(_bed.ShopKey);
        Assert.Equal(SyncState.Completed, progress.State);
        Assert.Equal(4, progress.Done);
        Assert.Equal(1, progress.Failed);
    }

    [Fact]
    public async Task Bad_credentials_end_the_sync_as_failed_with_a_reason()
    {
        await _bed.ConfigureAsync(_bed.SpotlerTarget(secret: "wrong"));
        AddCustomers(2);

        await Jobs.StartAsync(_bed.ShopKey);
        await Runner.RunAsync(_bed.ShopKey, "instance-a");

        var progress = await Jobs.GetAsync(_bed.ShopKey);
        Assert.Equal(SyncState.Failed, progress.State);
        Assert.Contains("credentials", progress.Error);
    }

    [Fact]
    public async Task A_first_sync_to_Spotler_keeps_contacts_who_opted_out_there_before_the_relay_was_connected_and_the_shop_learns_it()
    {
        // In the shop for a long time: one as a customer too (the customer phase meets her first), all subscribed.
        _bed.AddCustomer("weg@example.nl", number: "K1");
        var weg = _bed.AddRecipient("weg@example.nl", "direct");
        var dood = _bed.AddRecipient("dood@example.nl", "direct");
        _bed.AddCustomer("blijft@example.nl", number: "K2");
        var blijft = _bed.AddRecipient("blijft@example.nl", "direct");
        var nieuw = _bed.AddRecipient("nieuw@example.nl", "direct");
        _bed.Time.Advance(TimeSpan.FromDays(30));
        // Spotler had three of them before the relay came: one unsubscribed through a mailing, one hard-bounced, one still subscribed.
        _bed.Spotler.AddContact("weg@example.nl", "weg@example.nl", (1, true));
        _bed.Spotler.Unsubscribe("weg@example.nl", 1, _bed.Time.GetUtcNow());
        _bed.Spotler.AddContact("dood@example.nl", "dood@example.nl", (1, true));
        _bed.Spotler.Bounce("dood@example.nl", hard: true, _bed.Time.GetUtcNow());
        _bed.Spotler.AddContact("blijft@example.nl", "blijft@example.nl", (1, true));
        // Far beyond the first pull-back's look-back: only the first sync itself can find this out.
        _bed.Time.Advance(TimeSpan.FromDays(10));

        await _bed.ConfigureAsync(_bed.SpotlerTarget());
        await Jobs.StartAsync(_bed.ShopKey);
        Assert.Equal(FullSyncRunOutcome.Finished, await Runner.RunAsync(_bed.ShopKey, "instance-a"));

        Assert.Equal(SyncState.Completed, (await Jobs.GetAsync(_bed.ShopKey)).State);
        Assert.False(_bed.Spotler.Contacts["weg@example.nl"].Permissions[1], "The first sync re-subscribed a contact who had opted out in Spotler.");
        Assert.DoesNotContain(_bed.Spotler.Requests, r => r.Method == "PUT" && r.Path.Contains("dood", StringComparison.Ordinal));
        Assert.True(_bed.Spotler.Contacts["blijft@example.nl"].Permissions[1]);
        Assert.True(_bed.Spotler.Contacts["nieuw@example.nl"].Permissions[1]);
        // Unsubscribe wins, whichever side it came from: the shop stops mailing them too, as a pull-back would have made it.
        Assert.Equal("optOut", weg.Status);
        Assert.Equal("optOut", dood.Status);
        Assert.Equal("direct", blijft.Status);
        Assert.Equal("direct", nieuw.Status);
        var pulledBack = await _bed.ActivityAsync();
        Assert.Contains(pulledBack, a => a.Kind == "pullback" && a.Message.Contains("before the relay was connected", StringComparison.Ordinal));
        Assert.Contains(pulledBack, a => a.Kind == "pullback" && a.Message.Contains("Hard bounce", StringComparison.Ordinal));

        // The shop's webhooks for those opt-outs are the relay's own echo; the next pull-back finds nothing new.
        await _bed.ProcessQueueAsync();
        var writes = _bed.SpotlerWrites();
        _bed.Time.Advance(TimeSpan.FromMinutes(10));
        Assert.Equal(0, (await _bed.Get<PullBackRunner>().RunOnceAsync(_bed.ShopKey)).OptedOut);
        Assert.Equal(writes, _bed.SpotlerWrites());
        Assert.False(_bed.Spotler.Contacts["weg@example.nl"].Permissions[1]);
    }

    [Fact]
    public async Task A_first_sync_of_1000_customers_to_Spotler_with_its_consent_read_costs_at_most_one_call_per_50_contacts()
    {
        AddCustomers(1000);
        // Spotler already holds some of them, a few opted out.
        for (var i = 1; i <= 200; i++) _bed.Spotler.AddContact($"klant{i:D3}@example.nl", $"klant{i:D3}@example.nl", (1, i % 10 != 0));
        _bed.Time.Advance(TimeSpan.FromDays(1));
        await _bed.ConfigureAsync(_bed.SpotlerTarget());

        await Jobs.StartAsync(_bed.ShopKey);
        Assert.Equal(FullSyncRunOutcome.Finished, await Runner.RunAsync(_bed.ShopKey, "instance-a"));

        Assert.Equal(1000, (await Jobs.GetAsync(_bed.ShopKey)).Done);
        Assert.Equal(1000, _bed.Spotler.Contacts.Count);
        // Counted at the simulator: 10 batch upserts and one snapshot of each feed for the whole run.
        var calls = _bed.Spotler.Requests.Count;
        Assert.True(calls <= 1000 / 50, $"{calls} Spotler calls for 1000 contacts");
        Assert.Equal(1, _bed.Spotler.Requests.Count(r => r.Path.EndsWith("/contact/updates/list", StringComparison.Ordinal)));
        Assert.Equal(1, _bed.Spotler.Requests.Count(r => r.Path.EndsWith("/contact/bounces/list", StringComparison.Ordinal)));
        Assert.False(_bed.Spotler.Contacts["klant010@example.nl"].Permissions[1]);
    }

    [Fact]
    public async Task A_first_sync_into_SARE_keeps_opted_out_and_blocked_addresses_and_the_shop_learns_it()
    {
        var weg = _bed.AddRecipient("weg@example.pl", "direct");
        _bed.AddCustomer("zablokowany@example.pl", number: "P1");
        var blocked = _bed.AddRecipient("zablokowany@example.pl", "optIn", confirmedAt: _bed.Time.GetUtcNow());
        var bestaand = _bed.AddRecipient("bestaand@example.pl", "direct");
        _bed.Time.Advance(TimeSpan.FromDays(3));
        await _bed.ConfigureAsync(_bed.SareTarget());
        _bed.Sare.Add("weg@example.pl", status: 4);
        _bed.Sare.Add("zablokowany@example.pl", status: 7);
        _bed.Sare.Add("bestaand@example.pl", status: 8);

        await Jobs.StartAsync(_bed.ShopKey);
        await Runner.RunAsync(_bed.ShopKey, "instance-a");

        Assert.Equal(SyncState.Completed, (await Jobs.GetAsync(_bed.ShopKey)).State);
        Assert.Equal(4, _bed.Sare.Subscribers["weg@example.pl"].Status);
        Assert.Equal(7, _bed.Sare.Subscribers["zablokowany@example.pl"].Status);
        Assert.Equal(8, _bed.Sare.Subscribers["bestaand@example.pl"].Status);
        Assert.Equal("optOut", weg.Status);
        Assert.Equal("optOut", blocked.Status);
        Assert.Equal("direct", bestaand.Status);
    }
}

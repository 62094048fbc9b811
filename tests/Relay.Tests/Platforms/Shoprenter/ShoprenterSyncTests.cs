using Relay.Mapping;
using Relay.Pipeline;
using Relay.Platforms.Shoprenter;
using Relay.Settings;
using Relay.Sync;
using Simulators.Sare;
using Simulators.Spotler;

namespace Relay.Tests.Platforms.Shoprenter;

/// <summary>
/// The same promises for a Shoprenter shop: subscribers reach the target live and in a full sync, target
/// unsubscribes come back as PUT {"status":"0"}, the echo stays home, unsubscribe wins on a resync, and
/// customers (which have no webhook) are polled with updatedAtMin.
/// </summary>
[Collection(ShoprenterTestbed.Collection)]
public sealed class ShoprenterSyncTests : IAsyncLifetime
{
    private ShoprenterTestbed _bed = null!;
    private SareSimulator _sare = null!;
    private SpotlerSimulator _spotler = null!;

    public async Task InitializeAsync()
    {
        _bed = await ShoprenterTestbed.StartAsync();
        await _bed.InstallAsync();
        _sare = await SareSimulator.StartAsync();
        _spotler = await SpotlerSimulator.StartAsync("ck", "cs", _bed.Time);
    }

    public async Task DisposeAsync()
    {
        await _spotler.DisposeAsync();
        await _sare.DisposeAsync();
        await _bed.DisposeAsync();
    }

    private async Task ConfigureAsync(TargetSettings target)
    {
        var (outcome, _) = await _bed.Get<ShopSettingsStore>().SaveAsync(_bed.ShopKey, new ShopSettings { Target = target, SyncEnabled = true }, 0);
        Assert.Equal(SaveOutcome.Saved, outcome);
    }

    private TargetSettings Sare() => new()
    {
        Kind = "sare",
        BaseUrl = _sare.BaseUrl,
        Credentials = new Dictionary<string, string> { ["uid"] = "12345", ["apiKey"] = "0f8fad5b-d9cb-469f-a165-70867728950e" },
    };

    private TargetSettings Spotler() => new()
    {
        Kind = "spotler",
        BaseUrl = _spotler.BaseUrl,
        Credentials = new Dictionary<string, string> { ["consumerKey"] = "ck", ["consumerSecret"] = "cs" },
    };

    private async Task DeliverAsync(HttpRequestMessage delivery)
    {
        using (delivery)
        using (var response = await _bed.Client.SendAsync(delivery))
            Assert.True(response.IsSuccessStatusCode, $"webhook refused: {(int)response.StatusCode}");
        await _bed.Get<QueueWorker>().ProcessOnceAsync();
    }

    private Task SubscribeWebhookAsync(int id) => DeliverAsync(_bed.Shop.BuildWebhookDelivery("newsletter_subscribe", _bed.Shop.NewsletterPayload(id)));

    [Fact]
    public async Task A_newsletter_subscribe_webhook_subscribes_the_address_in_SARE()
    {
        await ConfigureAsync(Sare());
        var id = _bed.Shop.SeedSubscriber("anna@example.hu");

        await SubscribeWebhookAsync(id);

        Assert.Equal(8, _sare.Subscribers["anna@example.hu"].Status);
    }

    [Fact]
    public async Task An_unsubscribe_in_the_storefront_reaches_Spotler()
    {
        await ConfigureAsync(Spotler());
        var id = _bed.Shop.SeedSubscriber("bela@example.hu");
        await SubscribeWebhookAsync(id);
        Assert.True(_spotler.Contacts["bela@example.hu"].Permissions[1]);

        _bed.ManualTime!.Advance(TimeSpan.FromMinutes(5));
        await DeliverAsync(_bed.Shop.UnsubscribeInStorefront(id));

        Assert.False(_spotler.Contacts["bela@example.hu"].Permissions[1]);
    }

    [Fact]
    public async Task A_SARE_unsubscribe_is_written_back_as_status_0_and_the_echo_is_not_forwarded()
    {
        await ConfigureAsync(Sare());
        var id = _bed.Shop.SeedSubscriber("ola@example.hu");
        await SubscribeWebhookAsync(id);

        _sare.Unsubscribe("ola@example.hu");
        var result = await _bed.Get<PullBackRunner>().RunOnceAsync(_bed.ShopKey);

        Assert.Equal(1, result.OptedOut);
        Assert.False(_bed.Shop.Read(s => s.Subscribers[id].Subscribed));
        Assert.Single(_bed.Shop.Read(s => s.Requests.Where(r => r.Method == "PUT" && r.Path.StartsWith("/newsletterSubscribers/", StringComparison.Ordinal)).ToList()));

        // Shoprenter fires newsletter_unsubscribe for the relay's own PUT; SARE must not hear about it again.
        var writesBefore = _sare.Requests.Count(r => r.Path.EndsWith("/email/add", StringComparison.Ordinal));
        await DeliverAsync(_bed.Shop.BuildWebhookDelivery("newsletter_unsubscribe", _bed.Shop.NewsletterPayload(id)));

        Assert.Equal(writesBefore, _sare.Requests.Count(r => r.Path.EndsWith("/email/add", StringComparison.Ordinal)));
        Assert.Equal(4, _sare.Subscribers["ola@example.hu"].Status);
    }

    [Fact]
    public async Task A_full_sync_pages_through_customers_and_subscribers_two_hundred_at_a_time()
    {
        await ConfigureAsync(Spotler());
        for (var i = 0; i < 250; i++) _bed.Shop.SeedCustomer($"vevo{i:D3}@example.hu");
        for (var i = 0; i < 30; i++) _bed.Shop.SeedSubscriber($"vevo{i:D3}@example.hu");

        await _bed.Get<FullSync>().StartAsync(_bed.ShopKey);
        await _bed.Get<FullSyncRunner>().RunAsync(_bed.ShopKey, "instance-a");

        var progress = await _bed.Get<FullSync>().GetAsync(_bed.ShopKey);
        Assert.Equal(SyncState.Completed, progress.State);
        Assert.Equal(280, progress.Done);
        Assert.Equal(280, progress.Total);
        Assert.Equal(250, _spotler.Contacts.Count);
        Assert.All(_bed.Shop.Read(s => s.Requests.Where(r => r.Path == "/customers" && r.Query.Contains("full=1")).ToList()),
            r => Assert.Contains("limit=200", r.Query, StringComparison.Ordinal));
        Assert.True(_spotler.Contacts["vevo000@example.hu"].Permissions[1]);
        Assert.Equal("Kovács", _spotler.Contacts["vevo000@example.hu"].Properties["lastName"]);
    }

    [Fact]
    public async Task A_resync_never_resubscribes_an_address_that_opted_out_in_the_target()
    {
        await ConfigureAsync(Spotler());
        var id = _bed.Shop.SeedSubscriber("zita@example.hu");
        await SubscribeWebhookAsync(id);
        _bed.ManualTime!.Advance(TimeSpan.FromMinutes(30));
        _spotler.Unsubscribe("zita@example.hu", 1, _bed.Time.GetUtcNow());
        _bed.ManualTime.Advance(TimeSpan.FromMinutes(10));
        await _bed.Get<PullBackRunner>().RunOnceAsync(_bed.ShopKey);
        Assert.False(_bed.Shop.Read(s => s.Subscribers[id].Subscribed));

        // Someone re-imports the old newsletter list in the shop admin: no webhook, status 1 again.
        _bed.Shop.Read(s => s.Subscribers[id] = s.Subscribers[id] with { Subscribed = true, Updated = _bed.Time.GetUtcNow() });
        _bed.ManualTime.Advance(TimeSpan.FromMinutes(1));
        await _bed.Get<FullSync>().StartAsync(_bed.ShopKey);
        await _bed.Get<FullSyncRunner>().RunAsync(_bed.ShopKey, "instance-a");

        Assert.Equal(SyncState.Completed, (await _bed.Get<FullSync>().GetAsync(_bed.ShopKey)).State);
        Assert.False(_spotler.Contacts["zita@example.hu"].Permissions[1], "A resync re-subscribed a contact who had opted out.");
    }

    [Fact]
    public async Task Customers_changed_without_a_webhook_are_found_by_updatedAtMin_in_the_shops_zone_and_sent_again()
    {
        await ConfigureAsync(Spotler());
        await _bed.Get<PullBackRunner>().RunOnceAsync(_bed.ShopKey); // sets the reconciliation's mark
        _bed.ManualTime!.Advance(TimeSpan.FromMinutes(10));
        _bed.Shop.SeedCustomer("uj@example.hu", firstname: "Új");
        _bed.ManualTime.Advance(TimeSpan.FromMinutes(10));

        await _bed.Get<PullBackRunner>().RunOnceAsync(_bed.ShopKey);

        Assert.Equal("Új", _spotler.Contacts["uj@example.hu"].Properties["firstName"]);
        var state = await _bed.Get<ShoprenterReconciliation>().GetStateAsync(_bed.ShopKey);
        Assert.NotNull(state);
        // 09:00 UTC less the 2-minute overlap, as Budapest wall-clock time (UTC+1 in November).
        var since = _bed.Time.GetUtcNow() - TimeSpan.FromMinutes(20) - ShoprenterReconciliation.Overlap;
        var expected = Uri.EscapeDataString(TimeZoneInfo.ConvertTime(since, TimeZoneInfo.FindSystemTimeZoneById("Europe/Budapest")).ToString("yyyy-MM-dd'T'HH:mm:ss"));
        Assert.Contains(_bed.Shop.Read(s => s.Requests.ToList()), r => r.Path == "/customers" && r.Query.Contains("updatedAtMin=" + expected));
    }

    [Fact]
    public async Task Shoprenter_times_are_read_as_Budapest_wall_clock_time()
    {
        var zone = TimeZoneInfo.FindSystemTimeZoneById("Europe/Budapest");
        using var doc = System.Text.Json.JsonDocument.Parse(
            "{\"id\":\"x\",\"email\":\"a@example.hu\",\"status\":\"1\",\"blacklisted\":\"0\",\"dateSubscribed\":\"2026-07-01T12:00:00\",\"dateCreated\":\"2026-01-15T12:00:00\",\"dateUpdated\":\"2026-07-01T12:00:00\"}");

        var record = ShoprenterContacts.ToRecord(ShopRecordKind.Subscriber, doc.RootElement, zone);

        Assert.Equal(new DateTimeOffset(2026, 7, 1, 10, 0, 0, TimeSpan.Zero), record.Consent!.At);
        Assert.True(record.Consent.Confirmed);
        Assert.Equal("2026-01-15T12:00:00.0000000+01:00", record.Field(ShopFields.CreatedAt));
        Assert.Equal(TimeSpan.FromHours(3), _bed.Get<ShoprenterContacts>().Clock.Uncertainty);
        Assert.Equal("Europe/Budapest", _bed.Get<ShoprenterContacts>().Clock.Zone);
    }
}

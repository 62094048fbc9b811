using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Nodes;
using Relay.Pipeline;
using Relay.Settings;
using Relay.Shops;
using Relay.Storage;
using Relay.Sync;
using Relay.Tests.Admin;
using Relay.Tests.Infrastructure;
using Relay.Tests.Platforms.Shoper;
using Simulators.Sare;

namespace Relay.Tests.Sync;

// Issue 14, case by case: each test runs on the embedded store and on a real Redis.

[Collection(ShoperTestbed.Collection)]
public sealed class ShoperUnsubscribeWinsOnEmbeddedStoreTests() : ShoperUnsubscribeWinsTests(null);

[Collection(ShoperTestbed.Collection)]
public sealed class ShoperUnsubscribeWinsOnRedisTests(RedisServer redis) : ShoperUnsubscribeWinsTests(redis.ConnectionString), IClassFixture<RedisServer>;

public sealed class ShopwareUnsubscribeWinsOnEmbeddedStoreTests() : ShopwareUnsubscribeWinsTests(null);

public sealed class ShopwareUnsubscribeWinsOnRedisTests(RedisServer redis) : ShopwareUnsubscribeWinsTests(redis.ConnectionString), IClassFixture<RedisServer>;

/// <summary>A Shoper shop connected to SARE, tried as a new user would: Polish times, and a shop whose filter cannot be trusted.</summary>
public abstract class ShoperUnsubscribeWinsTests(string? redis) : IAsyncLifetime
{
    private ShoperTestbed _bed = null!;
    private SareSimulator _sare = null!;

    public Task InitializeAsync() => Task.CompletedTask;

    private async Task StartAsync(bool ignoresEmailFilter = false, string shopZone = "Europe/Warsaw")
    {
        var settings = new Dictionary<string, string?> { ["Sync:BackgroundEnabled"] = "false" };
        if (redis is not null) settings["Storage:Redis"] = redis;
        _bed = await ShoperTestbed.StartAsync(settings: settings, shop: o =>
        {
            // Each test its own shop: on Redis they share one store.
            o.ShopLicense = "consent" + Guid.NewGuid().ToString("N");
            o.IgnoresSubscriberEmailFilter = ignoresEmailFilter;
            o.TimeZone = shopZone;
        });
        await _bed.InstallAsync();
        _sare = await SareSimulator.StartAsync();
        var (outcome, _) = await _bed.Get<ShopSettingsStore>().SaveAsync(_bed.ShopKey, new ShopSettings
        {
            SyncEnabled = true,
            Target = new TargetSettings
            {
                Kind = "sare",
                BaseUrl = _sare.BaseUrl,
                Credentials = new Dictionary<string, string> { ["uid"] = "12345", ["apiKey"] = "0f8fad5b-d9cb-469f-a165-70867728950e" },
            },
        }, 0);
        Assert.Equal(SaveOutcome.Saved, outcome);
    }

    public async Task DisposeAsync()
    {
        if (_sare is not null) await _sare.DisposeAsync();
        if (_bed is not null) await _bed.DisposeAsync();
    }

    private async Task DeliverAsync(string eventName, string id, string email, bool active, string extra = "")
    {
        var body = $"{{\"subscriber_id\":\"{id}\",\"email\":\"{email}\",\"active\":\"{(active ? 1 : 0)}\"{extra}}}";
        using var response = await _bed.Client.SendAsync(_bed.Shop.BuildWebhookDelivery(eventName, body));
        Assert.True(response.IsSuccessStatusCode, $"webhook refused: {(int)response.StatusCode}");
        await _bed.Get<QueueWorker>().ProcessOnceAsync();
    }

    [Fact]
    public async Task A_SARE_unsubscribe_twenty_minutes_after_a_Shoper_subscription_wins_and_a_group_change_does_not_re_subscribe()
    {
        await StartAsync();
        // 09:00 UTC is 10:00 in Warsaw (November): dateadd says "10:00:00", which read as UTC would be an hour too late.
        var subscribedAt = _bed.Time!.GetUtcNow();
        var id = _bed.Shop.SeedSubscriber("ola@example.pl");
        await DeliverAsync("subscriber.create", id, "ola@example.pl", true);
        Assert.Equal(8, _sare.Subscribers["ola@example.pl"].Status);
        var (ctx, _) = await _bed.Get<SyncContexts>().ForShopAsync(_bed.ShopKey);
        Assert.Equal(subscribedAt, (await _bed.Get<ContactLedger>().FindByEmailAsync(ctx!.Ledger, "ola@example.pl"))!.Shop!.At);

        _bed.Time.Advance(TimeSpan.FromMinutes(20));
        _sare.Unsubscribe("ola@example.pl");
        // Her groups change in the shop before the pull-back ran: an edit of an existing subscription, no new opt-in.
        _bed.Time.Advance(TimeSpan.FromMinutes(5));
        await DeliverAsync("subscriber.edit", id, "ola@example.pl", true, ",\"groups\":[\"1\",\"2\"]");
        Assert.Equal(4, _sare.Subscribers["ola@example.pl"].Status);

        _bed.Time.Advance(TimeSpan.FromMinutes(5));
        var pulled = await _bed.Get<PullBackRunner>().RunOnceAsync(_bed.ShopKey);

        Assert.Equal(1, pulled.OptedOut);
        Assert.False(_bed.Shop.Read(shop => shop.Subscribers[id].Active));
        await DeliverAsync("subscriber.edit", id, "ola@example.pl", false, ",\"groups\":[\"2\"]");
        Assert.Equal(4, _sare.Subscribers["ola@example.pl"].Status);
    }

    [Fact]
    public async Task A_shop_set_to_another_zone_has_its_times_read_in_that_zone()
    {
        await StartAsync(shopZone: "America/New_York");
        var store = _bed.Get<ShopSettingsStore>();
        var (outcome, _) = await store.SaveAsync(_bed.ShopKey, (await store.GetAsync(_bed.ShopKey)) with { TimeZone = "America/New_York" }, 1);
        Assert.Equal(SaveOutcome.Saved, outcome);
        var subscribedAt = _bed.Time!.GetUtcNow();
        var id = _bed.Shop.SeedSubscriber("john@example.com");

        await DeliverAsync("subscriber.create", id, "john@example.com", true);

        var (ctx, _) = await _bed.Get<SyncContexts>().ForShopAsync(_bed.ShopKey);
        Assert.Equal(subscribedAt, (await _bed.Get<ContactLedger>().FindByEmailAsync(ctx!.Ledger, "john@example.com"))!.Shop!.At);
    }

    [Fact]
    public async Task An_opt_out_switches_off_only_the_subscriber_with_that_address_when_the_shop_ignores_the_filter()
    {
        await StartAsync(ignoresEmailFilter: true);
        for (var i = 0; i < 60; i++) _bed.Shop.SeedSubscriber($"inny{i:D2}@example.pl");
        // On the second page of an unfiltered answer, and written in other case by the shop.
        var id = _bed.Shop.SeedSubscriber("Anna@Example.pl");
        _sare.Add("anna@example.pl", 4);

        var pulled = await _bed.Get<PullBackRunner>().RunOnceAsync(_bed.ShopKey);

        Assert.Equal(1, pulled.OptedOut);
        Assert.False(_bed.Shop.Read(shop => shop.Subscribers[id].Active));
        Assert.Equal(60, _bed.Shop.Read(shop => shop.Subscribers.Values.Count(s => s.Active)));
    }
}

/// <summary>A Shopware shop: the write-back guard, the window for an order in doubt, and a broken shop among healthy ones.</summary>
public abstract class ShopwareUnsubscribeWinsTests(string? redis) : IAsyncLifetime
{
    private const string OperatorKey = "operator-key-for-consent-tests-0123456789";
    private SyncTestbed _bed = null!;

    public async Task InitializeAsync()
    {
        var settings = new Dictionary<string, string?> { ["Operator:ApiKey"] = OperatorKey };
        if (redis is not null) settings["Storage:Redis"] = redis;
        _bed = await SyncTestbed.StartAsync(settings);
    }

    public async Task DisposeAsync()
    {
        // On Redis the next test's scheduler pass sees every shop in the store: this test's are done.
        var directory = _bed.Get<ShopDirectory>();
        foreach (var shop in await directory.ListAsync())
            await directory.SaveAsync(shop with { Status = ShopStatus.Deleted });
        await _bed.DisposeAsync();
    }

    private async Task SubscribeAsync(Simulators.Shopware.SimulatedNewsletterRecipient recipient)
    {
        await _bed.SendNewsletterAsync("newsletter.register", recipient.Id);
        await _bed.ProcessQueueAsync();
    }

    [Fact]
    public async Task An_opt_out_reaches_only_the_recipient_with_that_address_when_the_search_ignores_the_filter()
    {
        await _bed.ConfigureAsync(_bed.SpotlerTarget());
        var others = Enumerable.Range(0, 44).Select(i => _bed.AddRecipient($"ander{i:D2}@example.nl", "direct")).ToList();
        var jan = _bed.AddRecipient("jan@example.nl", "direct");
        await SubscribeAsync(jan);
        _bed.ShopApi.IgnoresRecipientEmailFilter = true;

        _bed.Time.Advance(TimeSpan.FromMinutes(30));
        _bed.Spotler.Unsubscribe("jan@example.nl", 1, _bed.Time.GetUtcNow());
        _bed.Time.Advance(TimeSpan.FromMinutes(10));
        var pulled = await _bed.Get<PullBackRunner>().RunOnceAsync(_bed.ShopKey);

        Assert.Equal(1, pulled.OptedOut);
        Assert.Equal("optOut", jan.Status);
        Assert.All(others, r => Assert.Equal("direct", r.Status));
    }

    [Fact]
    public async Task A_confirmation_minutes_after_a_Spotler_unsubscribe_leaves_her_unsubscribed_on_both_sides()
    {
        await _bed.ConfigureAsync(_bed.SpotlerTarget());
        var els = _bed.AddRecipient("els@example.nl", "notSet");
        await SubscribeAsync(els);

        // She unsubscribes through Spotler's confirmation reminder, and clicks the shop's confirmation link
        // five minutes later: within the window of two clocks, the order is in doubt.
        _bed.Time.Advance(TimeSpan.FromHours(1));
        _bed.Spotler.Unsubscribe("els@example.nl", 1, _bed.Time.GetUtcNow());
        _bed.Time.Advance(TimeSpan.FromMinutes(5));
        els.Status = "optIn";
        els.ConfirmedAt = _bed.Time.GetUtcNow();
        els.UpdatedAt = _bed.Time.GetUtcNow();
        await _bed.SendNewsletterAsync("newsletter.confirm", els.Id);
        await _bed.ProcessQueueAsync();
        _bed.Time.Advance(TimeSpan.FromMinutes(10));
        await _bed.Get<PullBackRunner>().RunOnceAsync(_bed.ShopKey);

        Assert.False(_bed.Spotler.Contacts["els@example.nl"].Permissions[1]);
        Assert.Equal("optOut", els.Status);
    }

    [Fact]
    public async Task A_late_subscribe_webhook_does_not_overwrite_an_unsubscribe_the_target_has_since()
    {
        await _bed.ConfigureAsync(_bed.SpotlerTarget());
        var customer = _bed.AddCustomer("piet@example.nl");
        await _bed.SendCustomerWrittenAsync(customer.Id);
        await _bed.ProcessQueueAsync();
        var piet = _bed.AddRecipient("piet@example.nl", "direct");

        // Before the shop's webhook is handled, he subscribes and unsubscribes again through a Spotler form.
        _bed.Time.Advance(TimeSpan.FromMinutes(30));
        _bed.Spotler.Unsubscribe("piet@example.nl", 1, _bed.Time.GetUtcNow());
        await SubscribeAsync(piet);

        Assert.False(_bed.Spotler.Contacts["piet@example.nl"].Permissions[1]);
    }

    [Fact]
    public async Task A_shop_whose_settings_cannot_be_decrypted_shows_why_and_the_other_shops_still_get_their_unsubscribes()
    {
        await _bed.ConfigureAsync(_bed.SpotlerTarget());
        var jan = _bed.AddRecipient("jan@example.nl", "direct");
        await SubscribeAsync(jan);
        // Listed before the healthy shop, saved under a master key that was retired without being listed.
        var broken = await BrokenShopAsync();

        _bed.Time.Advance(TimeSpan.FromMinutes(30));
        _bed.Spotler.Unsubscribe("jan@example.nl", 1, _bed.Time.GetUtcNow());
        _bed.Time.Advance(TimeSpan.FromMinutes(10));
        await _bed.Get<PullBackScheduler>().RunDueAsync();

        Assert.Equal("optOut", jan.Status);
        var problems = await _bed.Get<SyncProblems>().ListAsync(broken);
        Assert.Contains(problems, p => p.Job == SyncProblems.StoredSettings && p.Reason.Contains("cannot be decrypted", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Job == SyncProblems.PullBack && p.Reason.Contains("Secrets:PreviousKeys", StringComparison.Ordinal));
        Assert.Empty(await _bed.Get<SyncProblems>().ListAsync(_bed.ShopKey));

        using var client = _bed.Shopware.Relay.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", OperatorKey);
        var view = JsonNode.Parse(await client.GetStringAsync($"/operator/shops/{Uri.EscapeDataString(broken)}/sync-status"))!;
        Assert.Contains("cannot be decrypted", view["problems"]![0]!["reason"]!.GetValue<string>(), StringComparison.Ordinal);

        using var status = await client.SendAsync(AdminTestData.Request(HttpMethod.Get, "/admin/api/status", AdminTestData.Session(_bed.Shopware.Relay.Services, broken)));
        Assert.Equal(HttpStatusCode.OK, status.StatusCode);
        var admin = JsonNode.Parse(await status.Content.ReadAsStringAsync())!;
        Assert.Contains(admin["problems"]!.AsArray(), p => p!["job"]!.GetValue<string>() == SyncProblems.PullBack);
    }

    [Fact]
    public async Task A_full_sync_of_a_shop_whose_settings_cannot_be_decrypted_waits_with_the_reason_in_its_status()
    {
        var broken = await BrokenShopAsync();
        await _bed.Get<FullSync>().StartAsync(broken);

        Assert.Equal(FullSyncRunOutcome.Retrying, await _bed.Get<FullSyncRunner>().RunAsync(broken, "instance-a"));

        var progress = await _bed.Get<FullSync>().GetAsync(broken);
        Assert.Equal(SyncState.Running, progress.State);
        Assert.Contains("cannot be decrypted", progress.Error, StringComparison.Ordinal);
        Assert.Contains(await _bed.Get<SyncProblems>().ListAsync(broken), p => p.Job == SyncProblems.FullSync);
    }

    /// <summary>A second, active shop whose stored Spotler credentials carry the id of a key this relay no longer has.</summary>
    private async Task<string> BrokenShopAsync()
    {
        var shop = await AdminTestData.SeedShopAsync(_bed.Shopware.Relay.Services, "000000broken" + Guid.NewGuid().ToString("N")[..8], "https://broken.example");
        var settings = new ShopSettings
        {
            Version = 1,
            SyncEnabled = true,
            Target = new TargetSettings
            {
                Kind = "spotler",
                Credentials = new Dictionary<string, string> { ["consumerKey"] = "v1.retired.AAAA", ["consumerSecret"] = "v1.retired.AAAA" },
            },
        };
        await _bed.Get<IRelayStore>().SetAsync(StoreKeys.ShopItem(shop.Key, "settings"), JsonSerializer.Serialize(settings, JsonDefaults.Options));
        Assert.True(string.CompareOrdinal(shop.Key, _bed.ShopKey) < 0);
        return shop.Key;
    }
}

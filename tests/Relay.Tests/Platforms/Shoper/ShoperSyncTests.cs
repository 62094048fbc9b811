using Relay.Pipeline;
using Relay.Settings;
using Relay.Sync;
using Simulators.Sare;
using Simulators.Spotler;

namespace Relay.Tests.Platforms.Shoper;

/// <summary>The same promises for a Shoper shop: subscribers reach the target, unsubscribes come back as active=false, and the echo stays home.</summary>
[Collection(ShoperTestbed.Collection)]
public sealed class ShoperSyncTests : IAsyncLifetime
{
    private ShoperTestbed _bed = null!;
    private SareSimulator _sare = null!;
    private SpotlerSimulator _spotler = null!;

    public async Task InitializeAsync()
    {
        _bed = await ShoperTestbed.StartAsync(settings: new() { ["Sync:BackgroundEnabled"] = "false" });
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

    private async Task ConfigureAsync(TargetSettings target, bool erase = false)
    {
        var (outcome, _) = await _bed.Get<ShopSettingsStore>().SaveAsync(_bed.ShopKey, new ShopSettings { Target = target, SyncEnabled = true, EraseInTargetOnDelete = erase }, 0);
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

    private async Task DeliverAsync(string eventName, string body)
    {
        using var response = await _bed.Client.SendAsync(_bed.Shop.BuildWebhookDelivery(eventName, body));
        Assert.True(response.IsSuccessStatusCode, $"webhook refused: {(int)response.StatusCode}");
        await _bed.Get<QueueWorker>().ProcessOnceAsync();
    }

    private static string SubscriberBody(string id, string email, bool active) =>
        $"{{\"subscriber_id\":\"{id}\",\"email\":\"{email}\",\"active\":\"{(active ? 1 : 0)}\",\"dateadd\":\"2024-01-15 12:34:56\"}}";

    [Fact]
    public async Task A_Shoper_subscriber_webhook_subscribes_the_address_in_SARE()
    {
        await ConfigureAsync(Sare());
        var id = _bed.Shop.SeedSubscriber("anna@example.pl");

        await DeliverAsync("subscriber.create", SubscriberBody(id, "anna@example.pl", true));

        Assert.Equal(8, _sare.Subscribers["anna@example.pl"].Status);
    }

    [Fact]
    public async Task A_deleted_subscription_unsubscribes_in_SARE()
    {
        await ConfigureAsync(Sare());
        var id = _bed.Shop.SeedSubscriber("jan@example.pl");
        await DeliverAsync("subscriber.create", SubscriberBody(id, "jan@example.pl", true));

        _bed.Shop.Read(shop => shop.Subscribers.Remove(id));
        // Not the create's body byte for byte: Shoper's dedup key is webhook id + body (see the report).
        await DeliverAsync("subscriber.delete", SubscriberBody(id, "jan@example.pl", true).Replace("}", ",\"lang_id\":\"1\"}"));

        Assert.Equal(2, _sare.Subscribers["jan@example.pl"].Status);
    }

    [Fact]
    public async Task A_SARE_unsubscribe_deactivates_the_Shoper_subscriber_and_the_echo_is_not_forwarded()
    {
        await ConfigureAsync(Sare());
        var id = _bed.Shop.SeedSubscriber("ola@example.pl");
        await DeliverAsync("subscriber.create", SubscriberBody(id, "ola@example.pl", true));

        _sare.Unsubscribe("ola@example.pl");
        var result = await _bed.Get<PullBackRunner>().RunOnceAsync(_bed.ShopKey);

        Assert.Equal(1, result.OptedOut);
        Assert.False(_bed.Shop.Read(shop => shop.Subscribers[id].Active));
        Assert.Contains(_bed.Shop.Read(shop => shop.Requests.ToList()), r => r.Method == "PUT" && r.Path.EndsWith($"/subscribers/{id}", StringComparison.Ordinal));

        // Shoper fires subscriber.edit for the relay's own PUT; SARE must not hear about it again.
        var writesBefore = _sare.Requests.Count(r => r.Path.EndsWith("/email/add", StringComparison.Ordinal));
        await DeliverAsync("subscriber.edit", SubscriberBody(id, "ola@example.pl", false));

        Assert.Equal(writesBefore, _sare.Requests.Count(r => r.Path.EndsWith("/email/add", StringComparison.Ordinal)));
        Assert.Equal(4, _sare.Subscribers["ola@example.pl"].Status);
    }

    [Fact]
    public async Task A_Spotler_unsubscribe_deactivates_the_Shoper_subscriber()
    {
        await ConfigureAsync(Spotler());
        var id = _bed.Shop.SeedSubscriber("piotr@example.pl");
        await DeliverAsync("subscriber.create", SubscriberBody(id, "piotr@example.pl", true));
        Assert.True(_spotler.Contacts["piotr@example.pl"].Permissions[1]);

        _bed.Time!.Advance(TimeSpan.FromMinutes(5));
        _spotler.Unsubscribe("piotr@example.pl", 1, _bed.Time.GetUtcNow());
        _bed.Time.Advance(TimeSpan.FromMinutes(10));
        await _bed.Get<PullBackRunner>().RunOnceAsync(_bed.ShopKey);

        Assert.False(_bed.Shop.Read(shop => shop.Subscribers[id].Active));
    }

    [Fact]
    public async Task A_full_sync_pages_through_users_and_subscribers_fifty_at_a_time()
    {
        await ConfigureAsync(Spotler());
        for (var i = 0; i < 120; i++) _bed.Shop.SeedUser($"klient{i:D3}@example.pl");
        for (var i = 0; i < 30; i++) _bed.Shop.SeedSubscriber($"klient{i:D3}@example.pl");

        await _bed.Get<FullSync>().StartAsync(_bed.ShopKey);
        await _bed.Get<FullSyncRunner>().RunAsync(_bed.ShopKey, "instance-a");

        var progress = await _bed.Get<FullSync>().GetAsync(_bed.ShopKey);
        Assert.Equal(SyncState.Completed, progress.State);
        Assert.Equal(150, progress.Done);
        Assert.Equal(120, _spotler.Contacts.Count);
        Assert.All(_bed.Shop.Read(shop => shop.Requests.Where(r => r.Path.EndsWith("/users", StringComparison.Ordinal)).ToList()),
            r => Assert.Contains("limit=50", r.Query, StringComparison.Ordinal));
        Assert.All(_spotler.ContactListBatches, size => Assert.InRange(size, 1, 50));
        Assert.True(_spotler.Contacts["klient000@example.pl"].Permissions[1]);
    }

    [Fact]
    public async Task A_client_deleted_in_Shoper_is_erased_in_the_target_when_enabled()
    {
        await ConfigureAsync(Spotler(), erase: true);
        _bed.Shop.SeedUser("weg@example.pl");
        var userId = _bed.Shop.Read(shop => shop.Users.Values.Single().UserId);
        var body = $"{{\"user_id\":\"{userId}\",\"email\":\"weg@example.pl\",\"firstname\":\"Jan\"}}";
        await DeliverAsync("client.create", body);
        Assert.False(_spotler.Contacts["weg@example.pl"].Anonymized);

        _bed.Shop.Read(shop => shop.Users.Remove(userId));
        await DeliverAsync("client.delete", body.Replace("}", ",\"active\":\"0\"}"));

        Assert.True(_spotler.Contacts["weg@example.pl"].Anonymized);
    }
}

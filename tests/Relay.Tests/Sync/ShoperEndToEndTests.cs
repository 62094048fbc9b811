using Relay.Pipeline;
using Relay.Settings;
using Relay.Sync;
using Relay.Tests.Platforms.Shoper;
using Simulators.Sare;
using Xunit.Abstractions;

namespace Relay.Tests.Sync;

/// <summary>Shoper → SARE end to end: install, first configuration starts the full sync, an edit follows, a SARE unsubscribe comes back without echo.</summary>
[Collection(ShoperTestbed.Collection)]
public sealed class ShoperEndToEndTests(ITestOutputHelper output) : IAsyncLifetime
{
    private ShoperTestbed _bed = null!;
    private SareSimulator _sare = null!;

    public async Task InitializeAsync()
    {
        // A roomy bucket: the relay's pacing follows the shop's headers, and on the manual clock a drained bucket would wait forever.
        _bed = await ShoperTestbed.StartAsync(shop: o => { o.ApiLimit = 1_000_000; o.ApiBandwidth = 1_000_000; },
            settings: new() { ["Sync:BackgroundEnabled"] = "false" });
        await _bed.InstallAsync();
        _sare = await SareSimulator.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await _sare.DisposeAsync();
        await _bed.DisposeAsync();
    }

    private async Task DeliverAsync(string eventName, string body)
    {
        using var response = await _bed.Client.SendAsync(_bed.Shop.BuildWebhookDelivery(eventName, body));
        Assert.True(response.IsSuccessStatusCode, $"webhook refused: {(int)response.StatusCode}");
        await _bed.Get<QueueWorker>().ProcessOnceAsync();
    }

    private int SareAdds() => _sare.Requests.Count(r => r.Path.EndsWith("/email/add", StringComparison.Ordinal));

    [Fact]
    public async Task Shoper_to_SARE_10000_contacts_then_an_edit_then_an_unsubscribe_back_without_echo()
    {
        const int count = 10_000;
        for (var i = 0; i < count; i++) _bed.Shop.SeedUser($"klient{i:D5}@example.pl", lastname: $"Kowalski{i}");
        var subscribers = new Dictionary<string, string>();
        for (var i = 0; i < count; i += 10) subscribers[$"klient{i:D5}@example.pl"] = _bed.Shop.SeedSubscriber($"klient{i:D5}@example.pl");

        var store = _bed.Get<ShopSettingsStore>();
        var previous = await store.GetAsync(_bed.ShopKey);
        var (_, saved) = await store.SaveAsync(_bed.ShopKey, previous with
        {
            SyncEnabled = true,
            Target = new TargetSettings
            {
                Kind = "sare",
                BaseUrl = _sare.BaseUrl,
                Credentials = new Dictionary<string, string> { ["uid"] = "12345", ["apiKey"] = "0f8fad5b-d9cb-469f-a165-70867728950e" },
                Options = new Dictionary<string, string> { ["groupIds"] = "21" },
            },
        }, previous.Version);
        Assert.Equal(SyncState.Running, (await _bed.Get<FullSync>().StartIfFirstConfigurationAsync(_bed.ShopKey, previous, saved))!.State);
        Assert.Equal(FullSyncRunOutcome.Finished, await _bed.Get<FullSyncRunner>().RunAsync(_bed.ShopKey, "worker"));
        output.WriteLine($"full sync");

        var progress = await _bed.Get<FullSync>().GetAsync(_bed.ShopKey);
        Assert.Equal(SyncState.Completed, progress.State);
        Assert.Equal(count + subscribers.Count, progress.Done);
        Assert.Equal(0, progress.Failed);
        Assert.Equal(count, _sare.Subscribers.Count);
        Assert.Contains("Kowalski4321", _sare.Subscribers["klient04321@example.pl"].Name);
        Assert.Contains(21, _sare.Subscribers["klient04321@example.pl"].Groups);
        Assert.Equal(8, _sare.Subscribers["klient00010@example.pl"].Status);

        // An edit in the shop arrives.
        var userId = _bed.Shop.Read(shop =>
        {
            var user = shop.Users.Values.Single(u => u.Email == "klient04321@example.pl");
            shop.Users[user.UserId] = user with { Lastname = "Nowak" };
            return user.UserId;
        });
        await DeliverAsync("client.edit", $"{{\"user_id\":\"{userId}\",\"email\":\"klient04321@example.pl\",\"firstname\":\"Jan\",\"lastname\":\"Nowak\"}}");
        Assert.Contains("Nowak", _sare.Subscribers["klient04321@example.pl"].Name);

        // A SARE unsubscribe reaches the shop within one pull-back run ...
        _sare.Unsubscribe("klient00020@example.pl");
        var pulled = await _bed.Get<PullBackRunner>().RunOnceAsync(_bed.ShopKey);
        Assert.Equal(1, pulled.OptedOut);
        var subscriberId = subscribers["klient00020@example.pl"];
        Assert.False(_bed.Shop.Read(shop => shop.Subscribers[subscriberId].Active));

        // ... and Shoper's subscriber.edit for the relay's own change is not sent back.
        var adds = SareAdds();
        await DeliverAsync("subscriber.edit", $"{{\"subscriber_id\":\"{subscriberId}\",\"email\":\"klient00020@example.pl\",\"active\":\"0\",\"dateadd\":\"2024-01-15 12:34:56\"}}");
        Assert.Equal(adds, SareAdds());
        Assert.Equal(4, _sare.Subscribers["klient00020@example.pl"].Status);
        output.WriteLine($"total");
    }
}

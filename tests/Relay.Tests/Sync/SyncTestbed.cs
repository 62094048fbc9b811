using System.Text.Json.Nodes;
using Relay.Pipeline;
using Relay.Settings;
using Relay.Storage;
using Relay.Sync;
using Relay.Tests.Platforms.Shopware;
using Simulators.Sare;
using Simulators.Shopware;
using Simulators.Spotler;

namespace Relay.Tests.Sync;

/// <summary>
/// A relay with an installed Shopware shop and the real target simulators, on one manual clock.
/// Nothing runs by itself: the test moves events through the queue, pulls back and runs full syncs
/// by calling the RunOnce-style methods.
/// </summary>
public sealed class SyncTestbed : IAsyncDisposable
{
    private SyncTestbed(ShopwareTestbed shopware, SpotlerSimulator spotler, SareSimulator sare)
    {
        Shopware = shopware;
        Spotler = spotler;
        Sare = sare;
    }

    public ShopwareTestbed Shopware { get; }
    public SpotlerSimulator Spotler { get; }
    public SareSimulator Sare { get; }
    public ShopwareAdminApi ShopApi => Shopware.Shop.Api;
    public string ShopKey => Shopware.ShopKey;
    public Infrastructure.ManualTimeProvider Time => Shopware.Time;
    public T Get<T>() where T : notnull => Shopware.Relay.Get<T>();

    public static async Task<SyncTestbed> StartAsync(Dictionary<string, string?>? settings = null, string? shopId = null, bool webhooksRework = false)
    {
        var shopware = await ShopwareTestbed.StartAsync(settings: Settings(settings), shopId: shopId, webhooksRework: webhooksRework);
        await shopware.InstallAsync();
        var spotler = await SpotlerSimulator.StartAsync("ck", "cs", shopware.Time);
        var sare = await SareSimulator.StartAsync();
        return new SyncTestbed(shopware, spotler, sare);
    }

    /// <summary>What the relay runs with here; a second instance started with the same settings shares the store.</summary>
    public static Dictionary<string, string?> Settings(Dictionary<string, string?>? extra = null)
    {
        var settings = new Dictionary<string, string?> { ["Sync:BackgroundEnabled"] = "false" };
        foreach (var (key, value) in extra ?? []) settings[key] = value;
        return settings;
    }

    /// <summary>Another relay process on the same store (Redis), as behind a load balancer.</summary>
    public Infrastructure.RelayApplication SecondInstance(Dictionary<string, string?> settings) =>
        new(new Dictionary<string, string?>(Settings(settings))
        {
            ["Shopware:AppName"] = ShopwareTestbed.AppName,
            ["Shopware:AppSecret"] = ShopwareTestbed.AppSecret,
            ["Shopware:PublicBaseUrl"] = "http://localhost",
            ["Pipeline:WorkersEnabled"] = "false",
        }, Time);

    public TargetSettings SpotlerTarget(string secret = "cs") => new()
    {
        Kind = "spotler",
        BaseUrl = Spotler.BaseUrl,
        Credentials = new Dictionary<string, string> { ["consumerKey"] = "ck", ["consumerSecret"] = secret },
    };

    public TargetSettings SareTarget() => new()
    {
        Kind = "sare",
        BaseUrl = Sare.BaseUrl,
        Credentials = new Dictionary<string, string> { ["uid"] = "12345", ["apiKey"] = "0f8fad5b-d9cb-469f-a165-70867728950e" },
        Options = new Dictionary<string, string> { ["groupIds"] = "21" },
    };

    /// <summary>Saves settings as the admin page would: credentials and the switch, mappings left to the defaults unless given.</summary>
    public async Task ConfigureAsync(TargetSettings target, Func<ShopSettings, ShopSettings>? adjust = null)
    {
        var store = Get<ShopSettingsStore>();
        var current = await store.GetAsync(ShopKey);
        var settings = new ShopSettings { Target = target, SyncEnabled = true };
        var (outcome, _) = await store.SaveAsync(ShopKey, adjust?.Invoke(settings) ?? settings, current.Version);
        Assert.Equal(SaveOutcome.Saved, outcome);
    }

    /// <summary>Saves as the admin API does: the save, then the first-configuration hook. Returns the full sync it started, if any.</summary>
    public async Task<SyncProgress?> SaveAsAdminAsync(Func<ShopSettings, ShopSettings> edit)
    {
        var store = Get<ShopSettingsStore>();
        var previous = await store.GetAsync(ShopKey);
        var (outcome, saved) = await store.SaveAsync(ShopKey, edit(previous), previous.Version);
        Assert.Equal(SaveOutcome.Saved, outcome);
        return await Get<FullSync>().StartIfFirstConfigurationAsync(ShopKey, previous, saved);
    }

    public SimulatedCustomer AddCustomer(string email, string? first = "Jan", string? last = "Jansen", string? number = null) =>
        ShopApi.AddCustomer(new SimulatedCustomer { Email = email, FirstName = first, LastName = last, CustomerNumber = number });

    public SimulatedNewsletterRecipient AddRecipient(string email, string status, DateTimeOffset? confirmedAt = null) =>
        ShopApi.AddNewsletterRecipient(new SimulatedNewsletterRecipient { Email = email, Status = status, ConfirmedAt = confirmedAt, FirstName = "Jan", LastName = "Jansen" });

    /// <summary>Sends a signed webhook as the shop does and makes sure the relay accepted it.</summary>
    public async Task SendAsync(string eventName, JsonNode payload)
    {
        using var response = await Shopware.Shop.SendWebhookAsync(eventName, payload);
        Assert.True(response.IsSuccessStatusCode, $"webhook refused: {(int)response.StatusCode}");
    }

    public Task SendCustomerWrittenAsync(string customerId) => SendAsync("customer.written", ShopwareTestbed.CustomerWritten(customerId));

    /// <summary>newsletter.* as Shopware 6.6 sends it: the recipient stripped down to its id.</summary>
    public Task SendNewsletterAsync(string eventName, string recipientId) => SendAsync(eventName, NewsletterPayload(recipientId));

    public static JsonObject NewsletterPayload(string recipientId) =>
        new() { ["newsletterRecipient"] = new JsonObject { ["_uniqueIdentifier"] = recipientId, ["apiAlias"] = "newsletter_recipient" } };

    /// <summary>One pass of the queue worker: everything accepted so far is handled (or scheduled for retry, or dead).</summary>
    public Task<int> ProcessQueueAsync() => Get<QueueWorker>().ProcessOnceAsync();

    public Task<IReadOnlyList<DeadLetter>> DeadLettersAsync() => Get<IRelayStore>().ListDeadLettersAsync(ShopKey, 10);

    public Task<IReadOnlyList<ActivityEntry>> ActivityAsync(ActivityOutcome? outcome = null) => Get<ActivityLog>().ReadAsync(ShopKey, 100, outcome);

    /// <summary>Spotler writes that change contacts (reads and signature checks excluded).</summary>
    public int SpotlerWrites() => Spotler.Requests.Count(r => r.Method is "POST" or "PUT");

    public async ValueTask DisposeAsync()
    {
        await Sare.DisposeAsync();
        await Spotler.DisposeAsync();
        await Shopware.DisposeAsync();
    }
}

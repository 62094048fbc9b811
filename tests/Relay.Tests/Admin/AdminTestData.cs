using System.Net.Http.Headers;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Relay.Admin;
using Relay.Pipeline;
using Relay.Shops;
using Relay.Storage;
using Relay.Sync;

namespace Relay.Tests.Admin;

/// <summary>Puts a shop's state where the admin API reads it: tenants, dead letters, activity, sync progress.</summary>
public static class AdminTestData
{
    public static async Task<ShopInfo> SeedShopAsync(IServiceProvider services, string shopId, string url, ShopStatus status = ShopStatus.Active,
        string platform = "shopware", DateTimeOffset? lastEventAt = null, string? reason = null)
    {
        var now = services.GetRequiredService<TimeProvider>().GetUtcNow();
        var shop = new ShopInfo(platform, shopId, url, status, now, now, lastEventAt, reason);
        await services.GetRequiredService<ShopDirectory>().SaveAsync(shop);
        return shop;
    }

    public static string Session(IServiceProvider services, string shopKey, string? language = null) =>
        services.GetRequiredService<AdminSessions>().Issue(shopKey, language);

    /// <summary>An event that went through the queue and was given up on, as the worker leaves it.</summary>
    public static async Task<DeadLetter> DeadLetterAsync(IServiceProvider services, string shopKey, string eventId, string error)
    {
        var store = services.GetRequiredService<IRelayStore>();
        var time = services.GetRequiredService<TimeProvider>();
        var partition = StoreKeys.PartitionOf(shopKey, services.GetRequiredService<IOptions<PipelineOptions>>().Value.Partitions);
        Assert.True(await store.AcceptAsync(new InboxEvent(shopKey, eventId, "customer.written", "{}", time.GetUtcNow()), TimeSpan.FromDays(1)));
        var item = Assert.Single(await store.ReadAsync(partition, "admin-tests", 10), i => i.Event.EventId == eventId);
        await store.DeadLetterAsync(item, error, time.GetUtcNow());
        return Assert.Single(await store.ListDeadLettersAsync(shopKey, 100), d => d.Event.EventId == eventId);
    }

    public static async Task<int> QueuedAsync(IServiceProvider services, string shopKey)
    {
        var partition = StoreKeys.PartitionOf(shopKey, services.GetRequiredService<IOptions<PipelineOptions>>().Value.Partitions);
        return (int)(await services.GetRequiredService<IRelayStore>().GetDepthAsync(partition)).Waiting;
    }

    /// <summary>
    /// Writes a full sync's progress the way the sync engine reports it through <see cref="FullSync"/>'s
    /// document, so API tests can look at a sync in flight without running the engine.
    /// </summary>
    public static Task ReportSyncProgressAsync(IServiceProvider services, string shopKey, SyncProgress progress) =>
        services.GetRequiredService<IRelayStore>().SetAsync(StoreKeys.ShopItem(shopKey, "fullsync"), JsonSerializer.Serialize(progress, JsonDefaults.Options));

    public static HttpRequestMessage Request(HttpMethod method, string path, string? token, object? body = null)
    {
        var request = new HttpRequestMessage(method, path);
        if (token is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        if (body is not null) request.Content = JsonContent(body);
        return request;
    }

    public static StringContent JsonContent(object body) =>
        new(body as string ?? JsonSerializer.Serialize(body, JsonDefaults.Options), System.Text.Encoding.UTF8, "application/json");
}

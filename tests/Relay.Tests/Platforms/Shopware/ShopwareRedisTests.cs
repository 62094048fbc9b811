using System.Net;
using System.Text.Json.Nodes;
using Relay.Platforms.Shopware;
using Relay.Shops;
using Relay.Storage;
using Relay.Tests.Infrastructure;
using Simulators.Shopware;

namespace Relay.Tests.Platforms.Shopware;

/// <summary>The same protocol on the production store: a real redis-server or the cluster (each test uses its own shop id).</summary>
public abstract class ShopwareRedisContract(ITestRedis redis) : IAsyncLifetime
{
    // The queue counts below are per partition, which shops of earlier tests on the same Redis share.
    public Task InitializeAsync() => redis.FlushAllAsync();

    public Task DisposeAsync() => Task.CompletedTask;

    private Task<ShopwareTestbed> StartAsync() =>
        ShopwareTestbed.StartAsync(settings: new() { ["Storage:Redis"] = redis.ConnectionString });

    [Fact]
    public async Task Install_webhooks_rotation_admin_api_and_uninstall_on_redis()
    {
        await using var bed = await StartAsync();
        await bed.InstallAsync();

        using var first = await bed.Shop.SendWebhookAsync("customer.written", ShopwareTestbed.CustomerWritten("c1"), eventId: "evt-1");
        using var again = await bed.Shop.SendWebhookAsync("customer.written", ShopwareTestbed.CustomerWritten("c1"), eventId: "evt-1");
        Assert.Equal(HttpStatusCode.NoContent, first.StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, again.StatusCode);
        Assert.Equal(1, await bed.QueuedAsync());

        var oldSecret = bed.Shop.ShopSecret!;
        Assert.True((await bed.Shop.RegisterAsync()).Succeeded);
        using var graced = await bed.Shop.SendWebhookAsync("customer.written", ShopwareTestbed.CustomerWritten("c2"), signWith: oldSecret);
        Assert.Equal(HttpStatusCode.NoContent, graced.StatusCode);

        bed.Shop.Api.AddNewsletterRecipient(new SimulatedNewsletterRecipient { Email = "r@example.com", Status = "optIn" });
        var client = bed.AdminClient();
        var access = (await client.AccessForAsync(bed.Shop.ShopId))!;
        var recipient = (await client.SearchNewsletterRecipientsAsync(access, new ShopwareCriteria())).Data.Single();
        await client.SetNewsletterStatusAsync(access, recipient.Id, ShopwareNewsletterStatus.OptOut);
        Assert.Equal("optOut", bed.Shop.Api.NewsletterRecipients.Single().Status);

        using var deleted = await bed.Shop.SendLifecycleAsync("app.deleted", new JsonObject { ["keepUserData"] = false });
        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        Assert.Null(await bed.Relay.Get<ShopDirectory>().GetAsync(bed.ShopKey));
        Assert.Empty(await bed.Relay.Get<IRelayStore>().ListKeysAsync(StoreKeys.Shop(bed.ShopKey)));
        Assert.Equal(0, await bed.QueuedAsync());
    }

    [Fact]
    public async Task App_deleted_forgets_every_key_of_a_shop_with_a_large_ledger()
    {
        await using var bed = await StartAsync();
        await bed.InstallAsync();
        var store = bed.Relay.Get<IRelayStore>();
        // A synced shop owns a ledger key per contact: far more keys than one delete chunk.
        await store.SetManyAsync(Enumerable.Range(0, 1_234)
            .Select(i => KeyValuePair.Create(StoreKeys.ShopItem(bed.ShopKey, $"ledger:contact:{i}"), "{}")).ToList());

        using var deleted = await bed.Shop.SendLifecycleAsync("app.deleted", new JsonObject { ["keepUserData"] = false });

        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        Assert.Empty(await store.ListKeysAsync(StoreKeys.Shop(bed.ShopKey)));
        Assert.Null(await bed.Relay.Get<ShopDirectory>().GetAsync(bed.ShopKey));
    }
}

public sealed class ShopwareRedisTests(RedisServer redis) : ShopwareRedisContract(redis), IClassFixture<RedisServer>;

[Collection(RedisCluster.Collection)]
public sealed class ShopwareRedisClusterTests(RedisCluster cluster) : ShopwareRedisContract(cluster);

using System.Net;
using Relay.Tests.Infrastructure;
using Simulators.Shoper;

namespace Relay.Tests.Platforms.Shoper;

/// <summary>The production shape: several relay processes on one Redis (or one cluster), one Shoper shop between them.</summary>
public abstract class ShoperRedisContract(ITestRedis redis)
{
    private Dictionary<string, string?> OnRedis => new() { ["Storage:Redis"] = redis.ConnectionString };

    private static void Bucket(ShoperSimulatorOptions o)
    {
        o.ApiLimit = 5;
        o.ApiBandwidth = 20;
        o.ShopLicense = "redis" + Guid.NewGuid().ToString("N");
    }

    [Fact]
    public async Task Two_relay_processes_on_one_redis_pace_one_shop_together()
    {
        await using var first = await ShoperTestbed.StartAsync(manualTime: false, shop: Bucket, settings: OnRedis);
        await first.InstallAsync();
        first.Shop.SeedSubscriber("anna@example.com");
        // A second relay on the same Redis, reaching the same shop (its own simulator stays unused).
        await using var second = await ShoperTestbed.StartAsync(manualTime: false, shop: o => { Bucket(o); o.ShopLicense = first.Shop.Options.ShopLicense; }, settings: OnRedis);
        Assert.NotNull(await second.RecordAsync());

        await Task.WhenAll(Sequence(first, 20), Sequence(second, 20));

        Assert.Equal(40, first.Shop.Requests.Count(r => r.Path == "/webapi/rest/subscribers" && r.Status == 200));
        Assert.Equal(0, first.Shop.TooManyRequests);
    }

    [Fact]
    public async Task A_webhook_accepted_by_one_process_is_a_duplicate_for_the_other()
    {
        await using var first = await ShoperTestbed.StartAsync(shop: Bucket, settings: OnRedis);
        await first.InstallAsync();
        await using var second = await ShoperTestbed.StartAsync(shop: o => { Bucket(o); o.ShopLicense = first.Shop.Options.ShopLicense; }, settings: OnRedis);
        const string body = "{\"user_id\":\"1001\",\"email\":\"anna@example.com\"}";

        using var a = await first.Client.SendAsync(first.Shop.BuildWebhookDelivery("client.create", body));
        using var b = await second.Client.SendAsync(first.Shop.BuildWebhookDelivery("client.create", body));

        Assert.Equal(HttpStatusCode.OK, a.StatusCode);
        Assert.Contains("\"accepted\"", await a.Content.ReadAsStringAsync());
        Assert.Contains("\"duplicate\"", await b.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Two_relay_processes_on_one_redis_page_5000_subscribers_through_a_bucket_of_10_draining_2_a_second_with_no_429()
    {
        // One virtual clock for both relays and the shop's bucket (see ShoperClientTests); the two
        // processes only know of each other through Redis. Taking turns keeps the clock exact, and two
        // instances pacing alone would each send 1.8 a second into a bucket draining 2.
        var clock = new Relay.Tests.Targets.VirtualTimeProvider();
        var license = "redis" + Guid.NewGuid().ToString("N");
        void Bucket(ShoperSimulatorOptions o)
        {
            ShoperClientTests.DefaultBucket(o);
            o.ShopLicense = license;
        }
        await using var first = await ShoperTestbed.StartAsync(clock: clock, shop: Bucket, settings: OnRedis);
        await first.InstallAsync();
        await using var second = await ShoperTestbed.StartAsync(clock: clock, shop: Bucket, settings: OnRedis);
        Assert.NotNull(await second.RecordAsync());
        for (var i = 0; i < 5000; i++)
            first.Shop.SeedSubscriber($"s{i:D4}@example.com");
        var started = clock.GetUtcNow();

        var ids = await ShoperClientTests.PageAllSubscribers([first.ShoperClient(), second.ShoperClient()], first.ShopKey);

        Assert.Equal(5000, ids.Distinct().Count());
        var calls = first.Shop.Requests.Where(r => r.Path == "/webapi/rest/subscribers").ToList();
        Assert.Equal(100, calls.Count);
        Assert.All(calls, c => Assert.Equal(200, c.Status));
        Assert.Equal(0, first.Shop.TooManyRequests);
        Assert.Empty(second.Shop.Requests);
        Assert.True(clock.GetUtcNow() - started >= TimeSpan.FromSeconds(45), $"only {clock.GetUtcNow() - started} of bucket time passed");
    }

    [Fact]
    public async Task An_uninstall_forgets_every_key_of_the_shop_so_its_webhooks_are_refused()
    {
        await using var bed = await ShoperTestbed.StartAsync(shop: Bucket, settings: OnRedis);
        await bed.InstallAsync();
        // Signed while the shop's webhook still exists; delivered after the uninstall.
        using var late = bed.Shop.BuildWebhookDelivery("client.create", "{\"user_id\":\"1001\",\"email\":\"anna@example.com\"}");

        using var uninstall = await bed.Shop.SendNotificationAsync(bed.Client, "uninstall");

        Assert.Equal(HttpStatusCode.OK, uninstall.StatusCode);
        Assert.Empty(await bed.Get<Relay.Storage.IRelayStore>().ListKeysAsync(Relay.Storage.StoreKeys.Shop(bed.ShopKey)));
        using var refused = await bed.Client.SendAsync(late);
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
    }

    private static async Task Sequence(ShoperTestbed bed, int count)
    {
        var client = bed.ShoperClient();
        for (var i = 0; i < count; i++)
            await client.ListSubscribersAsync(bed.ShopKey);
    }
}

[Collection(ShoperTestbed.Collection)]
public sealed class ShoperRedisTests(RedisServer redis) : ShoperRedisContract(redis), IClassFixture<RedisServer>;

[Collection(RedisCluster.Collection)]
public sealed class ShoperRedisClusterTests(RedisCluster cluster) : ShoperRedisContract(cluster);

using System.Net;
using Relay.Storage;
using Relay.Tests.Infrastructure;

namespace Relay.Tests.Platforms.Shoprenter;

/// <summary>The production shape: relay processes on one Redis (or one cluster), one Shoprenter shop between them.</summary>
public abstract class ShoprenterRedisContract(ITestRedis redis)
{
    private Dictionary<string, string?> OnRedis => new() { ["Storage:Redis"] = redis.ConnectionString };

    private static void UniqueShop(Simulators.Shoprenter.ShoprenterSimulatorOptions o) => o.ShopName = "redis" + Guid.NewGuid().ToString("N")[..12];

    [Fact]
    public async Task An_install_on_one_process_serves_webhooks_on_the_other_once()
    {
        await using var first = await ShoprenterTestbed.StartAsync(shop: UniqueShop, settings: OnRedis);
        await first.InstallAsync();
        var id = first.Shop.SeedSubscriber("anna@example.hu");
        await using var second = await ShoprenterTestbed.StartAsync(shop: o => o.ShopName = first.Shop.Options.ShopName, settings: OnRedis);

        using var a = await first.Client.SendAsync(first.Shop.BuildWebhookDelivery("newsletter_subscribe", first.Shop.NewsletterPayload(id)));
        using var b = await second.Client.SendAsync(first.Shop.BuildWebhookDelivery("newsletter_subscribe", first.Shop.NewsletterPayload(id)));

        Assert.Equal(HttpStatusCode.OK, a.StatusCode);
        Assert.Contains("\"accepted\"", await a.Content.ReadAsStringAsync());
        Assert.Contains("\"duplicate\"", await b.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task An_uninstall_forgets_every_key_of_the_shop_so_its_webhook_url_is_refused()
    {
        await using var bed = await ShoprenterTestbed.StartAsync(shop: UniqueShop, settings: OnRedis);
        await bed.InstallAsync();
        var id = bed.Shop.SeedSubscriber("anna@example.hu");
        using var late = bed.Shop.BuildWebhookDelivery("newsletter_subscribe", bed.Shop.NewsletterPayload(id));

        using var uninstall = await bed.Client.GetAsync(bed.Shop.BuildSignedPath("/shoprenter/uninstall", withAppUrl: false));

        Assert.Equal(HttpStatusCode.OK, uninstall.StatusCode);
        Assert.Empty(await bed.Get<IRelayStore>().ListKeysAsync(StoreKeys.Shop(bed.ShopKey)));
        using var refused = await bed.Client.SendAsync(late);
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
    }

    [Fact]
    public async Task A_forged_install_stores_nothing_in_Redis()
    {
        await using var bed = await ShoprenterTestbed.StartAsync(shop: UniqueShop, settings: OnRedis);

        using var response = await bed.Client.GetAsync(bed.Shop.BuildSignedPath("/shoprenter/install", secret: "forged"));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Empty(await bed.Get<IRelayStore>().ListKeysAsync(StoreKeys.Shop(bed.ShopKey)));
    }
}

[Collection(ShoprenterTestbed.Collection)]
public sealed class ShoprenterRedisTests(RedisServer redis) : ShoprenterRedisContract(redis), IClassFixture<RedisServer>;

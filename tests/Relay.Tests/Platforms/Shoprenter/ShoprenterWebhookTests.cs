using System.Net;
using System.Text;
using Relay.Platforms.Shoprenter;
using Relay.Storage;

namespace Relay.Tests.Platforms.Shoprenter;

/// <summary>
/// Shoprenter signs no webhook: a delivery is genuine when it reaches the per-shop secret URL the relay
/// registered. Every other URL, an old one after rotation, a body in the other type, or a shop that was
/// uninstalled gets a clear 4xx and nothing is queued.
/// </summary>
[Collection(ShoprenterTestbed.Collection)]
public sealed class ShoprenterWebhookTests
{
    [Fact]
    public async Task A_delivery_to_the_registered_url_is_queued_once_with_its_event()
    {
        await using var bed = await ShoprenterTestbed.StartAsync();
        await bed.InstallAsync();
        var id = bed.Shop.SeedSubscriber("anna@example.hu");

        using var first = await bed.Client.SendAsync(bed.Shop.BuildWebhookDelivery("newsletter_subscribe", bed.Shop.NewsletterPayload(id)));
        using var again = await bed.Client.SendAsync(bed.Shop.BuildWebhookDelivery("newsletter_subscribe", bed.Shop.NewsletterPayload(id)));

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Contains("\"accepted\"", await first.Content.ReadAsStringAsync());
        Assert.Contains("\"duplicate\"", await again.Content.ReadAsStringAsync());
        Assert.Equal(1, await bed.QueuedAsync());
    }

    [Fact]
    public async Task A_wrong_secret_or_another_shop_in_the_path_is_401_and_nothing_is_queued()
    {
        await using var bed = await ShoprenterTestbed.StartAsync();
        await bed.InstallAsync();
        var id = bed.Shop.SeedSubscriber("anna@example.hu");
        var path = new Uri(bed.Shop.Read(s => s.Webhooks.Values.First(w => w.Event == "newsletter_subscribe")).Url).AbsolutePath;
        var secret = path.Split('/')[^2];

        foreach (var wrong in new[] { path.Replace(secret, new string('a', 64)), path.Replace("/demoshop/", "/othershop/"), path.Replace(secret, "") })
        {
            using var response = await bed.Client.PostAsync(wrong, new StringContent(bed.Shop.NewsletterPayload(id), Encoding.UTF8, "application/json"));
            Assert.True(response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.NotFound, $"{wrong}: {(int)response.StatusCode}");
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        }
        Assert.Equal(0, await bed.QueuedAsync());
    }

    [Fact]
    public async Task Registering_again_rotates_the_secret_and_the_old_url_is_refused()
    {
        await using var bed = await ShoprenterTestbed.StartAsync();
        await bed.InstallAsync();
        var id = bed.Shop.SeedSubscriber("anna@example.hu");
        var old = bed.Shop.Read(s => s.Webhooks.Values.First(w => w.Event == "newsletter_subscribe")).Url;

        Assert.True(await bed.Get<ShoprenterWebhooks>().RegisterAsync(bed.ShopKey, CancellationToken.None));

        var hooks = bed.Shop.Read(s => s.Webhooks.Values.ToList());
        Assert.Equal(5, hooks.Count);
        Assert.DoesNotContain(hooks, h => h.Url == old);
        using var stale = await bed.Client.PostAsync(new Uri(old).AbsolutePath, new StringContent(bed.Shop.NewsletterPayload(id), Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.Unauthorized, stale.StatusCode);
        using var fresh = await bed.Client.SendAsync(bed.Shop.BuildWebhookDelivery("newsletter_subscribe", bed.Shop.NewsletterPayload(id)));
        Assert.Equal(HttpStatusCode.OK, fresh.StatusCode);
        Assert.Equal(1, await bed.QueuedAsync());
    }

    [Fact]
    public async Task XML_where_JSON_was_asked_is_415_and_nothing_is_queued()
    {
        await using var bed = await ShoprenterTestbed.StartAsync();
        await bed.InstallAsync();
        var id = bed.Shop.SeedSubscriber("anna@example.hu");

        using var response = await bed.Client.SendAsync(bed.Shop.BuildWebhookDelivery("newsletter_subscribe", bed.Shop.NewsletterPayload(id, "xml"), type: "xml"));

        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("XML where JSON was asked", await response.Content.ReadAsStringAsync());
        Assert.Equal(0, await bed.QueuedAsync());
    }

    [Fact]
    public async Task Webhooks_registered_as_XML_are_read_from_XML_and_queued_as_JSON()
    {
        await using var bed = await ShoprenterTestbed.StartAsync(settings: new() { ["Shoprenter:WebhookFormat"] = "xml" });
        await bed.InstallAsync();
        Assert.All(bed.Shop.Read(s => s.Webhooks.Values.ToList()), h => Assert.Equal("xml", h.Type));
        var id = bed.Shop.SeedSubscriber("anna@example.hu");

        using var response = await bed.Client.SendAsync(bed.Shop.BuildWebhookDelivery("newsletter_subscribe", bed.Shop.NewsletterPayload(id, "xml")));
        using var json = await bed.Client.SendAsync(bed.Shop.BuildWebhookDelivery("newsletter_subscribe", bed.Shop.NewsletterPayload(id, "json"), type: "json"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, json.StatusCode);
        var queued = await bed.Get<IRelayStore>().ReadAsync(StoreKeys.PartitionOf(bed.ShopKey, 4), "test", 10);
        var body = Assert.Single(queued).Event;
        Assert.Equal("shoprenter.webhook:newsletter_subscribe", body.Kind);
        Assert.Contains("\"email\":\"anna@example.hu\"", body.Body);
    }

    [Fact]
    public async Task A_malformed_or_oversized_body_and_an_unknown_event_are_4xx()
    {
        await using var bed = await ShoprenterTestbed.StartAsync(settings: new() { ["Shoprenter:MaxWebhookBodyBytes"] = "2048" });
        await bed.InstallAsync();
        var path = new Uri(bed.Shop.Read(s => s.Webhooks.Values.First(w => w.Event == "newsletter_subscribe")).Url).AbsolutePath;

        using var malformed = await bed.Client.PostAsync(path, new StringContent("{\"newsletter\":", Encoding.UTF8, "application/json"));
        using var oversized = await bed.Client.PostAsync(path, new StringContent("{\"x\":\"" + new string('x', 4096) + "\"}", Encoding.UTF8, "application/json"));
        using var unknown = await bed.Client.PostAsync(path.Replace("newsletter_subscribe", "customer_delete"), new StringContent("{}", Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.BadRequest, malformed.StatusCode);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, oversized.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, unknown.StatusCode);
        Assert.Equal(0, await bed.QueuedAsync());
    }
}

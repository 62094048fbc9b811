using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Relay.Platforms.Shopware;
using Simulators.Shopware;

namespace Relay.Tests.Platforms.Shopware;

/// <summary>
/// Protocol §3.2, WEBHOOKS_REWORK (ADR 2026-04-14): deliveries carry X-Shopware-Event-Id, X-Shopware-Sequence and
/// X-Shopware-Attempt and Shopware retries them itself; legacy deliveries carry none of them.
/// </summary>
public sealed class ShopwareDeliveryTests
{
    private static JsonArray Written(string id = "c1") => ShopwareTestbed.CustomerWritten(id);

    [Fact]
    public async Task A_reworked_delivery_is_queued_with_its_event_id_and_sequence()
    {
        await using var bed = await ShopwareTestbed.StartAsync(webhooksRework: true);
        await bed.InstallAsync();
        var delivery = bed.Shop.NewWebhook("customer.written", Written());

        using var response = await bed.Shop.DeliverAsync(delivery);

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        var item = Assert.Single(await bed.DrainAsync());
        Assert.Equal(delivery.EventId, item.Event.EventId);
        Assert.Equal(delivery.Sequence, item.Event.Sequence);
        Assert.NotNull(item.Event.Sequence);
    }

    [Fact]
    public async Task A_retry_with_a_higher_attempt_is_accepted_once()
    {
        await using var bed = await ShopwareTestbed.StartAsync(webhooksRework: true);
        await bed.InstallAsync();
        var delivery = bed.Shop.NewWebhook("customer.written", Written());

        using var first = await bed.Shop.DeliverAsync(delivery);
        bed.Time.Advance(TimeSpan.FromSeconds(5));
        // Shopware did not see the answer (a timeout on its side) and sends attempt 1: a new timestamp, the same event.
        using var retry = await bed.Shop.DeliverAsync(delivery);

        Assert.Equal(HttpStatusCode.NoContent, retry.StatusCode);
        Assert.Equal(2, delivery.Attempts);
        Assert.Equal(1, await bed.QueuedAsync());
    }

    [Fact]
    public async Task Dedup_keys_on_the_event_id_header_when_there_is_one()
    {
        await using var bed = await ShopwareTestbed.StartAsync(webhooksRework: true);
        await bed.InstallAsync();

        // Same header, different source.eventId: one event. Different header, same source.eventId: two.
        using var a = await SendAsync(bed, sourceEventId: "body-1", eventIdHeader: "evt-A", sequence: "1");
        using var b = await SendAsync(bed, sourceEventId: "body-2", eventIdHeader: "evt-A", sequence: "1");
        using var c = await SendAsync(bed, sourceEventId: "body-1", eventIdHeader: "evt-B", sequence: "2");

        Assert.All(new[] { a, b, c }, r => Assert.Equal(HttpStatusCode.NoContent, r.StatusCode));
        Assert.Equal(["evt-A", "evt-B"], (await bed.DrainAsync()).Select(i => i.Event.EventId).Order());
    }

    [Fact]
    public async Task A_legacy_delivery_is_deduplicated_on_source_eventId_and_has_no_sequence()
    {
        await using var bed = await ShopwareTestbed.StartAsync();
        await bed.InstallAsync();
        var delivery = bed.Shop.NewWebhook("customer.written", Written(), eventId: "legacy-1");
        Assert.Null(delivery.Sequence);

        using var first = await bed.Shop.DeliverAsync(delivery);
        using var again = await bed.Shop.DeliverAsync(delivery);

        var item = Assert.Single(await bed.DrainAsync());
        Assert.Equal("legacy-1", item.Event.EventId);
        Assert.Null(item.Event.Sequence);
        Assert.Empty(bed.Shop.PendingWebhooks); // without the rework Shopware keeps no outbox for the app
    }

    [Theory]
    [InlineData("-1")]
    [InlineData("12a")]
    [InlineData("1.5")]
    [InlineData("99999999999999999999")]
    public async Task A_sequence_header_that_is_not_a_non_negative_integer_is_a_400_problem(string sequence)
    {
        await using var bed = await ShopwareTestbed.StartAsync(webhooksRework: true);
        await bed.InstallAsync();

        using var response = await SendAsync(bed, sourceEventId: "e-1", eventIdHeader: "e-1", sequence: sequence);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains(ShopwareWebhooks.SequenceHeader, await response.Content.ReadAsStringAsync());
        Assert.Equal(0, await bed.QueuedAsync());
    }

    [Fact]
    public async Task A_refused_delivery_is_retried_by_Shopware_on_its_schedule_with_the_same_event_id()
    {
        await using var bed = await ShopwareTestbed.StartAsync(webhooksRework: true);
        await bed.InstallAsync();
        (await bed.Shop.SendLifecycleAsync("app.deactivated", new JsonArray())).Dispose();
        var delivery = bed.Shop.NewWebhook("customer.written", Written());

        using var refused = await bed.Shop.DeliverAsync(delivery);
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        Assert.Same(delivery, Assert.Single(bed.Shop.PendingWebhooks));
        Assert.Equal(bed.Time.GetUtcNow() + TimeSpan.FromSeconds(5), delivery.DueAt);

        (await bed.Shop.SendLifecycleAsync("app.activated", new JsonArray())).Dispose();
        bed.Time.Advance(TimeSpan.FromSeconds(4));
        Assert.Equal(0, await bed.Shop.RetryDueWebhooksAsync());
        bed.Time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(1, await bed.Shop.RetryDueWebhooksAsync());

        Assert.Empty(bed.Shop.PendingWebhooks);
        Assert.Equal(2, delivery.Attempts);
        var item = Assert.Single(await bed.DrainAsync());
        Assert.Equal(delivery.EventId, item.Event.EventId);
        Assert.Equal(delivery.Sequence, item.Event.Sequence);
    }

    [Fact]
    public async Task Shopware_gives_up_after_its_fifth_retry()
    {
        await using var bed = await ShopwareTestbed.StartAsync(webhooksRework: true);
        await bed.InstallAsync();
        (await bed.Shop.SendLifecycleAsync("app.deactivated", new JsonArray())).Dispose();
        var delivery = bed.Shop.NewWebhook("customer.written", Written());
        (await bed.Shop.DeliverAsync(delivery)).Dispose();

        foreach (var wait in ShopwareShopSimulator.ReworkRetrySchedule)
        {
            Assert.Single(bed.Shop.PendingWebhooks);
            bed.Time.Advance(wait);
            Assert.Equal(1, await bed.Shop.RetryDueWebhooksAsync());
        }

        Assert.Equal(6, delivery.Attempts);
        Assert.Empty(bed.Shop.PendingWebhooks);
    }

    [Fact]
    public async Task The_flag_can_be_switched_on_a_running_shop_over_the_simulators_control_routes()
    {
        await using var bed = await ShopwareTestbed.StartAsync();
        await bed.InstallAsync();
        using var http = new HttpClient { BaseAddress = new Uri(bed.Shop.Origin) };

        using var on = await http.PostAsync("/_sim/webhooks-rework?on=true", null);
        var shop = JsonNode.Parse(await http.GetStringAsync("/_sim/shop"))!;

        Assert.True(on.IsSuccessStatusCode);
        Assert.True((bool)shop["webhooksRework"]!);
        Assert.NotNull(bed.Shop.NewWebhook("customer.written", Written()).Sequence);
        using var retried = await http.PostAsync("/_sim/webhooks/retry", null);
        Assert.Equal(0, (int)JsonNode.Parse(await retried.Content.ReadAsStringAsync())!["sent"]!);
    }

    /// <summary>A signed delivery whose headers the test chooses (the simulator always sends consistent ones).</summary>
    private static Task<HttpResponseMessage> SendAsync(ShopwareTestbed bed, string sourceEventId, string eventIdHeader, string sequence)
    {
        var body = bed.Shop.WebhookBody("customer.written", Written(), eventId: sourceEventId);
        var request = new HttpRequestMessage(HttpMethod.Post, "/shopware/webhook") { Content = new ByteArrayContent(Encoding.UTF8.GetBytes(body)) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        request.Headers.Add("shopware-shop-signature", ShopwareShopSimulator.Sign(bed.Shop.ShopSecret!, body));
        request.Headers.Add(ShopwareWebhooks.EventIdHeader, eventIdHeader);
        request.Headers.Add(ShopwareWebhooks.SequenceHeader, sequence);
        request.Headers.Add(ShopwareWebhooks.AttemptHeader, "0");
        return bed.Client.SendAsync(request);
    }
}

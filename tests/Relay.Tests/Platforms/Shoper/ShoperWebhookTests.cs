using System.Net;
using System.Net.Http.Json;
using Relay.Platforms.Shoper;
using Relay.Storage;
using Simulators.Shoper;

namespace Relay.Tests.Platforms.Shoper;

/// <summary>Protocol §5: deliveries are verified with X-Webhook-Sha1, resolved by X-Shop-License, de-duplicated and queued.</summary>
[Collection(ShoperTestbed.Collection)]
public sealed class ShoperWebhookTests
{
    private const string SubscriberBody = "{\"subscriber_id\":\"1001\",\"email\":\"anna@example.com\",\"active\":\"1\"}";

    [Theory]
    [InlineData(SimWebhookSigning.RegisteredSecret)]
    [InlineData(SimWebhookSigning.DerivedAppKey)]
    [InlineData(SimWebhookSigning.AppstoreSecret)]
    public async Task A_delivery_signed_with_any_of_the_three_keys_is_queued(SimWebhookSigning signing)
    {
        await using var bed = await ShoperTestbed.StartAsync();
        await bed.InstallAsync();

        using var response = await bed.Client.SendAsync(bed.Shop.BuildWebhookDelivery("subscriber.create", SubscriberBody, signing));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(1, await bed.QueuedAsync());
        var store = bed.Get<IRelayStore>();
        var item = Assert.Single(await store.ReadAsync(StoreKeys.PartitionOf(bed.ShopKey, 4), "test", 10));
        Assert.Equal(bed.ShopKey, item.Event.ShopKey);
        Assert.Equal("shoper.webhook:subscriber.create", item.Event.Kind); // the event name travels with the body
        Assert.Equal(SubscriberBody, item.Event.Body);
    }

    [Fact]
    public async Task A_wrong_signature_is_refused_and_nothing_is_queued()
    {
        await using var bed = await ShoperTestbed.StartAsync();
        await bed.InstallAsync();
        using var request = bed.Shop.BuildWebhookDelivery("subscriber.create", SubscriberBody);
        request.Headers.Remove("X-Webhook-Sha1");
        request.Headers.Add("X-Webhook-Sha1", ShoperShopSimulator.WebhookSha1("1", "guess", "{}"u8.ToArray()));

        using var response = await bed.Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(0, await bed.QueuedAsync());
    }

    [Fact]
    public async Task A_body_changed_after_signing_is_refused()
    {
        await using var bed = await ShoperTestbed.StartAsync();
        await bed.InstallAsync();
        using var request = bed.Shop.BuildWebhookDelivery("subscriber.create", SubscriberBody);
        request.Content = new StringContent(SubscriberBody.Replace("anna", "eve"), System.Text.Encoding.UTF8, "application/json");

        using var response = await bed.Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal(0, await bed.QueuedAsync());
    }

    [Fact]
    public async Task A_delivery_for_an_unknown_shop_is_refused()
    {
        await using var bed = await ShoperTestbed.StartAsync();

        using var response = await bed.Client.SendAsync(bed.Shop.BuildWebhookDelivery("subscriber.create", SubscriberBody, SimWebhookSigning.AppstoreSecret));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal(0, await bed.QueuedAsync());
        Assert.Empty(await bed.Get<IRelayStore>().ListKeysAsync(StoreKeys.Shop(bed.ShopKey)));
    }

    [Fact]
    public async Task An_unsigned_delivery_is_refused()
    {
        await using var bed = await ShoperTestbed.StartAsync();
        await bed.InstallAsync();

        using var response = await bed.Client.PostAsync("/shoper/webhooks", new StringContent(SubscriberBody));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal(0, await bed.QueuedAsync());
    }

    [Fact]
    public async Task A_delivery_without_a_shop_license_or_signature_header_is_refused()
    {
        await using var bed = await ShoperTestbed.StartAsync();
        await bed.InstallAsync();
        using var noLicense = bed.Shop.BuildWebhookDelivery("subscriber.create", SubscriberBody);
        noLicense.Headers.Remove("X-Shop-License");
        using var noHash = bed.Shop.BuildWebhookDelivery("subscriber.create", SubscriberBody);
        noHash.Headers.Remove("X-Webhook-Sha1");
        using var otherLicense = bed.Shop.BuildWebhookDelivery("subscriber.create", SubscriberBody, SimWebhookSigning.AppstoreSecret);
        otherLicense.Headers.Remove("X-Shop-License");
        otherLicense.Headers.Add("X-Shop-License", "ffffffffffffffffffffffffffffffffffffffff");

        using var a = await bed.Client.SendAsync(noLicense);
        using var b = await bed.Client.SendAsync(noHash);
        using var c = await bed.Client.SendAsync(otherLicense);

        Assert.True(a.StatusCode is >= HttpStatusCode.BadRequest and < HttpStatusCode.InternalServerError, $"no license: {a.StatusCode}");
        Assert.Equal(HttpStatusCode.Unauthorized, b.StatusCode);
        Assert.True(c.StatusCode is >= HttpStatusCode.BadRequest and < HttpStatusCode.InternalServerError, $"unknown license: {c.StatusCode}");
        Assert.Equal(0, await bed.QueuedAsync());
        Assert.Empty(await bed.Get<IRelayStore>().ListKeysAsync(StoreKeys.Shop(Relay.Shops.ShopKeys.Of("shoper", "ffffffffffffffffffffffffffffffffffffffff"))));
    }

    [Fact]
    public async Task The_same_delivery_twice_is_accepted_once()
    {
        await using var bed = await ShoperTestbed.StartAsync();
        await bed.InstallAsync();

        using var first = await bed.Client.SendAsync(bed.Shop.BuildWebhookDelivery("subscriber.create", SubscriberBody));
        using var again = await bed.Client.SendAsync(bed.Shop.BuildWebhookDelivery("subscriber.create", SubscriberBody));
        using var other = await bed.Client.SendAsync(bed.Shop.BuildWebhookDelivery("subscriber.edit", SubscriberBody.Replace("\"1\"}", "\"0\"}")));

        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.Equal("accepted", (await first.Content.ReadFromJsonAsync<ShoperAck>())!.Status);
        Assert.Equal("duplicate", (await again.Content.ReadFromJsonAsync<ShoperAck>())!.Status);
        Assert.Equal("accepted", (await other.Content.ReadFromJsonAsync<ShoperAck>())!.Status);
        Assert.Equal(2, await bed.QueuedAsync());
    }

    [Fact]
    public async Task A_delete_with_the_same_body_as_the_create_is_a_delivery_of_its_own()
    {
        await using var bed = await ShoperTestbed.StartAsync();
        await bed.InstallAsync();

        using var create = await bed.Client.SendAsync(bed.Shop.BuildWebhookDelivery("subscriber.create", SubscriberBody));
        using var delete = await bed.Client.SendAsync(bed.Shop.BuildWebhookDelivery("subscriber.delete", SubscriberBody));

        Assert.Equal("accepted", (await create.Content.ReadFromJsonAsync<ShoperAck>())!.Status);
        Assert.Equal("accepted", (await delete.Content.ReadFromJsonAsync<ShoperAck>())!.Status);
        Assert.Equal(2, await bed.QueuedAsync());
    }

    [Fact]
    public async Task An_oversized_body_is_refused_with_413()
    {
        await using var bed = await ShoperTestbed.StartAsync(settings: new() { ["Shoper:MaxWebhookBodyBytes"] = "2048" });
        await bed.InstallAsync();
        var big = "{\"comment\":\"" + new string('x', 4096) + "\"}";

        using var response = await bed.Client.SendAsync(bed.Shop.BuildWebhookDelivery("client.edit", big));

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal(0, await bed.QueuedAsync());
    }

    [Fact]
    public async Task A_signed_body_that_is_not_json_is_a_400()
    {
        await using var bed = await ShoperTestbed.StartAsync();
        await bed.InstallAsync();

        using var response = await bed.Client.SendAsync(bed.Shop.BuildWebhookDelivery("client.edit", "<xml/>"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(0, await bed.QueuedAsync());
    }
}

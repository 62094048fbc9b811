using Relay.Storage;
using Relay.Sync;
using Relay.Tests.Sync;
using Simulators.Shopware;

namespace Relay.Tests.Platforms.Shopware;

/// <summary>
/// WEBHOOKS_REWORK end to end: the shop numbers its deliveries, retries may overtake, and the marketing system
/// ends with the newest state of each record (last write wins by sequence, per shop and record).
/// Legacy shops keep today's behaviour: every delivery is forwarded with what the shop holds when it is handled.
/// </summary>
public sealed class ShopwareDeliveryOrderTests
{
    private static async Task DeliverAsync(SyncTestbed bed, ShopwareWebhookDelivery delivery)
    {
        using var response = await bed.Shopware.Shop.DeliverAsync(delivery);
        Assert.True(response.IsSuccessStatusCode, $"delivery refused: {(int)response.StatusCode}");
    }

    private static ShopwareWebhookDelivery CustomerWritten(SyncTestbed bed, SimulatedCustomer customer) =>
        bed.Shopware.Shop.NewWebhook("customer.written", ShopwareTestbed.CustomerWritten(customer.Id));

    [Fact]
    public async Task An_older_delivery_that_arrives_after_a_newer_one_is_not_sent_to_SARE()
    {
        await using var bed = await SyncTestbed.StartAsync(webhooksRework: true);
        await bed.ConfigureAsync(bed.SareTarget());
        var customer = bed.AddCustomer("ola@example.pl", first: "Ola");
        var older = CustomerWritten(bed, customer);
        customer.FirstName = "Aleksandra";
        var newer = CustomerWritten(bed, customer);

        // The first attempt of the older one went nowhere; the newer one gets through first.
        await DeliverAsync(bed, newer);
        await bed.ProcessQueueAsync();
        Assert.Equal("Aleksandra Jansen", bed.Sare.Subscribers["ola@example.pl"].Name);
        var writes = bed.Sare.Requests.Count;

        // Shopware retries the older one (attempt 1): accepted, but it may no longer write the customer.
        await DeliverAsync(bed, older);
        await bed.ProcessQueueAsync();

        Assert.Equal("Aleksandra Jansen", bed.Sare.Subscribers["ola@example.pl"].Name);
        Assert.Equal(writes, bed.Sare.Requests.Count);
        var skipped = Assert.Single(await bed.ActivityAsync(ActivityOutcome.Skipped));
        Assert.Equal(older.EventId, skipped.EventId);
        Assert.Empty(await bed.DeadLettersAsync());
    }

    [Fact]
    public async Task An_older_delivery_still_being_written_when_a_newer_one_comes_goes_first_and_Spotler_ends_with_the_newer_state()
    {
        await using var bed = await SyncTestbed.StartAsync(webhooksRework: true);
        await bed.ConfigureAsync(bed.SpotlerTarget());
        var customer = bed.AddCustomer("anna@example.nl", first: "Anna");
        await DeliverAsync(bed, CustomerWritten(bed, customer));
        await bed.ProcessQueueAsync();

        // Anna becomes Bea: the worker reads "Bea" from the shop and is still sending it to Spotler...
        customer.FirstName = "Bea";
        await DeliverAsync(bed, CustomerWritten(bed, customer));
        var held = bed.Spotler.Faults.HoldNext();
        var slowWorker = bed.ProcessQueueAsync();
        await held.Arrived;

        // ...when Bea becomes Cleo and that delivery is handled: it waits for the older write to finish.
        customer.FirstName = "Cleo";
        await DeliverAsync(bed, CustomerWritten(bed, customer));
        await bed.ProcessQueueAsync();
        Assert.Equal(1, (await bed.Get<IRelayStore>().GetDepthAsync(bed.Shopware.Partition)).Retrying);

        held.Release();
        await slowWorker;
        Assert.Equal("Bea", bed.Spotler.Contacts["anna@example.nl"].Properties["firstName"]);

        bed.Time.Advance(TimeSpan.FromMinutes(1));
        await bed.ProcessQueueAsync();
        Assert.Equal("Cleo", bed.Spotler.Contacts["anna@example.nl"].Properties["firstName"]);
        Assert.Empty(await bed.DeadLettersAsync());
    }

    [Fact]
    public async Task A_duplicate_with_a_higher_attempt_is_written_once()
    {
        await using var bed = await SyncTestbed.StartAsync(webhooksRework: true);
        await bed.ConfigureAsync(bed.SpotlerTarget());
        var customer = bed.AddCustomer("jan@example.nl");
        var delivery = CustomerWritten(bed, customer);

        await DeliverAsync(bed, delivery);
        bed.Time.Advance(TimeSpan.FromSeconds(5));
        await DeliverAsync(bed, delivery);
        await bed.ProcessQueueAsync();

        Assert.Equal(1, bed.SpotlerWrites());
    }

    [Fact]
    public async Task Unsubscribe_then_a_late_older_confirmation_leaves_the_permission_off()
    {
        await using var bed = await SyncTestbed.StartAsync(webhooksRework: true);
        await bed.ConfigureAsync(bed.SpotlerTarget());
        var recipient = bed.AddRecipient("kees@example.nl", "optIn", confirmedAt: bed.Time.GetUtcNow());
        var confirm = Newsletter(bed, "newsletter.confirm", recipient.Id);
        bed.Time.Advance(TimeSpan.FromMinutes(5));
        recipient.Status = "optOut";
        recipient.UpdatedAt = bed.Time.GetUtcNow();
        var unsubscribe = Newsletter(bed, "newsletter.unsubscribe", recipient.Id);

        await DeliverAsync(bed, unsubscribe);
        await bed.ProcessQueueAsync();
        var writes = bed.SpotlerWrites();
        await DeliverAsync(bed, confirm);
        await bed.ProcessQueueAsync();

        Assert.False(bed.Spotler.Contacts["kees@example.nl"].Permissions[1]);
        Assert.Equal(writes, bed.SpotlerWrites());
    }

    [Fact]
    public async Task Legacy_deliveries_out_of_order_are_each_forwarded_with_what_the_shop_holds_now()
    {
        await using var bed = await SyncTestbed.StartAsync();
        await bed.ConfigureAsync(bed.SpotlerTarget());
        var customer = bed.AddCustomer("piet@example.nl", first: "Piet");
        var older = CustomerWritten(bed, customer);
        customer.FirstName = "Pieter";
        var newer = CustomerWritten(bed, customer);

        await DeliverAsync(bed, newer);
        await bed.ProcessQueueAsync();
        await DeliverAsync(bed, older);
        await bed.ProcessQueueAsync();

        Assert.Null(older.Sequence);
        Assert.Equal(2, bed.SpotlerWrites());
        Assert.Equal("Pieter", bed.Spotler.Contacts["piet@example.nl"].Properties["firstName"]);
    }

    private static ShopwareWebhookDelivery Newsletter(SyncTestbed bed, string eventName, string recipientId) =>
        bed.Shopware.Shop.NewWebhook(eventName, SyncTestbed.NewsletterPayload(recipientId));
}

using Relay.Mapping;
using Relay.Settings;
using Relay.Sync;
using Relay.Tests.Sync;

namespace Relay.Tests.Platforms.Shopware;

/// <summary>What a merchant sees after a change in their Shopware shop: it arrives in the marketing system, consent included, and unsubscribe wins.</summary>
public sealed class ShopwareForwardingTests : IAsyncLifetime
{
    private SyncTestbed _bed = null!;

    public async Task InitializeAsync() => _bed = await SyncTestbed.StartAsync();
    public async Task DisposeAsync() => await _bed.DisposeAsync();

    [Fact]
    public async Task A_customer_written_in_the_shop_arrives_in_Spotler_with_the_default_mapping()
    {
        await _bed.ConfigureAsync(_bed.SpotlerTarget());
        var customer = _bed.AddCustomer("Jan.Jansen@Example.nl", first: "  Jan ", last: "Jansen", number: "K-1");

        await _bed.SendCustomerWrittenAsync(customer.Id);
        await _bed.ProcessQueueAsync();

        var contact = Assert.Single(_bed.Spotler.Contacts.Values);
        Assert.Equal("jan.jansen@example.nl", contact.ExternalId);
        Assert.Equal("jan.jansen@example.nl", contact.Properties["email"]);
        Assert.Equal("Jan", contact.Properties["firstName"]);
        Assert.Equal("Jansen", contact.Properties["lastName"]);
        // A customer record says nothing about consent: no permission is touched.
        Assert.Empty(contact.Permissions);
        var logged = Assert.Single(await _bed.ActivityAsync(ActivityOutcome.Ok));
        Assert.Equal("j***@example.nl", logged.MaskedEmail);
        Assert.NotNull((await _bed.Shopware.ShopInfoAsync())!.LastEventAt);
    }

    [Fact]
    public async Task Mapped_fields_follow_the_merchants_rules_and_unique_key()
    {
        await _bed.ConfigureAsync(_bed.SpotlerTarget(), s => s with
        {
            UniqueKey = UniqueKeyKind.CustomerNumber,
            Customers = new FieldMapping
            {
                Rules =
                [
                    new FieldRule { Target = "firstName", Sources = ["firstName", "lastName"], Separator = " ", Transforms = ["upper"] },
                    new FieldRule { Target = "profileField1", Sources = ["customerNumber"] },
                    new FieldRule { Target = "lastPurchaseDate", Sources = ["createdAt"], Transforms = ["date:yyyy-MM-dd"] },
                ],
            },
        });
        var customer = _bed.AddCustomer("piet@example.nl", "Piet", "Puk", number: "K-77");

        await _bed.SendCustomerWrittenAsync(customer.Id);
        await _bed.ProcessQueueAsync();

        var contact = _bed.Spotler.Contacts["K-77"];
        Assert.Equal("PIET PUK", contact.Properties["firstName"]);
        Assert.Equal("K-77", contact.Properties["profileField1"]);
        Assert.Equal(_bed.Time.GetUtcNow().ToString("yyyy-MM-dd"), contact.Properties["lastPurchaseDate"]);
    }

    [Fact]
    public async Task A_field_that_is_not_overwritten_on_update_keeps_the_targets_enriched_value()
    {
        await _bed.ConfigureAsync(_bed.SpotlerTarget(), s => s with
        {
            Customers = new FieldMapping
            {
                Rules =
                [
                    new FieldRule { Target = "firstName", Sources = ["firstName"] },
                    new FieldRule { Target = "lastName", Sources = ["lastName"], OverwriteOnUpdate = false },
                ],
            },
        });
        var customer = _bed.AddCustomer("anna@example.nl", "Anna", "de Vries");
        await _bed.SendCustomerWrittenAsync(customer.Id);
        await _bed.ProcessQueueAsync();
        Assert.Equal("de Vries", _bed.Spotler.Contacts["anna@example.nl"].Properties["lastName"]);

        // The marketing team corrects the name in Spotler; then the customer edits her profile in the shop.
        _bed.Spotler.Contacts["anna@example.nl"].Properties["lastName"] = "de Vries-Bakker";
        customer.FirstName = "Anne";
        customer.LastName = "Vries";
        await _bed.SendCustomerWrittenAsync(customer.Id);
        await _bed.ProcessQueueAsync();

        var contact = _bed.Spotler.Contacts["anna@example.nl"];
        Assert.Equal("Anne", contact.Properties["firstName"]);
        Assert.Equal("de Vries-Bakker", contact.Properties["lastName"]);
    }

    [Fact]
    public async Task Newsletter_unsubscribe_in_the_shop_switches_the_permission_off_in_Spotler()
    {
        await _bed.ConfigureAsync(_bed.SpotlerTarget());
        var recipient = _bed.AddRecipient("kees@example.nl", "direct");
        await _bed.SendNewsletterAsync("newsletter.register", recipient.Id);
        await _bed.ProcessQueueAsync();
        Assert.True(_bed.Spotler.Contacts["kees@example.nl"].Permissions[1]);

        _bed.Time.Advance(TimeSpan.FromMinutes(5));
        recipient.Status = "optOut";
        recipient.UpdatedAt = _bed.Time.GetUtcNow();
        await _bed.SendNewsletterAsync("newsletter.unsubscribe", recipient.Id);
        await _bed.ProcessQueueAsync();

        Assert.False(_bed.Spotler.Contacts["kees@example.nl"].Permissions[1]);
        Assert.Empty(await _bed.DeadLettersAsync());
    }

    [Fact]
    public async Task A_newer_double_opt_in_confirmation_re_subscribes_a_contact_who_opted_out_in_the_target()
    {
        await _bed.ConfigureAsync(_bed.SpotlerTarget());
        var recipient = _bed.AddRecipient("els@example.nl", "optIn", confirmedAt: _bed.Time.GetUtcNow());
        await _bed.SendNewsletterAsync("newsletter.confirm", recipient.Id);
        await _bed.ProcessQueueAsync();

        // She unsubscribes through a Spotler mailing; pull-back brings it into the shop.
        _bed.Time.Advance(TimeSpan.FromHours(1));
        _bed.Spotler.Unsubscribe("els@example.nl", 1, _bed.Time.GetUtcNow());
        _bed.Time.Advance(TimeSpan.FromMinutes(10));
        await _bed.Get<PullBackRunner>().RunOnceAsync(_bed.ShopKey);
        Assert.Equal("optOut", recipient.Status);

        // A day later she subscribes again in the shop and confirms the double opt-in mail.
        _bed.Time.Advance(TimeSpan.FromDays(1));
        recipient.Status = "optIn";
        recipient.ConfirmedAt = _bed.Time.GetUtcNow();
        recipient.UpdatedAt = _bed.Time.GetUtcNow();
        await _bed.SendNewsletterAsync("newsletter.confirm", recipient.Id);
        await _bed.ProcessQueueAsync();

        Assert.True(_bed.Spotler.Contacts["els@example.nl"].Permissions[1]);
    }

    [Fact]
    public async Task An_unconfirmed_registration_does_not_undo_an_opt_out_in_the_target()
    {
        await _bed.ConfigureAsync(_bed.SpotlerTarget());
        var recipient = _bed.AddRecipient("tom@example.nl", "direct");
        await _bed.SendNewsletterAsync("newsletter.register", recipient.Id);
        await _bed.ProcessQueueAsync();
        _bed.Time.Advance(TimeSpan.FromHours(1));
        _bed.Spotler.Unsubscribe("tom@example.nl", 1, _bed.Time.GetUtcNow());
        _bed.Time.Advance(TimeSpan.FromMinutes(10));
        await _bed.Get<PullBackRunner>().RunOnceAsync(_bed.ShopKey);

        // Registering again with double opt-in enabled: not confirmed yet.
        _bed.Time.Advance(TimeSpan.FromDays(1));
        recipient.Status = "notSet";
        recipient.UpdatedAt = _bed.Time.GetUtcNow();
        await _bed.SendNewsletterAsync("newsletter.register", recipient.Id);
        await _bed.ProcessQueueAsync();

        Assert.False(_bed.Spotler.Contacts["tom@example.nl"].Permissions[1]);
    }

    [Fact]
    public async Task A_customer_deleted_in_the_shop_is_erased_in_the_target_when_the_merchant_enabled_it()
    {
        await _bed.ConfigureAsync(_bed.SpotlerTarget(), s => s with { EraseInTargetOnDelete = true });
        var customer = _bed.AddCustomer("weg@example.nl");
        await _bed.SendCustomerWrittenAsync(customer.Id);
        await _bed.ProcessQueueAsync();
        Assert.False(_bed.Spotler.Contacts["weg@example.nl"].Anonymized);

        // customer.deleted carries only the id; the relay remembers whom it belonged to.
        await _bed.SendAsync("customer.deleted", new System.Text.Json.Nodes.JsonArray(new System.Text.Json.Nodes.JsonObject
        {
            ["entity"] = "customer",
            ["operation"] = "delete",
            ["primaryKey"] = customer.Id,
        }));
        await _bed.ProcessQueueAsync();

        Assert.True(_bed.Spotler.Contacts["weg@example.nl"].Anonymized);
        Assert.Contains(await _bed.ActivityAsync(ActivityOutcome.Ok), e => e.Kind == "erase");
    }

    [Fact]
    public async Task A_deleted_customer_is_left_in_the_target_when_erasing_is_off()
    {
        await _bed.ConfigureAsync(_bed.SpotlerTarget());
        var customer = _bed.AddCustomer("blijft@example.nl");
        await _bed.SendCustomerWrittenAsync(customer.Id);
        await _bed.ProcessQueueAsync();

        await _bed.SendAsync("checkout.customer.deleted", new System.Text.Json.Nodes.JsonObject
        {
            ["customer"] = new System.Text.Json.Nodes.JsonObject { ["id"] = customer.Id, ["email"] = customer.Email },
        });
        await _bed.ProcessQueueAsync();

        Assert.False(_bed.Spotler.Contacts["blijft@example.nl"].Anonymized);
        Assert.Contains(await _bed.ActivityAsync(ActivityOutcome.Skipped), e => e.Kind == "erase");
    }

    [Fact]
    public async Task Bad_target_credentials_send_the_event_to_dead_letters_with_a_readable_reason()
    {
        await _bed.ConfigureAsync(_bed.SpotlerTarget(secret: "wrong"));
        var customer = _bed.AddCustomer("x@example.nl");

        await _bed.SendCustomerWrittenAsync(customer.Id);
        await _bed.ProcessQueueAsync();

        var dead = Assert.Single(await _bed.DeadLettersAsync());
        Assert.Contains("refused the credentials", dead.Error);
        Assert.DoesNotContain("wrong", dead.Error);
        Assert.Empty(_bed.Spotler.Contacts);
    }

    [Fact]
    public async Task Events_of_a_shop_without_settings_or_with_sync_off_are_acknowledged_and_skipped()
    {
        var customer = _bed.AddCustomer("niemand@example.nl");
        await _bed.SendCustomerWrittenAsync(customer.Id);
        await _bed.ProcessQueueAsync();

        await _bed.ConfigureAsync(_bed.SpotlerTarget(), s => s with { SyncEnabled = false });
        await _bed.SendCustomerWrittenAsync(customer.Id);
        await _bed.ProcessQueueAsync();

        Assert.Empty(_bed.Spotler.Contacts);
        Assert.Empty(await _bed.DeadLettersAsync());
        Assert.Equal(0, await _bed.Shopware.QueuedAsync());
        Assert.Equal(2, (await _bed.ActivityAsync(ActivityOutcome.Skipped)).Count);
    }

    [Fact]
    public async Task A_shop_outage_leaves_the_event_for_the_retry_schedule()
    {
        await _bed.ConfigureAsync(_bed.SpotlerTarget());
        var customer = _bed.AddCustomer("later@example.nl");
        _bed.ShopApi.FailNext(503, count: 5);

        await _bed.SendCustomerWrittenAsync(customer.Id);
        await _bed.ProcessQueueAsync();
        Assert.Empty(_bed.Spotler.Contacts);
        Assert.Empty(await _bed.DeadLettersAsync());

        _bed.ShopApi.Faults.Clear();
        _bed.Time.Advance(TimeSpan.FromSeconds(10));
        await _bed.ProcessQueueAsync();
        Assert.True(_bed.Spotler.Contacts.ContainsKey("later@example.nl"));
    }

    [Fact]
    public async Task With_the_customer_number_as_key_a_subscription_lands_on_the_customers_contact()
    {
        await _bed.ConfigureAsync(_bed.SpotlerTarget(), s => s with { UniqueKey = UniqueKeyKind.CustomerNumber });
        var customer = _bed.AddCustomer("klant@example.nl", number: "K-5");
        await _bed.SendCustomerWrittenAsync(customer.Id);
        var subscriber = _bed.AddRecipient("Klant@example.nl", "direct");
        await _bed.SendNewsletterAsync("newsletter.register", subscriber.Id);
        var newsletterOnly = _bed.AddRecipient("alleen-nieuwsbrief@example.nl", "direct");
        await _bed.SendNewsletterAsync("newsletter.register", newsletterOnly.Id);
        await _bed.ProcessQueueAsync();

        var contact = Assert.Single(_bed.Spotler.Contacts.Values);
        Assert.Equal("K-5", contact.ExternalId);
        Assert.True(contact.Permissions[1]);
        // Without an account there is no customer number: acknowledged and explained, not a dead letter.
        Assert.Empty(await _bed.DeadLettersAsync());
        Assert.Contains(await _bed.ActivityAsync(ActivityOutcome.Skipped), e => e.Message.Contains("unique key", StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_merchants_lists_decide_the_SARE_groups_and_the_Spotler_permission()
    {
        await _bed.ConfigureAsync(_bed.SareTarget() with { Options = new Dictionary<string, string>() }, s => s with { Lists = ["341", "1"] });
        var recipient = _bed.AddRecipient("vip@example.pl", "direct");
        await _bed.SendNewsletterAsync("newsletter.register", recipient.Id);
        await _bed.ProcessQueueAsync();
        Assert.Equal([1, 341], _bed.Sare.Subscribers["vip@example.pl"].Groups.Order());

        await _bed.ConfigureAsync(_bed.SpotlerTarget(), s => s with { Lists = ["2"] });
        await _bed.SendNewsletterAsync("newsletter.confirm", recipient.Id);
        await _bed.ProcessQueueAsync();
        Assert.True(_bed.Spotler.Contacts["vip@example.pl"].Permissions[2]);
        Assert.False(_bed.Spotler.Contacts["vip@example.pl"].Permissions.ContainsKey(1));
    }

    [Fact]
    public async Task A_customer_edit_that_meets_a_contact_unsubscribed_in_Spotler_before_the_relay_keeps_her_opted_out_through_a_later_resync()
    {
        var recipient = _bed.AddRecipient("anna@example.nl", "direct");
        var customer = _bed.AddCustomer("anna@example.nl", "Anna", "de Vries", number: "K-7");
        _bed.Time.Advance(TimeSpan.FromDays(20));
        _bed.Spotler.AddContact("anna@example.nl", "anna@example.nl", (1, true));
        _bed.Spotler.Unsubscribe("anna@example.nl", 1, _bed.Time.GetUtcNow());
        _bed.Time.Advance(TimeSpan.FromDays(20));
        await _bed.ConfigureAsync(_bed.SpotlerTarget());

        // Her first contact with the relay is a live customer edit: one read of her contact, then the upsert.
        await _bed.SendCustomerWrittenAsync(customer.Id);
        await _bed.ProcessQueueAsync();
        Assert.Contains(_bed.Spotler.Requests, r => r is { Method: "GET", Path: "/integrationservice/contact/anna@example.nl" });

        // A resync later must not take the relay's upsert for a create and give her the shop's status.
        await _bed.Get<FullSync>().StartAsync(_bed.ShopKey);
        await _bed.Get<FullSyncRunner>().RunAsync(_bed.ShopKey, "instance-a");

        Assert.False(_bed.Spotler.Contacts["anna@example.nl"].Permissions[1]);
        Assert.Equal("optOut", recipient.Status);
    }
}

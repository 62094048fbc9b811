using System.Net;
using System.Text.Json.Nodes;
using Relay.Pipeline;
using Relay.Storage;
using Relay.Sync;
using Relay.Tests.Sync;

namespace Relay.Tests.Platforms.Shopware;

/// <summary>
/// app.permissions.updated (6.7+): the merchant revokes or grants a permission in the app's settings; the
/// shop refuses calls that need a revoked one (403 FRAMEWORK__MISSING_PRIVILEGE_ERROR) and tells the app
/// which permissions it still has. The relay pauses what needs the missing one instead of failing, loses
/// no event, and resumes when it is granted again.
/// </summary>
public sealed class ShopwarePermissionTests : IAsyncLifetime
{
    private SyncTestbed _bed = null!;

    public async Task InitializeAsync()
    {
        _bed = await SyncTestbed.StartAsync();
        await _bed.ConfigureAsync(_bed.SpotlerTarget());
    }

    public async Task DisposeAsync() => await _bed.DisposeAsync();

    private Simulators.Shopware.ShopwareShopSimulator Shop => _bed.Shopware.Shop;

    private Task<IReadOnlyList<FeaturePause>> PausesAsync() => _bed.Get<ShopPauses>().ListAsync(_bed.ShopKey);

    private async Task RevokeAsync(params string[] permissions)
    {
        using var response = await Shop.RevokePermissionsAsync(permissions);
        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
    }

    private async Task GrantAsync(params string[] permissions)
    {
        using var response = await Shop.GrantPermissionsAsync(permissions);
        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
    }

    private async Task<long> WaitingInRetrySetAsync() =>
        (await _bed.Get<IRelayStore>().GetDepthAsync(_bed.Shopware.Partition)).Retrying;

    [Fact]
    public async Task The_shop_refuses_a_call_needing_a_revoked_permission_with_403_as_Shopware_does()
    {
        var client = _bed.Shopware.AdminClient();
        var access = (await client.AccessForAsync(Shop.ShopId))!;
        await RevokeAsync("customer:read");

        var refused = await Assert.ThrowsAsync<Relay.Platforms.Shopware.ShopwareApiException>(() =>
            client.SearchCustomersAsync(access, new Relay.Platforms.Shopware.ShopwareCriteria()));
        Assert.Equal(HttpStatusCode.Forbidden, refused.Status);
        // Recipients are still readable.
        await client.SearchNewsletterRecipientsAsync(access, new Relay.Platforms.Shopware.ShopwareCriteria());
    }

    [Fact]
    public async Task Revoking_customer_read_pauses_contact_forwarding_events_wait_and_flow_when_it_is_granted_again()
    {
        var customer = _bed.AddCustomer("wacht@example.nl", "Wim", "Wachter");
        await RevokeAsync("customer:read");

        var pause = Assert.Single(await PausesAsync());
        Assert.Equal(ShopFeature.ReadContacts, pause.Feature);
        Assert.Equal(["customer:read"], pause.Missing);
        Assert.Contains("customer:read", pause.Reason);
        Assert.Contains(await _bed.ActivityAsync(ActivityOutcome.Skipped), e => e.Kind == "permissions" && e.Message.Contains("customer:read", StringComparison.Ordinal));

        // The shop still delivers; the relay accepts and keeps the event without calling the shop for it.
        await _bed.SendCustomerWrittenAsync(customer.Id);
        var searches = _bed.ShopApi.Requests.Count(r => r == "POST /api/search/customer");
        // Longer than the whole retry schedule has attempts: waiting uses none of them.
        for (var i = 0; i < PipelineOptions.DefaultRetrySchedule.Length + 3; i++)
        {
            await _bed.ProcessQueueAsync();
            _bed.Time.Advance(TimeSpan.FromMinutes(1));
        }
        Assert.Equal(searches, _bed.ShopApi.Requests.Count(r => r == "POST /api/search/customer"));
        Assert.False(_bed.Spotler.Contacts.ContainsKey("wacht@example.nl"));
        Assert.Empty(await _bed.DeadLettersAsync());
        Assert.Equal(1, await WaitingInRetrySetAsync());

        await GrantAsync("customer:read");
        Assert.Empty(await PausesAsync());
        Assert.Contains(await _bed.ActivityAsync(ActivityOutcome.Ok), e => e.Kind == "permissions" && e.Message.Contains("resumed", StringComparison.Ordinal));
        _bed.Time.Advance(TimeSpan.FromMinutes(1));
        await _bed.ProcessQueueAsync();

        Assert.Equal("Wim", _bed.Spotler.Contacts["wacht@example.nl"].Properties["firstName"]);
        Assert.Equal(0, await WaitingInRetrySetAsync());
        Assert.Empty(await _bed.DeadLettersAsync());
    }

    [Fact]
    public void Every_permission_a_feature_needs_is_one_the_manifest_asks_for()
    {
        var asked = Simulators.Shopware.ShopwareAdminApi.ManifestPermissions.ToHashSet(StringComparer.Ordinal);
        foreach (var (feature, permissions) in Relay.Platforms.Shopware.ShopwarePermissions.Required)
            Assert.All(permissions, p => Assert.True(asked.Contains(p), $"{feature} needs {p}, which the manifest does not ask for"));
    }

    [Fact]
    public async Task Revoking_order_read_holds_order_events_while_customer_events_still_flow()
    {
        var customer = _bed.AddCustomer("flow@example.nl", "Floor", "Stroom");
        await RevokeAsync("order:read");

        var pause = Assert.Single(await PausesAsync());
        Assert.Equal(ShopFeature.ReadOrders, pause.Feature);
        Assert.Equal(["order:read"], pause.Missing);

        var order = _bed.ShopApi.AddOrder(Relay.Tests.Orders.OrderTestData.Order("10060"));
        await _bed.SendAsync("checkout.order.placed", Relay.Tests.Orders.OrderTestData.Placed(order.Id));
        await _bed.SendCustomerWrittenAsync(customer.Id);
        await _bed.ProcessQueueAsync();

        Assert.Equal("Floor", _bed.Spotler.Contacts["flow@example.nl"].Properties["firstName"]);
        Assert.DoesNotContain(_bed.ShopApi.Requests, r => r == "POST /api/search/order");
        Assert.Equal(1, await WaitingInRetrySetAsync());
        Assert.Empty(await _bed.DeadLettersAsync());

        await GrantAsync("order:read");
        _bed.Time.Advance(TimeSpan.FromMinutes(1));
        await _bed.ProcessQueueAsync();
        Assert.Equal(0, await WaitingInRetrySetAsync());
        Assert.Empty(await _bed.DeadLettersAsync());
    }

    [Fact]
    public async Task Revoking_newsletter_update_pauses_the_pull_back_without_losing_the_unsubscribes_it_would_have_written()
    {
        var recipient = _bed.AddRecipient("later@example.nl", "direct");
        await _bed.SendNewsletterAsync("newsletter.register", recipient.Id);
        await _bed.ProcessQueueAsync();
        var runner = _bed.Get<PullBackRunner>();
        await runner.RunOnceAsync(_bed.ShopKey);

        await RevokeAsync("newsletter_recipient:update");
        _bed.Time.Advance(TimeSpan.FromMinutes(5));
        _bed.Spotler.Unsubscribe("later@example.nl", 1, _bed.Time.GetUtcNow());
        _bed.Time.Advance(TimeSpan.FromMinutes(5));

        var paused = await runner.RunOnceAsync(_bed.ShopKey);

        Assert.Equal(PullBackOutcome.Skipped, paused.Outcome);
        Assert.Contains("newsletter_recipient:update", paused.Reason);
        Assert.Equal("direct", recipient.Status);
        Assert.DoesNotContain(_bed.ShopApi.Requests, r => r.StartsWith("PATCH /api/newsletter-recipient/", StringComparison.Ordinal));
        var problem = Assert.Single(await _bed.Get<SyncProblems>().ListAsync(_bed.ShopKey));
        Assert.Equal((SyncProblems.PullBack, true), (problem.Job, problem.Reason.Contains("newsletter_recipient:update", StringComparison.Ordinal)));
        // Reading is still allowed, so the reconciliation ran.
        Assert.NotNull(paused.Reconciliation);
        // The schedule counts the skip as a run: the next one is due after the pull interval, not at the next tick.
        Assert.Equal(_bed.Time.GetUtcNow(), (await runner.GetStateAsync(_bed.ShopKey)).LastRunAt);

        await GrantAsync("newsletter_recipient:update");
        _bed.Time.Advance(TimeSpan.FromMinutes(10));
        var resumed = await runner.RunOnceAsync(_bed.ShopKey);

        Assert.Equal((PullBackOutcome.Done, 1), (resumed.Outcome, resumed.OptedOut));
        Assert.Equal("optOut", recipient.Status);
        Assert.Empty(await _bed.Get<SyncProblems>().ListAsync(_bed.ShopKey));
    }

    [Fact]
    public async Task A_full_sync_waits_with_the_reason_shown_and_carries_on_when_reading_is_allowed_again()
    {
        _bed.AddCustomer("een@example.nl");
        _bed.AddCustomer("twee@example.nl");
        await RevokeAsync("customer:read", "newsletter_recipient:read");
        var jobs = _bed.Get<FullSync>();
        var runner = _bed.Get<FullSyncRunner>();
        await jobs.StartAsync(_bed.ShopKey);

        Assert.Equal(FullSyncRunOutcome.Retrying, await runner.RunAsync(_bed.ShopKey, "instance-a"));

        var waiting = await jobs.GetAsync(_bed.ShopKey);
        Assert.Equal(SyncState.Running, waiting.State);
        Assert.Contains("customer:read, newsletter_recipient:read", waiting.Error);
        Assert.Contains(await _bed.Get<SyncProblems>().ListAsync(_bed.ShopKey), p => p.Job == SyncProblems.FullSync && p.Reason.Contains("customer:read", StringComparison.Ordinal));
        Assert.DoesNotContain(_bed.ShopApi.Requests, r => r.StartsWith("POST /api/search/", StringComparison.Ordinal) && !r.EndsWith("webhook", StringComparison.Ordinal));
        var pauses = await PausesAsync();
        // The pull-back needs to find recipients too.
        Assert.Equal([ShopFeature.ReadContacts, ShopFeature.WriteOptOuts], pauses.Select(p => p.Feature));

        await GrantAsync("customer:read", "newsletter_recipient:read");
        Assert.Equal(FullSyncRunOutcome.Finished, await runner.RunAsync(_bed.ShopKey, "instance-a"));

        Assert.Equal(SyncState.Completed, (await jobs.GetAsync(_bed.ShopKey)).State);
        Assert.True(_bed.Spotler.Contacts.ContainsKey("een@example.nl"));
        Assert.Empty(await _bed.Get<SyncProblems>().ListAsync(_bed.ShopKey));
    }

    [Fact]
    public async Task A_pause_keeps_its_start_time_and_an_older_report_that_arrives_late_changes_nothing()
    {
        await RevokeAsync("customer:read");
        var since = Assert.Single(await PausesAsync()).Since;
        _bed.Time.Advance(TimeSpan.FromMinutes(5));
        await RevokeAsync("webhook:update");

        Assert.Equal(since, (await PausesAsync()).Single(p => p.Feature == ShopFeature.ReadContacts).Since);
        Assert.Equal(["webhook:update"], (await PausesAsync()).Single(p => p.Feature == ShopFeature.WebhookUpkeep).Missing);

        // A delivery from before both changes, still listing everything, overtaken by the newer ones.
        var stale = Shop.WebhookBody("app.permissions.updated",
            new JsonObject { ["permissions"] = new JsonArray(Simulators.Shopware.ShopwareAdminApi.ManifestPermissions.Select(p => (JsonNode?)p).ToArray()) },
            timestamp: _bed.Time.GetUtcNow().AddMinutes(-10).ToUnixTimeSeconds());
        using var response = await Shop.SendSignedAsync("/shopware/lifecycle", stale);

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        Assert.Equal(2, (await PausesAsync()).Count);
    }

    [Fact]
    public async Task A_permissions_update_without_a_list_of_permissions_is_refused_and_changes_nothing()
    {
        await RevokeAsync("customer:read");
        using var response = await Shop.SendLifecycleAsync("app.permissions.updated", new JsonObject { ["permissions"] = "customer:read" });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Single(await PausesAsync());
    }
}

using Relay.Platforms.Shopware;
using Relay.Sync;
using Relay.Tests.Sync;
using Simulators.Shopware;
using static Simulators.Shopware.ShopwareAdminApi;

namespace Relay.Tests.Platforms.Shopware;

/// <summary>
/// The webhook health API (6.8): GET /api/app-system/webhook/state reports each of the app's webhooks,
/// POST /api/app-system/webhook/reactivate revives up to 50 names a call, ten calls a minute. The
/// reconciliation uses it where the shop offers it and keeps PATCH webhook.active on older shops.
/// </summary>
public sealed class ShopwareWebhookHealthTests : IAsyncLifetime
{
    private SyncTestbed _bed = null!;

    public async Task InitializeAsync()
    {
        _bed = await SyncTestbed.StartAsync();
        await _bed.ConfigureAsync(_bed.SpotlerTarget());
    }

    public async Task DisposeAsync() => await _bed.DisposeAsync();

    private Task<PullBackResult> RunAsync() => _bed.Get<PullBackRunner>().RunOnceAsync(_bed.ShopKey);

    private SimulatedWebhook Webhook(string name, string state = WebhookHealthStates.Healthy, string? origin = null, int errors = 0, string? appId = RelayAppId) =>
        _bed.ShopApi.AddWebhook(new SimulatedWebhook
        {
            Name = name, EventName = "customer.written", Url = "http://localhost/shopware/webhook", AppId = appId,
            EndpointState = state, DisabledOrigin = origin, ErrorCount = errors,
            SuspendedSince = state == WebhookHealthStates.Suspended ? _bed.Time.GetUtcNow().AddHours(-3) : null,
            DisabledSince = state == WebhookHealthStates.Disabled ? _bed.Time.GetUtcNow().AddDays(-1) : null,
        });

    private Task<WebhookHealthReport?> ReportAsync() => _bed.Get<ShopWebhookHealth>().GetAsync(_bed.ShopKey);

    [Fact]
    public async Task Suspended_and_escalation_disabled_webhooks_are_revived_in_one_call_and_the_rest_is_left_to_the_shop()
    {
        _bed.ShopApi.HealthApi = HealthApiMode.Offered;
        var suspended = Webhook("customerWritten", WebhookHealthStates.Suspended, errors: 3);
        var disabled = Webhook("newsletterConfirm", WebhookHealthStates.Disabled, WebhookHealthStates.Escalation, errors: 7);
        var degraded = Webhook("newsletterRegister", WebhookHealthStates.Degraded, errors: 2);
        var killed = Webhook("newsletterUnsubscribe", WebhookHealthStates.Disabled, WebhookHealthStates.Operator);
        var foreign = Webhook("theirs", WebhookHealthStates.Disabled, WebhookHealthStates.Escalation, appId: ShopwareIds.New());

        var result = await RunAsync();

        Assert.Equal(2, result.Reconciliation!.WebhooksReenabled);
        var call = Assert.Single(_bed.ShopApi.ReactivationCalls);
        Assert.Equal(["customerWritten", "newsletterConfirm"], call.Order());
        Assert.Equal(WebhookHealthStates.Healthy, suspended.EndpointState);
        Assert.Equal(WebhookHealthStates.Healthy, disabled.EndpointState);
        // Shopware still retries a degraded one; an operator's switch-off is the merchant's; another app's is not the relay's.
        Assert.Equal(WebhookHealthStates.Degraded, degraded.EndpointState);
        Assert.Equal(WebhookHealthStates.Disabled, killed.EndpointState);
        Assert.Equal(WebhookHealthStates.Disabled, foreign.EndpointState);
        Assert.DoesNotContain(_bed.ShopApi.Requests, r => r.StartsWith("PATCH /api/webhook/", StringComparison.Ordinal) || r == "POST /api/search/webhook");
        Assert.Contains(await _bed.ActivityAsync(ActivityOutcome.Ok), e => e.Kind == "webhooks" && e.Message.Contains("customerWritten", StringComparison.Ordinal));

        var report = (await ReportAsync())!;
        Assert.True(report.Detailed);
        Assert.Equal(["customerWritten", "newsletterConfirm", "newsletterRegister", "newsletterUnsubscribe"], report.Webhooks.Select(w => w.Name));
        var byName = report.Webhooks.ToDictionary(w => w.Name);
        Assert.Equal((WebhookState.Healthy, 0), (byName["customerWritten"].State, byName["customerWritten"].Failures));
        Assert.Equal(_bed.Time.GetUtcNow(), byName["customerWritten"].RevivedAt);
        Assert.Equal((WebhookState.Degraded, 2), (byName["newsletterRegister"].State, byName["newsletterRegister"].Failures));
        Assert.Equal(WebhookState.Disabled, byName["newsletterUnsubscribe"].State);
        Assert.Equal(_bed.Time.GetUtcNow().AddDays(-1), byName["newsletterUnsubscribe"].Since);
        Assert.Contains("administration", byName["newsletterUnsubscribe"].Note);

        // All revivable ones are healthy: the next run only looks, and still knows when they were revived (the shop's history).
        _bed.Time.Advance(TimeSpan.FromMinutes(10));
        Assert.Equal(0, (await RunAsync()).Reconciliation!.WebhooksReenabled);
        Assert.Single(_bed.ShopApi.ReactivationCalls);
        Assert.Equal(_bed.Time.GetUtcNow().AddMinutes(-10), (await ReportAsync())!.Webhooks.Single(w => w.Name == "customerWritten").RevivedAt);
    }

    [Fact]
    public async Task Many_disabled_webhooks_are_revived_fifty_names_a_call_and_ten_calls_a_minute()
    {
        _bed.ShopApi.HealthApi = HealthApiMode.Offered;
        for (var i = 0; i < 560; i++) Webhook($"hook{i:000}", WebhookHealthStates.Disabled, WebhookHealthStates.Escalation);

        var first = await RunAsync();

        Assert.Equal(10, _bed.ShopApi.ReactivationCalls.Count);
        Assert.All(_bed.ShopApi.ReactivationCalls, c => Assert.Equal(50, c.Count));
        Assert.Equal(500, first.Reconciliation!.WebhooksReenabled);
        Assert.Contains(await _bed.ActivityAsync(ActivityOutcome.Skipped), e => e.Kind == "webhooks" && e.Message.Contains("60 webhooks", StringComparison.Ordinal));
        Assert.Null(first.Reason);

        // The next run, a minute later or more, revives the rest.
        _bed.Time.Advance(TimeSpan.FromMinutes(10));
        var second = await RunAsync();

        Assert.Equal(60, second.Reconciliation!.WebhooksReenabled);
        Assert.Equal([50, 10], _bed.ShopApi.ReactivationCalls.Skip(10).Select(c => c.Count));
        Assert.All(_bed.ShopApi.Webhooks, w => Assert.Equal(WebhookHealthStates.Healthy, w.EndpointState));
    }

    [Fact]
    public async Task A_shop_that_answers_429_because_others_used_the_minute_is_asked_again_next_run_and_nothing_fails()
    {
        _bed.ShopApi.HealthApi = HealthApiMode.Offered;
        var off = Webhook("customerWritten", WebhookHealthStates.Suspended);
        _bed.ShopApi.SpendReactivationCalls(ReactivationsPerMinute);

        var result = await RunAsync();

        Assert.Equal(PullBackOutcome.Done, result.Outcome);
        Assert.Equal(0, result.Reconciliation!.WebhooksReenabled);
        Assert.Equal(WebhookHealthStates.Suspended, off.EndpointState);
        Assert.Equal(WebhookState.Suspended, (await ReportAsync())!.Webhooks.Single().State);
        Assert.Empty(await _bed.Get<SyncProblems>().ListAsync(_bed.ShopKey));

        _bed.Time.Advance(TimeSpan.FromMinutes(10));
        Assert.Equal(1, (await RunAsync()).Reconciliation!.WebhooksReenabled);
        Assert.Equal(WebhookHealthStates.Healthy, off.EndpointState);
    }

    [Theory]
    [InlineData(HealthApiMode.Missing)]
    [InlineData(HealthApiMode.MethodNotAllowed)]
    public async Task A_shop_without_the_health_API_gets_its_webhooks_switched_on_through_webhook_update(HealthApiMode mode)
    {
        _bed.ShopApi.HealthApi = mode;
        var off = _bed.ShopApi.AddWebhook(new SimulatedWebhook { Name = "customerWritten", EventName = "customer.written", Url = "http://localhost/shopware/webhook", Active = false, ErrorCount = 10 });
        var on = _bed.ShopApi.AddWebhook(new SimulatedWebhook { Name = "newsletterConfirm", EventName = "newsletter.confirm", Url = "http://localhost/shopware/webhook" });

        var result = await RunAsync();

        Assert.Equal(1, result.Reconciliation!.WebhooksReenabled);
        Assert.True(off.Active);
        Assert.Contains($"PATCH /api/webhook/{off.Id}", _bed.ShopApi.Requests);
        Assert.Empty(_bed.ShopApi.ReactivationCalls);
        var report = (await ReportAsync())!;
        Assert.False(report.Detailed);
        Assert.Equal([("customerWritten", "customer.written"), ("newsletterConfirm", "newsletter.confirm")], report.Webhooks.Select(w => (w.Name, w.Event!)));
        Assert.All(report.Webhooks, w => Assert.Equal(WebhookState.Healthy, w.State));
        Assert.Equal(_bed.Time.GetUtcNow(), report.Webhooks[0].RevivedAt);
        Assert.Null(report.Webhooks[1].RevivedAt);
        _ = on;
    }

    [Fact]
    public async Task A_health_API_without_a_reactivation_history_still_works()
    {
        _bed.ShopApi.HealthApi = HealthApiMode.Offered;
        _bed.ShopApi.KeepsReactivationHistory = false;
        Webhook("customerWritten", WebhookHealthStates.Suspended);

        Assert.Equal(1, (await RunAsync()).Reconciliation!.WebhooksReenabled);
        _bed.Time.Advance(TimeSpan.FromMinutes(10));
        await RunAsync();

        Assert.Null((await ReportAsync())!.Webhooks.Single().RevivedAt);
    }

    [Fact]
    public async Task The_reactivate_call_refuses_more_than_fifty_names_and_the_shop_reads_its_times_in_storage_format()
    {
        _bed.ShopApi.HealthApi = HealthApiMode.Offered;
        var client = _bed.Shopware.AdminClient();
        var access = (await client.AccessForAsync(_bed.Shopware.Shop.ShopId))!;

        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => client.ReactivateWebhooksAsync(access, Enumerable.Range(0, 51).Select(i => $"h{i}").ToList()));
        Webhook("customerWritten", WebhookHealthStates.Suspended);
        var state = Assert.Single((await client.WebhookStatesAsync(access))!);
        Assert.Equal(_bed.Time.GetUtcNow().AddHours(-3), ShopwareTimes.Parse(state.SuspendedSince));
        Assert.Matches(@"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}$", state.SuspendedSince);
    }
}

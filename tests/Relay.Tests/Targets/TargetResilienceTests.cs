using Relay.Targets;
using Relay.Tests.Infrastructure;
using Simulators;
using Simulators.Sare;

namespace Relay.Tests.Targets;

/// <summary>The Polly pipeline every target shares, exercised through the SARE client.</summary>
public sealed class TargetResilienceTests : IAsyncLifetime
{
    private const string ApiKey = "0f8fad5b-d9cb-469f-a165-70867728950e";
    private SareSimulator _sim = null!;

    public async Task InitializeAsync() => _sim = await SareSimulator.StartAsync("12345", ApiKey);

    public Task DisposeAsync() => _sim.DisposeAsync().AsTask();

    private ITarget Target(TargetTestHost host, string account = "test:shop/sare") =>
        host.Create("sare", _sim.BaseUrl, new() { ["uid"] = "12345", ["apiKey"] = ApiKey }, accountId: account);

    [Fact]
    public async Task Circuit_opens_after_repeated_failures_and_stops_calling_the_target()
    {
        using var host = new TargetTestHost(http: o =>
        {
            o.MaxRetryAttempts = 0;
            o.BreakerMinimumThroughput = 4;
            o.BreakerFailureRatio = 0.5;
            o.BreakDuration = TimeSpan.FromMinutes(1);
        });
        _sim.Faults.FailNext(4, 503);
        var target = Target(host);

        for (var i = 0; i < 4; i++)
            Assert.Equal(System.Net.HttpStatusCode.ServiceUnavailable, (await Assert.ThrowsAsync<TargetTransientException>(() => target.TestConnectionAsync())).Status);
        var open = await Assert.ThrowsAsync<TargetTransientException>(() => target.TestConnectionAsync());

        Assert.Equal("CIRCUIT_OPEN", open.Code);
        Assert.Equal(4, _sim.Requests.Count);
        // Per account: another shop's account on the same target is not paused.
        await Target(host, "test:other/sare").TestConnectionAsync();
    }

    [Fact]
    public async Task A_run_of_429s_does_not_open_the_circuit()
    {
        using var host = new TargetTestHost(http: o =>
        {
            o.MaxRetryAttempts = 0;
            o.BreakerMinimumThroughput = 4;
            o.BreakerFailureRatio = 0.5;
        });
        _sim.Faults.FailNext(6, 429, retryAfter: TimeSpan.Zero);
        var target = Target(host);

        for (var i = 0; i < 6; i++)
            Assert.Equal(System.Net.HttpStatusCode.TooManyRequests, (await Assert.ThrowsAsync<TargetTransientException>(() => target.TestConnectionAsync())).Status);
        // A busy target asks for patience; it is not failing, so calls still go through.
        await target.TestConnectionAsync();

        Assert.Equal(7, _sim.Requests.Count);
    }

    [Fact]
    public async Task Circuit_closes_again_after_the_break_when_the_probe_succeeds()
    {
        var time = new ManualTimeProvider();
        using var host = new TargetTestHost(time, http: o =>
        {
            o.MaxRetryAttempts = 0;
            o.BreakerMinimumThroughput = 4;
            o.BreakerFailureRatio = 0.5;
            o.BreakDuration = TimeSpan.FromMinutes(1);
        });
        var target = Target(host);
        _sim.Faults.FailNext(4, 503);
        for (var i = 0; i < 4; i++)
            await Assert.ThrowsAsync<TargetTransientException>(() => target.TestConnectionAsync());
        Assert.Equal("CIRCUIT_OPEN", (await Assert.ThrowsAsync<TargetTransientException>(() => target.TestConnectionAsync())).Code);

        time.Advance(TimeSpan.FromSeconds(59));
        Assert.Equal("CIRCUIT_OPEN", (await Assert.ThrowsAsync<TargetTransientException>(() => target.TestConnectionAsync())).Code);
        Assert.Equal(4, _sim.Requests.Count);

        // After the break one probe goes through; it succeeds, the circuit closes and calls flow again.
        time.Advance(TimeSpan.FromSeconds(2));
        await target.TestConnectionAsync();
        for (var i = 0; i < 5; i++)
            await target.TestConnectionAsync();

        Assert.Equal([503, 503, 503, 503, 200, 200, 200, 200, 200, 200], _sim.Requests.Select(r => r.Status));
    }

    [Fact]
    public async Task A_failed_probe_opens_the_circuit_for_another_break()
    {
        var time = new ManualTimeProvider();
        using var host = new TargetTestHost(time, http: o =>
        {
            o.MaxRetryAttempts = 0;
            o.BreakerMinimumThroughput = 4;
            o.BreakDuration = TimeSpan.FromMinutes(1);
        });
        var target = Target(host);
        _sim.Faults.FailNext(5, 503);
        for (var i = 0; i < 4; i++)
            await Assert.ThrowsAsync<TargetTransientException>(() => target.TestConnectionAsync());

        time.Advance(TimeSpan.FromMinutes(1) + TimeSpan.FromSeconds(1));
        var probe = await Assert.ThrowsAsync<TargetTransientException>(() => target.TestConnectionAsync());
        var again = await Assert.ThrowsAsync<TargetTransientException>(() => target.TestConnectionAsync());

        Assert.Equal(System.Net.HttpStatusCode.ServiceUnavailable, probe.Status);
        Assert.Equal("CIRCUIT_OPEN", again.Code);
        Assert.Equal(5, _sim.Requests.Count);
        time.Advance(TimeSpan.FromMinutes(1) + TimeSpan.FromSeconds(1));
        await target.TestConnectionAsync();
        Assert.Equal(6, _sim.Requests.Count);
    }

    [Fact]
    public async Task A_429_waits_the_Retry_After_it_names_before_the_retry()
    {
        // Virtual time: the 2 s wait passes at once, and the clock shows how long the client waited.
        var time = new VirtualTimeProvider();
        using var host = new TargetTestHost(time, http: o => o.AttemptTimeout = Timeout.InfiniteTimeSpan);
        _sim.Faults.FailNext(1, 429, retryAfter: TimeSpan.FromSeconds(2));
        var started = time.GetUtcNow();

        await Target(host).TestConnectionAsync();

        Assert.Equal([429, 200], _sim.Requests.Select(r => r.Status));
        var waited = time.GetUtcNow() - started;
        Assert.True(waited >= TimeSpan.FromSeconds(2) && waited < TimeSpan.FromSeconds(3), $"waited {waited}");
    }

    [Fact]
    public async Task A_503_twice_then_success_is_retried_to_the_success()
    {
        using var host = new TargetTestHost();
        _sim.Faults.FailNext(2, 503);

        await Target(host).TestConnectionAsync();

        Assert.Equal([503, 503, 200], _sim.Requests.Select(r => r.Status));
    }

    [Theory]
    [InlineData(400)]
    [InlineData(404)]
    [InlineData(422)]
    public async Task A_client_error_is_not_retried(int status)
    {
        using var host = new TargetTestHost();
        _sim.Faults.FailNext(1, status, body: "{\"code\":" + status + ",\"status\":\"error\",\"response\":\"Bad request\"}");

        await Assert.ThrowsAsync<TargetPermanentException>(() => Target(host).TestConnectionAsync());

        Assert.Equal([status], _sim.Requests.Select(r => r.Status));
    }

    /// <summary>
    /// The target holds every attempt, and each attempt's timeout elapses on a clock the test moves only once
    /// the attempt has reached the target: on a busy machine a real 200 ms timeout fired before the request
    /// got there.
    /// </summary>
    [Fact]
    public async Task A_timeout_on_every_attempt_ends_as_a_transient_TIMEOUT_after_the_retries()
    {
        var time = new SteppedTimeProvider();
        var attemptTimeout = TimeSpan.FromSeconds(30);
        using var host = new TargetTestHost(time, http: o =>
        {
            o.AttemptTimeout = attemptTimeout;
            o.MaxRetryAttempts = 1;
        });
        HeldRequest[] attempts = [_sim.Faults.HoldNext(), _sim.Faults.HoldNext()];

        var call = Target(host).TestConnectionAsync();
        foreach (var attempt in attempts)
        {
            await time.StepUntilAsync(() => attempt.Arrived.IsCompleted, "the attempt to reach the target");
            time.Advance(attemptTimeout);
        }

        var error = await Assert.ThrowsAsync<TargetTransientException>(() => call);
        Assert.Equal("TIMEOUT", error.Code);
        Assert.Equal(2, _sim.Faults.Served);
    }

    [Fact]
    public async Task A_429_is_retried_when_Retry_After_is_short()
    {
        using var host = new TargetTestHost();
        _sim.Faults.FailNext(1, 429, retryAfter: TimeSpan.Zero);

        await Target(host).TestConnectionAsync();

        Assert.Equal([429, 200], _sim.Requests.Select(r => r.Status));
    }

    [Fact]
    public async Task A_long_Retry_After_is_handed_to_the_pipeline_instead_of_waited_for()
    {
        using var host = new TargetTestHost(http: o => o.MaxRetryAfter = TimeSpan.FromSeconds(5));
        _sim.Faults.FailNext(1, 429, retryAfter: TimeSpan.FromSeconds(120));

        var error = await Assert.ThrowsAsync<TargetTransientException>(() => Target(host).TestConnectionAsync());

        Assert.Equal(TimeSpan.FromSeconds(120), error.RetryAfter);
        Assert.Single(_sim.Requests);
    }

    [Fact]
    public async Task A_slow_answer_times_out_and_is_retried()
    {
        var time = new SteppedTimeProvider();
        var attemptTimeout = TimeSpan.FromSeconds(30);
        using var host = new TargetTestHost(time, http: o => o.AttemptTimeout = attemptTimeout);
        var slow = _sim.Faults.HoldNext();

        var call = Target(host).TestConnectionAsync();
        await time.StepUntilAsync(() => slow.Arrived.IsCompleted, "the first attempt to reach the target");
        time.Advance(attemptTimeout);
        await time.StepUntilAsync(() => call.IsCompleted, "the retry to get its answer");

        await call;
        Assert.Equal(1, _sim.Faults.Served);
    }

    [Fact]
    public async Task Persistent_5xx_ends_as_a_transient_error_after_the_retries()
    {
        using var host = new TargetTestHost(http: o => o.MaxRetryAttempts = 2);
        _sim.Faults.FailNext(3, 502);

        var error = await Assert.ThrowsAsync<TargetTransientException>(() => Target(host).TestConnectionAsync());

        Assert.Equal(System.Net.HttpStatusCode.BadGateway, error.Status);
        Assert.Equal(3, _sim.Requests.Count);
    }

    [Fact]
    public void Unknown_target_kind_and_missing_credentials_are_configuration_errors()
    {
        using var host = new TargetTestHost();

        Assert.Throws<TargetConfigurationException>(() => host.Create("mailchimp", null, []));
        var missing = Assert.Throws<TargetConfigurationException>(() => host.Create("spotler", null, new() { ["consumerKey"] = "ck" }));
        Assert.Contains("consumerSecret", missing.Message);
    }
}

using System.Net;
using Microsoft.Extensions.Options;
using Polly;
using Polly.CircuitBreaker;
using Polly.Registry;
using Polly.Retry;
using Polly.Timeout;

namespace Relay.Targets;

/// <summary>
/// Timeout, retry (5xx/429/network, jittered, honouring Retry-After) and a circuit breaker per
/// target account, around every target request. Handlers are pooled per client name, not per
/// account, so the pipelines live in a singleton registry keyed by <see cref="TargetHttp.AccountKey"/>.
/// Sits outside the authentication handlers so that every attempt is signed afresh (Spotler nonces).
/// </summary>
public sealed class TargetResilienceHandler(TargetResiliencePipelines pipelines) : DelegatingHandler
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken ct)
    {
        var account = request.Options.TryGetValue(TargetHttp.AccountKey, out var id) ? id : request.RequestUri?.Host ?? "unknown";
        var pipeline = pipelines.For(account);
        var context = ResilienceContextPool.Shared.Get(ct);
        if (request.Options.TryGetValue(TargetHttp.NotIdempotentKey, out var notIdempotent) && notIdempotent)
            context.Properties.Set(TargetResiliencePipelines.NotIdempotent, true);
        try
        {
            var outcome = await pipeline.ExecuteOutcomeAsync(
                static async (ctx, state) =>
                {
                    try
                    {
                        var response = await state.Handler.SendCoreAsync(state.Request, ctx.CancellationToken);
                        return Outcome.FromResult(response);
                    }
                    catch (Exception ex)
                    {
                        return Outcome.FromException<HttpResponseMessage>(ex);
                    }
                },
                context,
                (Handler: this, Request: request));
            if (outcome.Exception is null) return outcome.Result!;
            throw outcome.Exception switch
            {
                BrokenCircuitException e => new TargetTransientException("The target is failing repeatedly; calls are paused (circuit open).", code: "CIRCUIT_OPEN", retryAfter: e.RetryAfter, inner: e),
                TimeoutRejectedException e => new TargetTransientException("The target did not answer in time.", code: "TIMEOUT", inner: e),
                HttpRequestException e => new TargetTransientException($"The target could not be reached ({e.HttpRequestError}).", code: "NETWORK", inner: e),
                var e => Rethrow(e),
            };
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
        }
    }

    private static Exception Rethrow(Exception e)
    {
        System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(e);
        return e;
    }

    private Task<HttpResponseMessage> SendCoreAsync(HttpRequestMessage request, CancellationToken ct) => base.SendAsync(request, ct);
}

public sealed class TargetResiliencePipelines(IOptions<TargetHttpOptions> options, TimeProvider time)
{
    public static readonly ResiliencePropertyKey<bool> NotIdempotent = new("relay.target.not-idempotent");

    private readonly ResiliencePipelineRegistry<string> _registry = new();

    public ResiliencePipeline<HttpResponseMessage> For(string accountId) =>
        _registry.GetOrAddPipeline<HttpResponseMessage>(accountId, builder => Build(builder, options.Value));

    private void Build(ResiliencePipelineBuilder<HttpResponseMessage> builder, TargetHttpOptions o)
    {
        builder.TimeProvider = time;
        if (o.MaxRetryAttempts > 0)
        {
            builder.AddRetry(new RetryStrategyOptions<HttpResponseMessage>
            {
                MaxRetryAttempts = o.MaxRetryAttempts,
                Delay = o.RetryBaseDelay,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                ShouldHandle = args => ValueTask.FromResult(
                    (args.Context.Properties.GetValue(NotIdempotent, false) ? WasNotProcessed(args.Outcome) : IsTransient(args.Outcome))
                    && (args.Outcome.Result is not { } response || RetryAfter(response, time) is not { } wait || wait <= o.MaxRetryAfter)),
                // Null falls back to the exponential jittered delay.
                DelayGenerator = args => ValueTask.FromResult(args.Outcome.Result is { } r ? RetryAfter(r, time) : null),
            });
        }
        builder.AddCircuitBreaker(new CircuitBreakerStrategyOptions<HttpResponseMessage>
        {
            FailureRatio = o.BreakerFailureRatio,
            MinimumThroughput = o.BreakerMinimumThroughput,
            SamplingDuration = o.BreakerSamplingDuration,
            BreakDuration = o.BreakDuration,
            ShouldHandle = args => ValueTask.FromResult(IsTransient(args.Outcome)),
        });
        if (o.AttemptTimeout != Timeout.InfiniteTimeSpan)
            builder.AddTimeout(o.AttemptTimeout);
    }

    private static bool IsTransient(Outcome<HttpResponseMessage> outcome) =>
        outcome.Exception is HttpRequestException or TimeoutRejectedException
        || outcome.Result is { } response && IsTransient(response);

    /// <summary>
    /// For calls that would duplicate if repeated (creating a record without a key): only answers
    /// that say the request was not processed. A timeout or a 500 may have created it already.
    /// </summary>
    private static bool WasNotProcessed(Outcome<HttpResponseMessage> outcome) =>
        outcome.Exception is HttpRequestException { HttpRequestError: HttpRequestError.ConnectionError or HttpRequestError.NameResolutionError }
        || outcome.Result?.StatusCode is HttpStatusCode.TooManyRequests or HttpStatusCode.ServiceUnavailable;

    public static bool IsTransient(HttpResponseMessage response) =>
        response.StatusCode == HttpStatusCode.TooManyRequests || (int)response.StatusCode >= 500;

    public static TimeSpan? RetryAfter(HttpResponseMessage response, TimeProvider time)
    {
        var header = response.Headers.RetryAfter;
        if (header?.Delta is { } delta) return delta < TimeSpan.Zero ? TimeSpan.Zero : delta;
        if (header?.Date is { } date)
        {
            var wait = date - time.GetUtcNow();
            return wait < TimeSpan.Zero ? TimeSpan.Zero : wait;
        }
        return null;
    }
}

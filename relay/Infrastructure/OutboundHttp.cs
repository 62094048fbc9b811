using System.Net;
using System.Text.Json;
using Microsoft.Extensions.Http.Resilience;
using Microsoft.Extensions.Options;
using Polly;
using Polly.CircuitBreaker;
using Polly.Retry;
using Polly.Timeout;
using Refit;

namespace Relay.Infrastructure;

/// <summary>
/// Whose call a request is and where it goes; every outbound request carries one (Refit: a
/// <c>[Property(OutboundHttp.CallProperty)]</c> parameter). One client serves every account or shop of
/// its kind, and each has its own API root, so clients are registered against
/// <see cref="OutboundHttp.Unresolved"/> and the chain puts <see cref="BaseUri"/> in its place.
/// </summary>
/// <param name="Partner">
/// The target account id or the shop key (a shop's URL while it has none, at install): it picks the resilience
/// pipeline, so one partner's failures open only its own circuit.
/// </param>
/// <param name="NotIdempotent">The call creates without a key (or spends a one-time grant): an attempt whose answer was lost must not be repeated.</param>
public sealed record OutboundCall(string Partner, Uri BaseUri, bool NotIdempotent = false);

/// <summary>
/// The chain gave up without a usable answer: the circuit is open, every attempt timed out, the network
/// failed, or the partner's shared request budget is spent. An <see cref="HttpRequestException"/>, so callers
/// that treat an unreachable partner as temporary keep doing so; <see cref="Code"/> and
/// <see cref="RetryAfter"/> say why and for how long.
/// </summary>
public sealed class OutboundCallFailedException(string message, string code, TimeSpan? retryAfter = null, Exception? inner = null)
    : HttpRequestException(message, inner)
{
    public string Code { get; } = code;
    public TimeSpan? RetryAfter { get; } = retryAfter;
}

/// <summary>
/// The one chain every call the relay makes to a shop or a marketing system goes through: the partner's
/// address, then resilience (timeout per attempt, jittered retry on 5xx/429/network honouring Retry-After,
/// a circuit breaker per <see cref="OutboundCall.Partner"/>), then whatever the platform or target adds
/// inside it (signing, tokens, pacing), so every attempt is signed, authorised and paced on its own.
/// </summary>
public static class OutboundHttp
{
    public const string CallProperty = "relay.outbound.call";
    public static readonly HttpRequestOptionsKey<OutboundCall> CallKey = new(CallProperty);

    /// <summary>The base address of every outbound client; no request leaves with it.</summary>
    public static readonly Uri Unresolved = new("http://partner.invalid/");

    /// <summary>
    /// Refit settings for a client of the chain: answers come back as they are (the clients read them and
    /// map errors to their own exceptions), and the chain's own failures surface unwrapped.
    /// </summary>
    public static RefitSettings RefitSettings(JsonSerializerOptions json) => new(new SystemTextJsonContentSerializer(json))
    {
        // Bodies are sent again on every retry.
        Buffered = true,
        TransportExceptionFactory = (_, exception, _) => exception,
    };

    /// <summary>
    /// The resilience settings of one family of clients (section "Targets:Http", "Shopware:Http", …), with
    /// that family's defaults where they differ from <see cref="OutboundHttpOptions"/>'s.
    /// </summary>
    public static IServiceCollection AddOutboundHttpOptions(this IServiceCollection services, string section, Action<OutboundHttpOptions>? defaults = null)
    {
        var options = services.AddOptions<OutboundHttpOptions>(section);
        if (defaults is not null) options.Configure(defaults);
        options.BindConfiguration(section)
            .Validate(o => o.AttemptTimeout == Timeout.InfiniteTimeSpan || o.AttemptTimeout >= TimeSpan.FromMilliseconds(10), $"{section}:AttemptTimeout must be at least 00:00:00.010 (or -00:00:00.001 for none).")
            .Validate(o => o.MaxRetryAttempts is >= 0 and <= 10, $"{section}:MaxRetryAttempts must be between 0 and 10.")
            .Validate(o => o.RetryBaseDelay >= TimeSpan.Zero, $"{section}:RetryBaseDelay must not be negative.")
            .Validate(o => o.MaxRetryAfter >= TimeSpan.Zero, $"{section}:MaxRetryAfter must not be negative.")
            .Validate(o => o.BreakerFailureRatio is > 0 and <= 1, $"{section}:BreakerFailureRatio must be above 0 and at most 1.")
            .Validate(o => o.BreakerMinimumThroughput >= 2, $"{section}:BreakerMinimumThroughput must be at least 2.")
            .Validate(o => o.BreakerSamplingDuration >= TimeSpan.FromMilliseconds(500), $"{section}:BreakerSamplingDuration must be at least 00:00:00.5.")
            .Validate(o => o.BreakDuration >= TimeSpan.FromMilliseconds(500), $"{section}:BreakDuration must be at least 00:00:00.5.")
            .ValidateOnStart();
        return services;
    }

    /// <summary>
    /// Puts a client on the chain with the resilience settings of <paramref name="section"/>. Handlers the
    /// caller adds afterwards sit inside the resilience handler and see every attempt.
    /// </summary>
    public static IHttpClientBuilder AddOutboundChain(this IHttpClientBuilder client, string section)
    {
        client.Services.AddOutboundAddressOptions();
        client.ConfigureHttpClient(http =>
            {
                http.BaseAddress = Unresolved;
                // The time limit is Polly's, per attempt; HttpClient's would cut across retries.
                http.Timeout = Timeout.InfiniteTimeSpan;
            })
            // The factory's request logs carry paths such as contact/{externalId} or ?Email=…, which can be
            // an address; failures are reported by the callers, masked, instead.
            .RemoveAllLoggers()
            .ConfigurePrimaryHttpMessageHandler(services => OutboundAddressGuard.Handler(services.GetRequiredService<IOptions<OutboundAddressOptions>>().Value))
            .AddHttpMessageHandler(() => new OutboundCallHandler());
        client.AddResilienceHandler(client.Name, (pipeline, context) =>
                Build(pipeline, context.ServiceProvider.GetRequiredService<IOptionsMonitor<OutboundHttpOptions>>().Get(section),
                    context.ServiceProvider.GetRequiredService<TimeProvider>()))
            // OutboundCallHandler, outside, refuses a request without its call; the factory also asks about
            // a bare request of its own when it builds the handler.
            .SelectPipelineBy(_ => request => request.Options.TryGetValue(CallKey, out var call) ? call.Partner : "");
        return client;
    }

    /// <summary>Outbound:AllowPrivateNetworks, bound once however many clients use the chain.</summary>
    public static IServiceCollection AddOutboundAddressOptions(this IServiceCollection services)
    {
        if (services.All(d => d.ServiceType != typeof(IConfigureOptions<OutboundAddressOptions>)))
            services.AddOptions<OutboundAddressOptions>().BindConfiguration(OutboundAddressOptions.Section);
        return services;
    }

    public static OutboundCall Call(HttpRequestMessage request) =>
        request.Options.TryGetValue(CallKey, out var call)
            ? call
            : throw new InvalidOperationException($"An outbound request to {request.RequestUri?.AbsolutePath} without its {nameof(OutboundCall)}.");

    private static void Build(ResiliencePipelineBuilder<HttpResponseMessage> builder, OutboundHttpOptions o, TimeProvider time)
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
                    (args.Context.GetRequestMessage() is { } request && Call(request).NotIdempotent ? WasNotProcessed(args.Outcome) : IsTransient(args.Outcome))
                    // A longer wait is not held in-process: the call fails with the hint and the caller's
                    // own schedule (the queue's delayed retries) waits instead of a worker.
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
            // A 429 is a partner that works and asks for patience, which Retry-After and the pacing give it;
            // counting it would pause the whole account or shop for one busy moment.
            ShouldHandle = args => ValueTask.FromResult(IsTransient(args.Outcome) && args.Outcome.Result?.StatusCode != HttpStatusCode.TooManyRequests),
        });
        if (o.AttemptTimeout != Timeout.InfiniteTimeSpan)
            builder.AddTimeout(o.AttemptTimeout);
    }

    private static bool IsTransient(Outcome<HttpResponseMessage> outcome) =>
        outcome.Exception is TimeoutRejectedException or HttpRequestException and not OutboundCallFailedException
        || outcome.Result is { } response && IsTransient(response);

    /// <summary>
    /// For calls that would duplicate if repeated: only answers that say the request was not processed.
    /// A timeout or a 500 may have done it already.
    /// </summary>
    private static bool WasNotProcessed(Outcome<HttpResponseMessage> outcome) =>
        outcome.Exception is HttpRequestException { HttpRequestError: HttpRequestError.ConnectionError or HttpRequestError.NameResolutionError } and not OutboundCallFailedException
        || outcome.Result?.StatusCode is HttpStatusCode.TooManyRequests or HttpStatusCode.ServiceUnavailable;

    public static bool IsTransient(HttpResponseMessage response) =>
        response.StatusCode == HttpStatusCode.TooManyRequests || (int)response.StatusCode >= 500;

    /// <summary>The partner's Retry-After, as a delay (never negative) or a date.</summary>
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

/// <summary>
/// The outer end of the chain: sends the request to its partner's API root, and names what the chain
/// gave up on (an open circuit, attempts that all timed out, the network) as one exception.
/// </summary>
internal sealed class OutboundCallHandler : DelegatingHandler
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken ct)
    {
        var call = OutboundHttp.Call(request);
        var root = call.BaseUri.AbsoluteUri.EndsWith('/') ? call.BaseUri : new Uri(call.BaseUri.AbsoluteUri + "/");
        request.RequestUri = new Uri(root, request.RequestUri!.PathAndQuery.TrimStart('/'));
        try
        {
            return await base.SendAsync(request, ct);
        }
        catch (BrokenCircuitException e)
        {
            throw new OutboundCallFailedException($"{Host(call)} is failing repeatedly; calls are paused (circuit open).", "CIRCUIT_OPEN", e.RetryAfter, e);
        }
        catch (TimeoutRejectedException e)
        {
            throw new OutboundCallFailedException($"{Host(call)} did not answer in time.", "TIMEOUT", inner: e);
        }
        catch (HttpRequestException e) when (Refusal(e) is { } refused)
        {
            throw new OutboundCallFailedException(refused.Message, "PRIVATE_ADDRESS", inner: e);
        }
        catch (HttpRequestException e) when (e is not OutboundCallFailedException)
        {
            throw new OutboundCallFailedException($"{Host(call)} could not be reached ({e.HttpRequestError}).", "NETWORK", inner: e);
        }
    }

    private static string Host(OutboundCall call) => call.BaseUri.Host;

    private static OutboundAddressRefusedException? Refusal(Exception? e)
    {
        for (; e is not null; e = e.InnerException)
            if (e is OutboundAddressRefusedException refused) return refused;
        return null;
    }
}

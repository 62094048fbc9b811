using Relay.Targets.MiniCrm;
using Relay.Targets.Sare;
using Relay.Targets.Spotler;

namespace Relay.Targets;

public static class TargetServices
{
    public static IServiceCollection AddTargets(this IServiceCollection services)
    {
        services.AddOptions<TargetHttpOptions>()
            .BindConfiguration(TargetHttpOptions.Section)
            .Validate(o => o.AttemptTimeout == Timeout.InfiniteTimeSpan || o.AttemptTimeout >= TimeSpan.FromMilliseconds(10), "Targets:Http:AttemptTimeout must be at least 00:00:00.010 (or -00:00:00.001 for none).")
            .Validate(o => o.MaxRetryAttempts is >= 0 and <= 10, "Targets:Http:MaxRetryAttempts must be between 0 and 10.")
            .Validate(o => o.RetryBaseDelay >= TimeSpan.Zero, "Targets:Http:RetryBaseDelay must not be negative.")
            .Validate(o => o.BreakerFailureRatio is > 0 and <= 1, "Targets:Http:BreakerFailureRatio must be above 0 and at most 1.")
            .Validate(o => o.BreakerMinimumThroughput >= 2, "Targets:Http:BreakerMinimumThroughput must be at least 2.")
            .Validate(o => o.BreakerSamplingDuration >= TimeSpan.FromMilliseconds(500), "Targets:Http:BreakerSamplingDuration must be at least 00:00:00.5.")
            .Validate(o => o.BreakDuration >= TimeSpan.FromMilliseconds(500), "Targets:Http:BreakDuration must be at least 00:00:00.5.")
            .ValidateOnStart();
        services.AddSingleton<TargetResiliencePipelines>();
        services.AddTransient<TargetResilienceHandler>();
        services.AddSingleton<TargetFactory>();

        // One line per target.
        services.AddSpotler();
        services.AddSare();
        services.AddMiniCrm();
        return services;
    }

    /// <summary>
    /// The HTTP client every target uses: resilience outside, the target's own handlers (signing,
    /// pacing) inside, so each attempt is signed and paced on its own. The overall timeout is
    /// Polly's per attempt, not HttpClient's, which would cut across retries.
    /// </summary>
    internal static IHttpClientBuilder AddTargetHttpClient(this IServiceCollection services, string name) =>
        services.AddHttpClient(name, http => http.Timeout = Timeout.InfiniteTimeSpan)
            // The factory's request logs carry paths such as contact/{externalId} or ?Email=…, which
            // can be an address; target calls are reported by the pipeline, masked, instead.
            .RemoveAllLoggers()
            .AddHttpMessageHandler<TargetResilienceHandler>();
}

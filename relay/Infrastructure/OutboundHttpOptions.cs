namespace Relay.Infrastructure;

/// <summary>
/// Resilience of one family of outbound clients (named options, one section per family: "Targets:Http",
/// "Shopware:Http", "Shoper:Http"). Tests shrink the delays to milliseconds.
/// </summary>
public sealed class OutboundHttpOptions
{
    /// <summary>Per attempt. <see cref="Timeout.InfiniteTimeSpan"/> turns the attempt timeout off.</summary>
    public TimeSpan AttemptTimeout { get; set; } = TimeSpan.FromSeconds(30);
    public int MaxRetryAttempts { get; set; } = 3;
    /// <summary>First retry delay; grows exponentially with jitter. A Retry-After takes its place.</summary>
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromSeconds(1);
    /// <summary>
    /// A Retry-After longer than this is not waited for in-process: the call fails transient with
    /// the hint, and the pipeline's delayed-retry set waits instead of holding a worker.
    /// </summary>
    public TimeSpan MaxRetryAfter { get; set; } = TimeSpan.FromSeconds(30);

    public double BreakerFailureRatio { get; set; } = 0.5;
    public int BreakerMinimumThroughput { get; set; } = 10;
    public TimeSpan BreakerSamplingDuration { get; set; } = TimeSpan.FromSeconds(30);
    public TimeSpan BreakDuration { get; set; } = TimeSpan.FromSeconds(30);
}

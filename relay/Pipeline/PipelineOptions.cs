namespace Relay.Pipeline;

public sealed class PipelineOptions
{
    public const string Section = "Pipeline";

    /// <summary>Queue streams. A shop always lands in the same one. Changing it strands a backlog: drain first.</summary>
    public int Partitions { get; set; } = 4;

    /// <summary>The configured <see cref="Partitions"/>, for the store that holds the streams.</summary>
    public static int PartitionsOf(IServiceProvider services) => services.GetRequiredService<Microsoft.Extensions.Options.IOptions<PipelineOptions>>().Value.Partitions;

    public TimeSpan DedupTtl { get; set; } = TimeSpan.FromDays(7);

    /// <summary>Delay before each retry; when it is used up the event goes to dead letters. Svix's schedule.</summary>
    public List<TimeSpan> RetrySchedule { get; set; } = [];

    /// <summary>Each delay is stretched or shrunk at random by up to this fraction, so failures do not retry in lockstep.</summary>
    public double RetryJitter { get; set; } = 0.2;

    /// <summary>An entry a consumer read and did not ack for this long is taken over by another.</summary>
    public TimeSpan VisibilityTimeout { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>How often an event that waits (<see cref="WaitingException"/>) is looked at again.</summary>
    public TimeSpan WaitingRecheck { get; set; } = TimeSpan.FromMinutes(1);

    public bool WorkersEnabled { get; set; } = true;
    public int WorkerConcurrency { get; set; } = 8;
    public int BatchSize { get; set; } = 32;
    public TimeSpan IdleDelay { get; set; } = TimeSpan.FromMilliseconds(100);

    public static readonly TimeSpan[] DefaultRetrySchedule =
    [
        TimeSpan.FromSeconds(5), TimeSpan.FromMinutes(5), TimeSpan.FromMinutes(30), TimeSpan.FromHours(2),
        TimeSpan.FromHours(5), TimeSpan.FromHours(10), TimeSpan.FromHours(10),
    ];

    public IReadOnlyList<TimeSpan> EffectiveRetrySchedule => RetrySchedule.Count > 0 ? RetrySchedule : DefaultRetrySchedule;
}

namespace Relay.Pipeline;

public static class PipelineServices
{
    public static IServiceCollection AddPipeline(this IServiceCollection services)
    {
        services.AddOptions<PipelineOptions>()
            .BindConfiguration(PipelineOptions.Section)
            .Validate(o => o.Partitions is >= 1 and <= 256, "Pipeline:Partitions must be between 1 and 256.")
            .Validate(o => o.DedupTtl >= TimeSpan.FromMinutes(1), "Pipeline:DedupTtl must be at least 00:01:00.")
            .Validate(o => o.RetrySchedule.All(d => d > TimeSpan.Zero), "Pipeline:RetrySchedule entries must be positive durations (e.g. 00:00:05).")
            .Validate(o => o.RetryJitter is >= 0 and < 1, "Pipeline:RetryJitter must be at least 0 and below 1.")
            .Validate(o => o.VisibilityTimeout >= TimeSpan.FromSeconds(1), "Pipeline:VisibilityTimeout must be at least 00:00:01.")
            .Validate(o => o.WaitingRecheck >= TimeSpan.FromSeconds(1), "Pipeline:WaitingRecheck must be at least 00:00:01 (default 00:01:00).")
            .Validate(o => o.WorkerConcurrency is >= 1 and <= 256, "Pipeline:WorkerConcurrency must be between 1 and 256.")
            .Validate(o => o.BatchSize is >= 1 and <= 1000, "Pipeline:BatchSize must be between 1 and 1000.")
            .ValidateOnStart();

        services.AddSingleton<RelayMetrics>();
        services.AddSingleton<Inbox>();
        services.AddSingleton<OrderedWrites>();
        services.AddSingleton<QueueWorker>();
        services.AddHostedService(sp => sp.GetRequiredService<QueueWorker>());
        return services;
    }
}

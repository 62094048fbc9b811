using System.Diagnostics;
using Microsoft.Extensions.Options;
using Relay.Storage;

namespace Relay.Pipeline;

/// <summary>
/// Reads the queue partitions through the shared consumer group, hands each item to its handler and
/// acks on success. Failures wait in the delayed-retry set on the configured schedule; a permanent
/// failure or an exhausted schedule ends in the shop's dead letters. Entries another process read
/// and never acked (it died) are taken over after the visibility timeout.
/// </summary>
public sealed class QueueWorker(
    IRelayStore store,
    IEnumerable<IQueueHandler> handlers,
    IOptions<PipelineOptions> options,
    TimeProvider time,
    RelayMetrics metrics,
    ILogger<QueueWorker> logger) : BackgroundService
{
    private readonly IQueueHandler[] _handlers = handlers.ToArray();
    private readonly PipelineOptions _options = options.Value;
    private DateTimeOffset _nextClaim = DateTimeOffset.MinValue;

    /// <summary>Unique per process and start, so a restarted process never inherits a dead one's entries by name.</summary>
    public string Consumer { get; } = $"{Environment.MachineName}-{Environment.ProcessId}-{Guid.NewGuid().ToString("N")[..8]}";

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!_options.WorkersEnabled) return;
        logger.LogInformation("Queue worker {Consumer} reading {Partitions} partitions", Consumer, _options.Partitions);
        while (!stoppingToken.IsCancellationRequested)
        {
            int handled;
            try
            {
                // In-flight items finish even when shutdown starts: the loop stops reading, not working.
                handled = await ProcessOnceAsync(CancellationToken.None);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogWarning(e, "Queue worker could not reach the store; retrying");
                handled = 0;
                await Delay(TimeSpan.FromSeconds(1), stoppingToken);
            }
            if (handled == 0) await Delay(_options.IdleDelay, stoppingToken);
        }
    }

    private static async Task Delay(TimeSpan delay, CancellationToken ct)
    {
        try { await Task.Delay(delay, ct); }
        catch (OperationCanceledException) { }
    }

    /// <summary>One pass over every partition: promote due retries, reclaim stale entries, handle new ones.</summary>
    public async Task<int> ProcessOnceAsync(CancellationToken ct = default)
    {
        var now = time.GetUtcNow();
        var claim = now >= _nextClaim;
        if (claim) _nextClaim = now + _options.VisibilityTimeout / 4;

        var handled = 0;
        for (var partition = 0; partition < _options.Partitions; partition++)
        {
            await store.PromoteDueRetriesAsync(partition, now, _options.BatchSize * 4);
            if (claim)
                handled += await HandleAllAsync(await store.ClaimStaleAsync(partition, Consumer, _options.VisibilityTimeout, _options.BatchSize), ct);
            handled += await HandleAllAsync(await store.ReadAsync(partition, Consumer, _options.BatchSize), ct);
        }
        return handled;
    }

    private async Task<int> HandleAllAsync(IReadOnlyList<QueueItem> items, CancellationToken ct)
    {
        if (items.Count == 0) return 0;
        await Parallel.ForEachAsync(items, new ParallelOptions { MaxDegreeOfParallelism = _options.WorkerConcurrency, CancellationToken = ct },
            async (item, token) => await HandleAsync(item, token));
        return items.Count;
    }

    private async Task HandleAsync(QueueItem item, CancellationToken ct)
    {
        var handler = Array.Find(_handlers, h => h.Handles(item.Event.Kind));
        using var scope = logger.BeginScope(new Telemetry.EventLogScope(item.Event.ShopKey, item.Event.EventId));
        if (handler is null)
        {
            await DeadLetterAsync(item, $"No handler for events of kind '{item.Event.Kind}'.");
            return;
        }

        // A handler must give up well before the visibility timeout, or another worker would take
        // the entry over while this one still works on it.
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(_options.VisibilityTimeout / 2);
        var started = Stopwatch.GetTimestamp();
        try
        {
            await handler.HandleAsync(item, timeout.Token);
            await store.AckAsync(item);
            metrics.EventsProcessed.Add(1, new KeyValuePair<string, object?>("outcome", "ok"));
        }
        catch (PermanentFailureException e)
        {
            await DeadLetterAsync(item, e.Message);
        }
        catch (WaitingException e)
        {
            await store.ScheduleRetryAsync(item, time.GetUtcNow() + _options.WaitingRecheck, e.Message, countsAsAttempt: false);
            metrics.EventsProcessed.Add(1, new KeyValuePair<string, object?>("outcome", "waiting"));
            logger.LogInformation("Waiting: {Reason}", e.Message);
        }
        catch (Exception e)
        {
            var error = e is OperationCanceledException && timeout.IsCancellationRequested && !ct.IsCancellationRequested
                ? $"Timed out after {_options.VisibilityTimeout / 2}."
                : $"{e.GetType().Name}: {e.Message}";
            var schedule = _options.EffectiveRetrySchedule;
            if (item.Attempt >= schedule.Count)
            {
                await DeadLetterAsync(item, error);
                return;
            }
            var delay = Jitter(schedule[item.Attempt]);
            await store.ScheduleRetryAsync(item, time.GetUtcNow() + delay, error);
            metrics.EventsProcessed.Add(1, new KeyValuePair<string, object?>("outcome", "retry"));
            logger.LogInformation("Attempt {Attempt} failed ({Error}); retrying in {Delay}", item.Attempt + 1, error, delay);
        }
        finally
        {
            metrics.HandlerDuration.Record(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }
    }

    private async Task DeadLetterAsync(QueueItem item, string error)
    {
        await store.DeadLetterAsync(item, error, time.GetUtcNow());
        metrics.EventsProcessed.Add(1, new KeyValuePair<string, object?>("outcome", "dead"));
        logger.LogWarning("Dead-lettered after {Attempts} attempt(s): {Error}", item.Attempt + 1, error);
    }

    private TimeSpan Jitter(TimeSpan delay) =>
        delay * (1 + _options.RetryJitter * (2 * Random.Shared.NextDouble() - 1));
}

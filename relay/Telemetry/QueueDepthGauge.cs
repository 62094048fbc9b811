using System.Diagnostics.Metrics;
using Microsoft.Extensions.Options;
using Relay.Pipeline;
using Relay.Storage;

namespace Relay.Telemetry;

/// <summary>
/// relay.queue.depth: waiting, pending (read, not acked) and retrying entries per partition. The
/// queue is shared by every relay process, so every process reports the same figures: aggregate
/// with max, not sum. A collection returns the last snapshot and refreshes it in the background
/// when it is older than <see cref="RefreshInterval"/>, so a scrape never waits on the store and a
/// store outage only makes the figures stale.
/// </summary>
public sealed class QueueDepthGauge
{
    public static readonly TimeSpan RefreshInterval = TimeSpan.FromSeconds(10);

    private readonly IRelayStore _store;
    private readonly int _partitions;
    private readonly TimeProvider _time;
    private readonly ILogger<QueueDepthGauge> _logger;
    private IReadOnlyList<Measurement<long>> _snapshot = [];
    private DateTimeOffset _refreshedAt = DateTimeOffset.MinValue;
    private int _refreshing;

    public QueueDepthGauge(IRelayStore store, IOptions<PipelineOptions> options, TimeProvider time, IMeterFactory meters, ILogger<QueueDepthGauge> logger)
    {
        _store = store;
        _partitions = options.Value.Partitions;
        _time = time;
        _logger = logger;
        meters.Create(RelayMetrics.MeterName).CreateObservableGauge("relay.queue.depth", Observe, unit: "{entry}",
            description: "Queue entries per partition and state (waiting, pending, retrying); shared by all relay processes.");
    }

    private IEnumerable<Measurement<long>> Observe()
    {
        if (_time.GetUtcNow() - _refreshedAt >= RefreshInterval && Interlocked.Exchange(ref _refreshing, 1) == 0)
            _ = Task.Run(RefreshAsync);
        return Volatile.Read(ref _snapshot);
    }

    /// <summary>Reads the store now; the next collection reports the result.</summary>
    public async Task RefreshAsync()
    {
        try
        {
            var measurements = new List<Measurement<long>>(_partitions * 3);
            for (var p = 0; p < _partitions; p++)
            {
                var depth = await _store.GetDepthAsync(p);
                var partition = new KeyValuePair<string, object?>("partition", p);
                measurements.Add(new(depth.Waiting, partition, new("state", "waiting")));
                measurements.Add(new(depth.Pending, partition, new("state", "pending")));
                measurements.Add(new(depth.Retrying, partition, new("state", "retrying")));
            }
            Volatile.Write(ref _snapshot, measurements);
        }
        catch (Exception e)
        {
            _logger.LogDebug(e, "Queue depth could not be read; the gauge keeps its last figures");
        }
        finally
        {
            _refreshedAt = _time.GetUtcNow();
            Volatile.Write(ref _refreshing, 0);
        }
    }
}

using System.Diagnostics.Metrics;
using Microsoft.Extensions.Options;
using Relay.Pipeline;
using Relay.Storage;

namespace Relay.Telemetry;

/// <summary>
/// relay.queue.depth: waiting, pending (read, not acked) and retrying entries per partition. The
/// queue is shared by every relay process, so every process reports the same figures: aggregate
/// with max, not sum. A timer reads the store every <see cref="RefreshInterval"/> and a collection
/// returns the last reading, so a collection never waits on the store and a store outage only makes
/// the figures stale.
/// </summary>
public sealed class QueueDepthGauge : IDisposable
{
    public static readonly TimeSpan RefreshInterval = TimeSpan.FromSeconds(10);

    private readonly IRelayStore _store;
    private readonly int _partitions;
    private readonly ILogger<QueueDepthGauge> _logger;
    private readonly ITimer _timer;
    private IReadOnlyList<Measurement<long>> _snapshot = [];
    private readonly SemaphoreSlim _reading = new(1, 1);

    public QueueDepthGauge(IRelayStore store, IOptions<PipelineOptions> options, TimeProvider time, IMeterFactory meters, ILogger<QueueDepthGauge> logger)
    {
        _store = store;
        _partitions = options.Value.Partitions;
        _logger = logger;
        meters.Create(RelayMetrics.MeterName).CreateObservableGauge("relay.queue.depth", () => Volatile.Read(ref _snapshot), unit: "{entry}",
            description: "Queue entries per partition and state (waiting, pending, retrying); shared by all relay processes.");
        // A store that hangs (Redis down: up to the sync timeout) must not pile up readings: a tick
        // that finds one under way skips.
        _timer = time.CreateTimer(_ => { if (_reading.Wait(0)) _ = ReadAsync(); }, null, TimeSpan.Zero, RefreshInterval);
    }

    /// <summary>Reads the store now; the next collection reports the result.</summary>
    public async Task RefreshAsync()
    {
        await _reading.WaitAsync();
        await ReadAsync();
    }

    /// <summary>Called holding <see cref="_reading"/>; releases it.</summary>
    private async Task ReadAsync()
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
            _reading.Release();
        }
    }

    public void Dispose() => _timer.Dispose();
}

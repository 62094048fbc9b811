using System.Diagnostics.Metrics;
using Microsoft.Extensions.Options;
using Relay.Storage;

namespace Relay.Pipeline;

public enum AcceptOutcome { Accepted, Duplicate }

/// <summary>
/// The front door of the pipeline: an event answered 2xx has passed through here, so it is in the
/// store before the answer. Dedup and enqueue are one atomic store step.
/// </summary>
public sealed class Inbox(IRelayStore store, IOptions<PipelineOptions> options, TimeProvider time, RelayMetrics metrics)
{
    /// <param name="sequence">The platform's delivery sequence, where it numbers deliveries (see <see cref="OrderedWrites"/>).</param>
    public async Task<AcceptOutcome> AcceptAsync(string shopKey, string eventId, string kind, string body, long? sequence = null)
    {
        var evt = new InboxEvent(shopKey, eventId, kind, body, time.GetUtcNow(), sequence);
        var accepted = await store.AcceptAsync(evt, options.Value.DedupTtl);
        metrics.EventsReceived.Add(1, new KeyValuePair<string, object?>("outcome", accepted ? "accepted" : "duplicate"));
        return accepted ? AcceptOutcome.Accepted : AcceptOutcome.Duplicate;
    }
}

/// <summary>The relay's counters and gauges (System.Diagnostics.Metrics, meter "Relay").</summary>
public sealed class RelayMetrics
{
    public const string MeterName = "Relay";

    public RelayMetrics(IMeterFactory meters)
    {
        var meter = meters.Create(MeterName);
        EventsReceived = meter.CreateCounter<long>("relay.events.received", description: "Events offered to the inbox, by outcome (accepted, duplicate).");
        EventsRejected = meter.CreateCounter<long>("relay.events.rejected", description: "Requests refused before the inbox (signature, unknown shop, bad input).");
        EventsProcessed = meter.CreateCounter<long>("relay.events.processed", description: "Queue items handled, by outcome (ok, retry, dead).");
        HandlerDuration = meter.CreateHistogram<double>("relay.handler.duration", unit: "ms", description: "Time a handler took for one item.");
    }

    public Counter<long> EventsReceived { get; }
    public Counter<long> EventsRejected { get; }
    public Counter<long> EventsProcessed { get; }
    public Histogram<double> HandlerDuration { get; }
}

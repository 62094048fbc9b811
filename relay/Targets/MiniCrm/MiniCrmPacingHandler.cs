using Relay.Storage;

namespace Relay.Targets.MiniCrm;

/// <summary>
/// Holds each attempt (retries included) until its slot in the system's shared bucket, so all
/// relay instances together stay under MiniCRM's per-minute limit instead of discovering it by 429.
/// </summary>
public sealed class MiniCrmPacingHandler(IRelayStore store, TimeProvider time) : DelegatingHandler
{
    public static readonly HttpRequestOptionsKey<MiniCrmPace> PaceKey = new("relay.minicrm.pace");

    /// <summary>A wait longer than this means a deep backlog: give the worker back and let the pipeline retry later.</summary>
    public static readonly TimeSpan MaxWait = TimeSpan.FromMinutes(2);

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken ct)
    {
        if (request.Options.TryGetValue(PaceKey, out var pace))
        {
            // Burst 1: GCRA with a larger burst would admit more than the limit within one minute.
            var wait = await store.ReserveSlotAsync(pace.Bucket, pace.RequestsPerMinute / 60.0, 1, time.GetUtcNow());
            if (wait > MaxWait)
                throw new TargetTransientException("MiniCRM's request budget is used up for now.", code: "RATE_BUDGET", retryAfter: wait);
            if (wait > TimeSpan.Zero)
                await Task.Delay(wait, time, ct);
        }
        return await base.SendAsync(request, ct);
    }
}

public sealed record MiniCrmPace(string Bucket, int RequestsPerMinute)
{
    /// <summary>One bucket per MiniCRM system: the limit belongs to the system, whichever shop uses it.</summary>
    public static MiniCrmPace For(MiniCrmSettings settings) => new($"relay:rate:minicrm:{settings.SystemId}", settings.RequestsPerMinute);
}

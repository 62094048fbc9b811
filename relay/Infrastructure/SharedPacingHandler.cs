using Relay.Storage;

namespace Relay.Infrastructure;

/// <summary>
/// A partner's request budget shared by every relay instance: a GCRA bucket in the store.
/// </summary>
/// <param name="Bucket">The store key; one per budget (a shop, a MiniCRM system), whoever calls it.</param>
/// <param name="MaxWait">A longer wait means a deep backlog: the call fails at once with the wait as its Retry-After, giving the worker back.</param>
public sealed record OutboundPace(string Bucket, double PerSecond, int Burst, TimeSpan? MaxWait = null);

/// <summary>
/// Holds each attempt (retries included) until its slot in the request's <see cref="OutboundPace"/>, so all
/// relay instances together stay under a partner's limit instead of discovering it by 429. Requests
/// without a pace pass straight through.
/// </summary>
public sealed class SharedPacingHandler(IRelayStore store, TimeProvider time) : DelegatingHandler
{
    public const string PaceProperty = "relay.outbound.pace";
    public static readonly HttpRequestOptionsKey<OutboundPace> PaceKey = new(PaceProperty);

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken ct)
    {
        if (request.Options.TryGetValue(PaceKey, out var pace))
        {
            var wait = await store.ReserveSlotAsync(pace.Bucket, pace.PerSecond, pace.Burst, time.GetUtcNow());
            if (wait > pace.MaxWait)
                throw new OutboundCallFailedException($"The request budget of {request.RequestUri?.Host} is used up for now.", "RATE_BUDGET", wait);
            if (wait > TimeSpan.Zero)
                await Task.Delay(wait, time, ct);
        }
        return await base.SendAsync(request, ct);
    }
}

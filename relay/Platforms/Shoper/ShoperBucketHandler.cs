using System.Globalization;
using Microsoft.Extensions.Options;
using Relay.Infrastructure;
using Relay.Storage;

namespace Relay.Platforms.Shoper;

/// <summary>
/// Paces each attempt on a Shoper shop into the shop's leaky bucket and learns the bucket from the answer.
/// Shoper meters each app per shop (capacity X-Shop-Api-Limit, draining X-Shop-Api-Bandwidth a second) and
/// every relay instance talks to the same bucket, so pacing goes through
/// <see cref="IRelayStore.ReserveSlotAsync"/> under one key per shop (<see cref="OutboundCall.Partner"/>),
/// with the bucket size learnt from the shop's headers and the shared view raised whenever the shop reports
/// a fuller bucket (X-Shop-Api-Calls, 429). The chain's retry then waits out a 429's Retry-After.
/// </summary>
public sealed class ShoperBucketHandler(IRelayStore store, TimeProvider time, IOptions<ShoperOptions> options) : DelegatingHandler
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken ct)
    {
        var shopKey = OutboundHttp.Call(request).Partner;
        var bucket = await PaceAsync(shopKey, ct);
        var sentAt = time.GetUtcNow();
        var response = await base.SendAsync(request, ct);
        var retryAfter = response.StatusCode == System.Net.HttpStatusCode.TooManyRequests
            ? OutboundHttp.RetryAfter(response, time) ?? TimeSpan.FromSeconds(1)
            : (TimeSpan?)null;
        await LearnBucketAsync(shopKey, response, bucket, time.GetUtcNow() - sentAt, retryAfter);
        return response;
    }

    private static string BucketKey(string shopKey) => StoreKeys.ShopItem(shopKey, "shoper:api-bucket");
    private static string BucketSizeKey(string shopKey) => StoreKeys.ShopItem(shopKey, "shoper:api-limits");

    private async Task<ShoperBucket> PaceAsync(string shopKey, CancellationToken ct)
    {
        // The bucket size is shared through the store, so an instance that never called this shop still paces right.
        var bucket = ShoperBucket.Parse(await store.GetAsync(BucketSizeKey(shopKey)))
                     ?? new ShoperBucket(options.Value.DefaultApiLimit, options.Value.DefaultApiBandwidth);
        var wait = await store.ReserveSlotAsync(BucketKey(shopKey), bucket.PacingRate, bucket.PacingBurst, time.GetUtcNow());
        if (wait > TimeSpan.Zero)
            await Task.Delay(wait, time, ct);
        return bucket;
    }

    /// <param name="roundTrip">From sending the request to its response: the shop counted somewhere in between.</param>
    /// <param name="retryAfter">A 429's wait (Retry-After, else one second); null for any other answer.</param>
    private async Task LearnBucketAsync(string shopKey, HttpResponseMessage response, ShoperBucket assumed, TimeSpan roundTrip, TimeSpan? retryAfter)
    {
        var bucket = assumed;
        var limit = Header(response, "X-Shop-Api-Limit");
        var bandwidth = Header(response, "X-Shop-Api-Bandwidth");
        if (limit is >= 1 && bandwidth is > 0)
        {
            bucket = new ShoperBucket((int)limit.Value, bandwidth.Value);
            if (bucket != assumed)
                await store.SetAsync(BucketSizeKey(shopKey), bucket.ToString(), TimeSpan.FromDays(7));
        }
        // The shop also counts calls this store did not pace (a relay on another store, the shop's own
        // integrations), and a 429 says the bucket is full right now: either raises the shared view, so
        // every instance on this store backs off, not just the caller that heard it.
        var level = Math.Max(
            Header(response, "X-Shop-Api-Calls") is { } calls ? bucket.LevelReported(calls, roundTrip) : 0,
            retryAfter is { } wait ? bucket.LevelToWait(wait) : 0);
        if (level > 0)
            await store.RaiseSlotLevelAsync(BucketKey(shopKey), bucket.PacingRate, level, time.GetUtcNow());
    }

    private static double? Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values)
        && double.TryParse(values.FirstOrDefault(), NumberStyles.Float, CultureInfo.InvariantCulture, out var value)
            ? value
            : null;
}

/// <summary>
/// A shop's bucket as its headers state it, and how the relay paces into it: at the full drain rate,
/// bursting into all of it but a safety margin. Pacing is a GCRA schedule of the moments requests may
/// leave, so the shop's bucket overflows only by what the schedule cannot see: requests arriving later
/// or closer together than they were paced (a process pause, the network), a bucket that drains in
/// steps rather than continuously, and calls the relay did not pace. The margin covers the first two;
/// <see cref="LevelReported"/> and <see cref="LevelToWait"/> correct the schedule for the third; the
/// chain's 429 retries catch whatever is left.
/// </summary>
internal sealed record ShoperBucket(int Limit, double Bandwidth)
{
    /// <summary>
    /// One second's drain, at least one call. Shoper documents the drain as "every second", so its bucket
    /// may empty in steps, holding up to a second's drain more than a continuously draining one just
    /// before each step; against a continuous drain the same margin absorbs a second of arrival jitter.
    /// </summary>
    public int SafetyMargin => Math.Max(1, (int)Math.Ceiling(Bandwidth));

    public int PacingBurst => Math.Max(1, Limit - SafetyMargin);
    public double PacingRate => Bandwidth;

    /// <summary>
    /// The least the bucket can hold now, given X-Shop-Api-Calls on a response that took
    /// <paramref name="roundTrip"/>: the count is rounded up, and taken at some moment since sending,
    /// so up to a round trip of drain may have gone since.
    /// </summary>
    public double LevelReported(double calls, TimeSpan roundTrip) =>
        calls - 1 - Bandwidth * Math.Max(0, roundTrip.TotalSeconds);

    /// <summary>The pacing level at which the next slot is <paramref name="wait"/> away: a 429's Retry-After applied to everyone.</summary>
    public double LevelToWait(TimeSpan wait) => PacingBurst - 1 + PacingRate * wait.TotalSeconds;

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Limit},{Bandwidth}");

    public static ShoperBucket? Parse(string? stored)
    {
        var parts = stored?.Split(',');
        return parts is [var l, var b]
               && int.TryParse(l, NumberStyles.Integer, CultureInfo.InvariantCulture, out var limit)
               && double.TryParse(b, NumberStyles.Float, CultureInfo.InvariantCulture, out var bandwidth)
               && limit >= 1 && bandwidth > 0
            ? new ShoperBucket(limit, bandwidth)
            : null;
    }
}

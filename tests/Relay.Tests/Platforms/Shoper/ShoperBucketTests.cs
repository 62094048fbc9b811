using Relay.Platforms.Shoper;
using Relay.Storage.Embedded;
using Relay.Tests.Infrastructure;

namespace Relay.Tests.Platforms.Shoper;

/// <summary>
/// The pacing into a shop's leaky bucket, on a manual clock: the schedule the store hands out is fed
/// into a model of the shop's bucket, so "uses most of the bucket, never overflows it" is checked over
/// minutes of bucket time without waiting for any of it.
/// </summary>
public sealed class ShoperBucketTests
{
    private const string Key = "relay:shop:shoper:test:shoper:api-bucket";

    [Theory]
    [InlineData(10, 2, 8, 2)]     // Shoper's documented default: all but one second's drain
    [InlineData(40, 2.5, 37, 2.5)]
    [InlineData(10, 10, 1, 10)]   // a bucket that drains its size every second: paced, no burst
    [InlineData(1, 0.5, 1, 0.5)]
    public void Pacing_runs_at_the_drain_rate_and_bursts_into_all_but_a_seconds_drain(int limit, double bandwidth, int burst, double rate)
    {
        var bucket = new ShoperBucket(limit, bandwidth);

        Assert.Equal(burst, bucket.PacingBurst);
        Assert.Equal(rate, bucket.PacingRate);
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(0.5)]
    [InlineData(0.9)]
    public async Task A_minute_of_greedy_calls_gets_over_95_percent_of_a_continuously_draining_bucket_without_overflow(double maxJitterSeconds)
    {
        var bucket = new ShoperBucket(10, 2);
        var run = TimeSpan.FromSeconds(60);
        var random = new Random(8);
        // Each call reaches the shop up to maxJitter after its slot (network, scheduling), in any order.
        var arrivals = (await GreedySchedule(bucket, run)).Select(t => t + random.NextDouble() * maxJitterSeconds).Order().ToList();

        var model = new ShopBucketModel(bucket.Limit, bucket.Bandwidth, stepPhase: null);
        Assert.All(arrivals, t => Assert.True(model.Admit(t), $"the shop's bucket overflowed at {t:F3} s"));
        var theoretical = bucket.Limit + bucket.Bandwidth * run.TotalSeconds;
        Assert.InRange(arrivals.Count, 0.95 * theoretical, theoretical);
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(0.3)]
    [InlineData(0.99)]
    public async Task The_same_schedule_fits_a_bucket_that_drains_in_steps_once_a_second(double stepPhase)
    {
        var bucket = new ShoperBucket(10, 2);

        var arrivals = await GreedySchedule(bucket, TimeSpan.FromSeconds(60));

        var model = new ShopBucketModel(bucket.Limit, bucket.Bandwidth, stepPhase);
        Assert.All(arrivals, t => Assert.True(model.Admit(t), $"the shop's bucket overflowed at {t:F3} s"));
    }

    [Fact]
    public async Task A_shop_reporting_calls_the_relay_did_not_pace_holds_the_next_slot_back()
    {
        var (clock, store) = Store();
        var bucket = new ShoperBucket(10, 2);
        Assert.Equal(TimeSpan.Zero, await store.ReserveSlotAsync(Key, bucket.PacingRate, bucket.PacingBurst, clock.GetUtcNow()));
        clock.Advance(TimeSpan.FromMilliseconds(200));

        // Someone else filled the bucket: the answer to our one call reports it full.
        await store.RaiseSlotLevelAsync(Key, bucket.PacingRate, bucket.LevelReported(10, TimeSpan.FromMilliseconds(200)), clock.GetUtcNow());

        // At least 10 - 1 (rounding) - 0.4 (drained during the round trip) = 8.6 now; a call may go at 7.
        Assert.Equal(TimeSpan.FromMilliseconds(800), await store.ReserveSlotAsync(Key, bucket.PacingRate, bucket.PacingBurst, clock.GetUtcNow()));
    }

    [Fact]
    public async Task A_shop_reporting_only_the_relays_own_calls_leaves_the_schedule_alone()
    {
        var (clock, store) = Store();
        var bucket = new ShoperBucket(10, 2);
        for (var i = 0; i < bucket.PacingBurst; i++)
            Assert.Equal(TimeSpan.Zero, await store.ReserveSlotAsync(Key, bucket.PacingRate, bucket.PacingBurst, clock.GetUtcNow()));
        clock.Advance(TimeSpan.FromMilliseconds(100));

        // The burst arrived (rounded up, 8 calls); some of the calls may even still be on their way.
        await store.RaiseSlotLevelAsync(Key, bucket.PacingRate, bucket.LevelReported(8, TimeSpan.FromMilliseconds(100)), clock.GetUtcNow());
        await store.RaiseSlotLevelAsync(Key, bucket.PacingRate, bucket.LevelReported(3, TimeSpan.FromMilliseconds(100)), clock.GetUtcNow());

        // Unchanged: the ninth slot is one drain interval after the burst.
        Assert.Equal(TimeSpan.FromMilliseconds(400), await store.ReserveSlotAsync(Key, bucket.PacingRate, bucket.PacingBurst, clock.GetUtcNow()));
    }

    [Fact]
    public async Task A_429s_retry_after_holds_every_caller_back_that_long_then_pacing_resumes()
    {
        var (clock, store) = Store();
        var bucket = new ShoperBucket(10, 2);

        await store.RaiseSlotLevelAsync(Key, bucket.PacingRate, bucket.LevelToWait(TimeSpan.FromSeconds(3)), clock.GetUtcNow());

        Assert.Equal(TimeSpan.FromSeconds(3), await store.ReserveSlotAsync(Key, bucket.PacingRate, bucket.PacingBurst, clock.GetUtcNow()));
        clock.Advance(TimeSpan.FromSeconds(3));
        // No fresh burst after it: the shop said full, so calls go at the drain rate.
        Assert.Equal(TimeSpan.FromMilliseconds(500), await store.ReserveSlotAsync(Key, bucket.PacingRate, bucket.PacingBurst, clock.GetUtcNow()));
    }

    private static (ManualTimeProvider Clock, EmbeddedRelayStore Store) Store()
    {
        var clock = new ManualTimeProvider();
        return (clock, new EmbeddedRelayStore(clock, 1));
    }

    /// <summary>
    /// Seconds from the start at which a caller that always wants the next call may send it, for
    /// <paramref name="run"/>: what a busy sync sees, whatever the number of workers sharing the store.
    /// </summary>
    private static async Task<List<double>> GreedySchedule(ShoperBucket bucket, TimeSpan run)
    {
        var (clock, store) = Store();
        var start = clock.GetUtcNow();
        var slots = new List<double>();
        while (true)
        {
            clock.Advance(await store.ReserveSlotAsync(Key, bucket.PacingRate, bucket.PacingBurst, clock.GetUtcNow()));
            var at = (clock.GetUtcNow() - start).TotalSeconds;
            if (at >= run.TotalSeconds) return slots;
            slots.Add(at);
        }
    }

    /// <summary>
    /// Shoper's leaky bucket as documented: a call is refused when it would take the level over the limit.
    /// Drains continuously, or (with a phase) by the whole bandwidth once a second.
    /// </summary>
    private sealed class ShopBucketModel(int limit, double bandwidth, double? stepPhase)
    {
        private double _level;
        private double _last;

        public bool Admit(double at)
        {
            _level = Math.Max(0, _level - Drained(_last, at));
            _last = at;
            if (_level + 1 > limit) return false;
            _level += 1;
            return true;
        }

        private double Drained(double from, double to) => stepPhase is { } phase
            ? bandwidth * (Math.Floor(to - phase) - Math.Floor(from - phase))
            : bandwidth * (to - from);
    }
}

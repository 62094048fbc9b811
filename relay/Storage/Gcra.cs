namespace Relay.Storage;

/// <summary>
/// Generic cell rate algorithm: the bucket is one number, the theoretical arrival time (TAT) of the
/// next request, so it is cheap to share in Redis. The Lua twin of this lives in RedisRelayStore.
/// </summary>
internal static class Gcra
{
    /// <param name="stored">TAT in Unix milliseconds, or null for an empty bucket.</param>
    public static TimeSpan Reserve(string? stored, double perSecond, int burst, DateTimeOffset now, out double newTat)
    {
        var nowMs = now.ToUnixTimeMilliseconds();
        var interval = 1000.0 / perSecond;
        var tat = stored is null ? nowMs : Math.Max(double.Parse(stored, System.Globalization.CultureInfo.InvariantCulture), nowMs);
        // A reservation is always granted; the caller waits until its slot.
        var allowAt = tat - interval * (burst - 1);
        newTat = tat + interval;
        return allowAt > nowMs ? TimeSpan.FromMilliseconds(allowAt - nowMs) : TimeSpan.Zero;
    }

    /// <summary>
    /// The TAT of a bucket known to hold at least <paramref name="level"/> requests at <paramref name="now"/>:
    /// never earlier than the stored one, because a lower outside count is no evidence of room (reservations
    /// already granted may not have reached the counter yet).
    /// </summary>
    public static double Raise(string? stored, double perSecond, double level, DateTimeOffset now)
    {
        var floor = now.ToUnixTimeMilliseconds() + level * 1000.0 / perSecond;
        return stored is null ? floor : Math.Max(double.Parse(stored, System.Globalization.CultureInfo.InvariantCulture), floor);
    }
}

namespace Relay.Tests.Infrastructure;

/// <summary>
/// Waits for a condition by asking it again and again; never asserts on how long it took. The limit
/// only stops a test that would otherwise hang, so it is far above what any wait takes, even on the
/// two shared cores the suite runs on while a browser, relay processes and Redis compete for them.
/// </summary>
public static class Eventually
{
    public static readonly TimeSpan HangGuard = TimeSpan.FromMinutes(2);

    public static async Task TrueAsync(Func<Task<bool>> condition, string what) =>
        await ValueAsync(async () => await condition() ? true : (object?)null, what);

    /// <summary>The first value the probe returns that is not null.</summary>
    public static async Task<T> ValueAsync<T>(Func<Task<T?>> probe, string what) where T : class
    {
        using var giveUp = new CancellationTokenSource(HangGuard);
        while (true)
        {
            if (await probe() is { } value) return value;
            if (giveUp.IsCancellationRequested)
                throw new TimeoutException($"Gave up waiting for {what} after {HangGuard} (a hang guard, not a deadline).");
            await Task.Delay(50);
        }
    }
}

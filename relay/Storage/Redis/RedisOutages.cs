using StackExchange.Redis;

namespace Relay.Storage.Redis;

/// <summary>Which Redis failures mean "not now" rather than "wrong": those become <see cref="StoreUnavailableException"/>.</summary>
internal static class RedisOutages
{
    // Error replies a healthy deployment gives while it restarts or reorganises itself. The client follows
    // single MOVED/ASK redirects itself; one that still surfaces means the slot map is in flux.
    private static readonly string[] TemporaryErrors =
    [
        "LOADING ",     // restarted, still reading its AOF
        "CLUSTERDOWN ", // a master without a replica is gone, or slots are uncovered
        "TRYAGAIN ",    // a multi-key call whose keys are split by a slot migration in progress
        "MOVED ", "ASK ",
        "MASTERDOWN ",  // a replica that lost its master
        "READONLY ",    // a connection still on a master that a failover turned into a replica
        "BUSY ",        // another script runs too long
        "OOM ",         // maxmemory reached: nothing can be written until the backlog drains
    ];

    public static bool IsOutage(Exception e) => e switch
    {
        RedisConnectionException or RedisTimeoutException or StoreUnavailableException => true,
        RedisServerException server => Array.Exists(TemporaryErrors, p => server.Message.StartsWith(p, StringComparison.Ordinal)),
        AggregateException { InnerExceptions: [var inner] } => IsOutage(inner),
        _ => false,
    };

    public static StoreUnavailableException Unavailable(Exception e) =>
        e as StoreUnavailableException ?? new StoreUnavailableException("Redis is unavailable: " + e.Message, e);

    public static async Task<T> Guard<T>(Func<Task<T>> call)
    {
        try
        {
            return await call();
        }
        catch (Exception e) when (IsOutage(e))
        {
            throw Unavailable(e);
        }
    }

    public static async Task Guard(Func<Task> call)
    {
        try
        {
            await call();
        }
        catch (Exception e) when (IsOutage(e))
        {
            throw Unavailable(e);
        }
    }
}

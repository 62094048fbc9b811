using Relay.Storage;
using Relay.Storage.Redis;
using StackExchange.Redis;

namespace Relay.Tests.Storage.Redis;

/// <summary>
/// Which Redis failures are an outage (503 with Retry-After, the sender tries again) and which are a bug
/// (500). The cluster tests produce CLUSTERDOWN, TRYAGAIN and refused connections for real; the rest of
/// the list is what Redis answers while it loads its AOF, fails over or runs a long script.
/// </summary>
public sealed class RedisOutagesTests
{
    [Theory]
    [InlineData("LOADING Redis is loading the dataset in memory")]
    [InlineData("CLUSTERDOWN The cluster is down")]
    [InlineData("CLUSTERDOWN Hash slot not served")]
    [InlineData("TRYAGAIN Multiple keys request during rehashing of slot")]
    [InlineData("MOVED 7450 127.0.0.1:30002")]
    [InlineData("ASK 7450 127.0.0.1:30003")]
    [InlineData("MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'.")]
    [InlineData("READONLY You can't write against a read only replica.")]
    [InlineData("BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.")]
    [InlineData("OOM command not allowed when used memory > 'maxmemory'.")]
    public void A_redis_that_cannot_serve_now_is_an_outage(string reply) =>
        Assert.True(RedisOutages.IsOutage(Reply(reply)));

    [Theory]
    [InlineData("ERR wrong number of arguments for 'xadd' command")]
    [InlineData("WRONGTYPE Operation against a key holding the wrong kind of value")]
    [InlineData("BUSYGROUP Consumer Group name already exists")]
    [InlineData("NOGROUP No such key or consumer group")]
    [InlineData("CROSSSLOT Keys in request don't hash to the same slot")]
    public void A_reply_that_retrying_cannot_fix_is_not(string reply) =>
        Assert.False(RedisOutages.IsOutage(Reply(reply)));

    // Unknown kind: the classification reads the reply, as the client may not name every kind.
    private static RedisServerException Reply(string reply) => new(RedisErrorKind.Unknown, CommandFlags.None, reply);

    [Fact]
    public void Lost_connections_and_timeouts_are_outages_and_become_store_unavailable()
    {
        var lost = new RedisConnectionException(ConnectionFailureType.SocketFailure, CommandFlags.None, "No connection is active/available to service this operation", null, CommandStatus.WaitingToBeSent);
        var late = new RedisTimeoutException(CommandFlags.None, "Timeout awaiting response", CommandStatus.Sent);

        Assert.True(RedisOutages.IsOutage(lost));
        Assert.True(RedisOutages.IsOutage(late));
        Assert.Same(lost, RedisOutages.Unavailable(lost).InnerException);
        Assert.IsType<StoreUnavailableException>(RedisOutages.Unavailable(late));
    }
}

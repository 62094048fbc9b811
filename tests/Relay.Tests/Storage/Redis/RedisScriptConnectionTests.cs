using System.Net;
using System.Net.Sockets;
using Relay.Storage.Redis;
using Relay.Tests.Infrastructure;
using StackExchange.Redis;

namespace Relay.Tests.Storage.Redis;

/// <summary>
/// The accept script's own RESP connection against a real redis-server: answers matched to their
/// commands under pipelining, and every way the connection can go wrong ends in
/// <see cref="StoreUnavailableException"/> (a 503, nothing promised) followed by a reconnect.
/// </summary>
public sealed class RedisScriptConnectionTests(RedisServer redis) : IClassFixture<RedisServer>
{
    // Stores ARGV[1] under KEYS[1] and answers every argument back as a number.
    private const string EchoScript = """
        redis.call('SET', KEYS[1], ARGV[#ARGV])
        local answer = {}
        for i = 1, #ARGV - 1 do answer[i] = tonumber(ARGV[i]) end
        return answer
        """;

    private RedisScriptConnection Connect(string? extra = null, TimeSpan? answerTimeout = null) =>
        new(ConfigurationOptions.Parse(redis.ConnectionString + extra), EchoScript, answerTimeout);

    private static Task<long[]> EchoAsync(RedisScriptConnection connection, string key, string value, params long[] numbers) =>
        connection.EvaluateAsync([key], numbers.Length + 1, args =>
        {
            foreach (var n in numbers) args.Bulk(n);
            args.Bulk(value);
        });

    private string? Read(string key, int database = 0)
    {
        using var client = ConnectionMultiplexer.Connect(redis.ConnectionString);
        return client.GetDatabase(database).StringGet(key);
    }

    [Fact]
    public async Task A_script_runs_with_its_keys_and_arguments_byte_for_byte()
    {
        redis.FlushAll();
        using var connection = Connect();
        var body = "zażółć gęślą jaźń " + new string('x', 300_000);

        Assert.Equal(new long[] { 7, -3 }, await EchoAsync(connection, "relay:test:a", body, 7, -3));
        Assert.Equal(body, Read("relay:test:a"));
    }

    [Fact]
    public async Task Pipelined_commands_each_get_their_own_answer()
    {
        redis.FlushAll();
        using var connection = Connect();

        var answers = await Task.WhenAll(Enumerable.Range(0, 500).Select(i => EchoAsync(connection, $"relay:test:{i}", "v", i, i * 2)));

        Assert.All(Enumerable.Range(0, 500), i => Assert.Equal(new long[] { i, i * 2 }, answers[i]));
    }

    [Fact]
    public async Task A_flushed_script_cache_fails_one_call_and_the_next_connection_loads_the_script_again()
    {
        redis.FlushAll();
        using var connection = Connect();
        await EchoAsync(connection, "relay:test:a", "v", 1);
        using (var admin = ConnectionMultiplexer.Connect(redis.ConnectionString + ",allowAdmin=true"))
            admin.GetServer("127.0.0.1", redis.Port).ScriptFlush();

        await Assert.ThrowsAsync<StoreUnavailableException>(() => EchoAsync(connection, "relay:test:a", "v", 2));
        Assert.Equal(new long[] { 3 }, await EchoAsync(connection, "relay:test:a", "v", 3));
    }

    [Fact]
    public async Task A_restarted_redis_fails_calls_while_it_is_down_and_is_reconnected_to_afterwards()
    {
        redis.FlushAll();
        using var connection = Connect();
        await EchoAsync(connection, "relay:test:a", "before", 1);

        await redis.StopAsync();
        try
        {
            await Assert.ThrowsAsync<StoreUnavailableException>(() => EchoAsync(connection, "relay:test:a", "down", 2));
            await Assert.ThrowsAsync<StoreUnavailableException>(() => EchoAsync(connection, "relay:test:a", "down", 3));
        }
        finally
        {
            await redis.StartAsync();
        }

        // Right after a failed connect calls fail fast for a moment; then the next one connects again.
        var answer = await Eventually.ValueAsync(async () =>
        {
            try { return await EchoAsync(connection, "relay:test:a", "after", 4); }
            catch (StoreUnavailableException) { return null; }
        }, "the connection to reach Redis again");
        Assert.Equal(new long[] { 4 }, answer);
        Assert.Equal("after", Read("relay:test:a"));
    }

    [Fact]
    public async Task A_server_that_never_answers_fails_the_call_once_the_answer_is_overdue()
    {
        using var silent = new TcpListener(IPAddress.Loopback, 0);
        silent.Start();
        var port = ((IPEndPoint)silent.LocalEndpoint).Port;
        using var connection = new RedisScriptConnection(ConfigurationOptions.Parse($"127.0.0.1:{port}"), EchoScript, TimeSpan.FromMilliseconds(200));

        var failure = await Assert.ThrowsAsync<StoreUnavailableException>(() => EchoAsync(connection, "relay:test:a", "v", 1));
        Assert.Contains("did not", failure.Message);
    }

    [Fact]
    public async Task The_connection_authenticates_and_selects_the_configured_database()
    {
        redis.FlushAll();
        using (var admin = ConnectionMultiplexer.Connect(redis.ConnectionString + ",allowAdmin=true"))
            admin.GetDatabase().Execute("CONFIG", "SET", "requirepass", "s3cret");
        try
        {
            using (var anonymous = Connect())
                await Assert.ThrowsAsync<StoreUnavailableException>(() => EchoAsync(anonymous, "relay:test:a", "v", 1));

            using var connection = Connect(",password=s3cret,defaultDatabase=3");
            Assert.Equal(new long[] { 1 }, await EchoAsync(connection, "relay:test:db3", "in three", 1));
        }
        finally
        {
            using var admin = ConnectionMultiplexer.Connect(redis.ConnectionString + ",password=s3cret,allowAdmin=true");
            admin.GetDatabase().Execute("CONFIG", "SET", "requirepass", "");
        }
        Assert.Equal("in three", Read("relay:test:db3", database: 3));
        Assert.Null(Read("relay:test:db3"));
    }
}

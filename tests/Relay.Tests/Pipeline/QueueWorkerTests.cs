using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Relay.Pipeline;
using Relay.Storage;
using Relay.Storage.Embedded;
using Relay.Storage.Redis;
using Relay.Tests.Infrastructure;

namespace Relay.Tests.Pipeline;

/// <summary>A handler whose behaviour each test scripts: fail so often, then succeed; remember every call.</summary>
public sealed class ScriptedHandler : IQueueHandler
{
    public ConcurrentDictionary<string, int> Calls { get; } = new();
    public Func<QueueItem, Task> Behaviour { get; set; } = _ => Task.CompletedTask;
    public bool Handles(string kind) => kind == "test";

    public async Task HandleAsync(QueueItem item, CancellationToken ct)
    {
        Calls.AddOrUpdate(item.Event.EventId, 1, (_, n) => n + 1);
        await Behaviour(item);
    }

    public static ScriptedHandler FailingTimes(int failures)
    {
        var handler = new ScriptedHandler();
        handler.Behaviour = item => handler.Calls[item.Event.EventId] <= failures
            ? throw new HttpRequestException("target answered 503")
            : Task.CompletedTask;
        return handler;
    }
}

public abstract class QueueWorkerContract
{
    protected readonly ManualTimeProvider Time = new();
    protected abstract IRelayStore Store { get; }
    protected abstract Task LetTimePassAsync(TimeSpan span);

    protected static readonly PipelineOptions Options = new()
    {
        Partitions = 3, // on the test cluster, a queue stream on each master
        // Longer than any test runs: an entry goes stale only when a test lets that much time pass
        // (LetTimePassAsync), never because a busy machine was slow between two steps.
        VisibilityTimeout = TimeSpan.FromMinutes(1),
        RetryJitter = 0.2,
        BatchSize = 50,
    };

    protected QueueWorker Worker(IQueueHandler handler, IRelayStore? store = null, TimeProvider? time = null) =>
        new(store ?? Store, [handler], Microsoft.Extensions.Options.Options.Create(Options), time ?? Time, Metrics(), NullLogger<QueueWorker>.Instance);

    protected static RelayMetrics Metrics() =>
        new(new ServiceCollection().AddMetrics().BuildServiceProvider().GetRequiredService<IMeterFactory>());

    protected Task Accept(string id, string shop = "shopware:s1") =>
        Store.AcceptAsync(new InboxEvent(shop, id, "test", "{}", Time.GetUtcNow()), TimeSpan.FromDays(7));

    /// <summary>Moves the clock past each retry delay (with the largest jitter) and runs the worker each time.</summary>
    protected async Task RunThroughScheduleAsync(QueueWorker worker)
    {
        await worker.ProcessOnceAsync();
        foreach (var delay in PipelineOptions.DefaultRetrySchedule)
        {
            Time.Advance(delay * (1 + Options.RetryJitter) + TimeSpan.FromSeconds(1));
            await worker.ProcessOnceAsync();
        }
    }

    [Fact]
    public async Task A_handled_event_is_acked_and_not_handled_again()
    {
        var handler = new ScriptedHandler();
        var worker = Worker(handler);
        await Accept("e1");

        Assert.Equal(1, await worker.ProcessOnceAsync());
        await LetTimePassAsync(Options.VisibilityTimeout * 2);
        Assert.Equal(0, await worker.ProcessOnceAsync());
        Assert.Equal(1, handler.Calls["e1"]);
    }

    [Fact]
    public async Task A_failing_event_is_retried_on_the_schedule_until_it_succeeds()
    {
        var handler = ScriptedHandler.FailingTimes(3);
        var worker = Worker(handler);
        await Accept("e1");

        await worker.ProcessOnceAsync();
        Assert.Equal(1, handler.Calls["e1"]);
        // Not before its time: the first retry is due after 5 s (±20 %).
        Time.Advance(TimeSpan.FromSeconds(3));
        await worker.ProcessOnceAsync();
        Assert.Equal(1, handler.Calls["e1"]);

        await RunThroughScheduleAsync(worker);
        Assert.Equal(4, handler.Calls["e1"]);
        Assert.Empty(await Store.ListDeadLettersAsync("shopware:s1", 10));
    }

    [Fact]
    public async Task An_exhausted_schedule_ends_in_dead_letters_with_the_error_and_replay_succeeds()
    {
        var handler = ScriptedHandler.FailingTimes(int.MaxValue);
        var worker = Worker(handler);
        await Accept("e1");

        await RunThroughScheduleAsync(worker);

        Assert.Equal(1 + PipelineOptions.DefaultRetrySchedule.Length, handler.Calls["e1"]);
        var dead = Assert.Single(await Store.ListDeadLettersAsync("shopware:s1", 10));
        Assert.Equal(8, dead.Attempts);
        Assert.Contains("target answered 503", dead.Error);

        handler.Behaviour = _ => Task.CompletedTask;
        Assert.True(await Store.ReplayDeadLetterAsync("shopware:s1", dead.Id));
        Assert.Equal(1, await worker.ProcessOnceAsync());
        Assert.Equal(9, handler.Calls["e1"]);
        Assert.Empty(await Store.ListDeadLettersAsync("shopware:s1", 10));
    }

    [Fact]
    public async Task A_permanent_failure_goes_straight_to_dead_letters()
    {
        var handler = new ScriptedHandler { Behaviour = _ => throw new PermanentFailureException("Spotler: wrong credentials (401)") };
        await Accept("e1");

        await Worker(handler).ProcessOnceAsync();

        var dead = Assert.Single(await Store.ListDeadLettersAsync("shopware:s1", 10));
        Assert.Equal("Spotler: wrong credentials (401)", dead.Error);
        Assert.Equal(1, dead.Attempts);
    }

    [Fact]
    public async Task An_event_of_a_kind_nobody_handles_is_dead_lettered_with_the_reason()
    {
        await Store.AcceptAsync(new InboxEvent("shopware:s1", "e1", "unknown.kind", "{}", Time.GetUtcNow()), TimeSpan.FromDays(1));

        await Worker(new ScriptedHandler()).ProcessOnceAsync();

        Assert.Contains("unknown.kind", Assert.Single(await Store.ListDeadLettersAsync("shopware:s1", 10)).Error);
    }

    [Fact]
    public async Task Shutting_down_finishes_the_item_in_hand_and_acks_it()
    {
        var started = new TaskCompletionSource();
        var release = new TaskCompletionSource();
        var handler = new ScriptedHandler { Behaviour = async _ => { started.SetResult(); await release.Task; } };
        var worker = Worker(handler, time: TimeProvider.System);
        await Accept("e1");

        await worker.StartAsync(CancellationToken.None);
        await started.Task.WaitAsync(TimeSpan.FromSeconds(30));
        var stopping = worker.StopAsync(CancellationToken.None);
        Assert.False(stopping.IsCompleted);
        release.SetResult();
        await stopping.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(1, handler.Calls["e1"]);
        var depth = await Store.GetDepthAsync(StoreKeys.PartitionOf("shopware:s1", Options.Partitions));
        Assert.Equal(new QueueDepth(0, 0, 0), depth);
    }

    [Fact]
    public async Task An_item_of_a_worker_that_died_mid_item_is_reclaimed_and_processed_once()
    {
        await Accept("e1");
        // The dying worker read the entry and never acked it.
        var lost = new List<QueueItem>();
        for (var p = 0; p < Options.Partitions; p++) lost.AddRange(await Store.ReadAsync(p, "worker-that-died", 10));
        Assert.Single(lost);

        var handler = new ScriptedHandler();
        var survivor = Worker(handler);
        Assert.Equal(0, await survivor.ProcessOnceAsync());

        await LetTimePassAsync(Options.VisibilityTimeout + TimeSpan.FromMilliseconds(200));
        Assert.Equal(1, await survivor.ProcessOnceAsync());
        Assert.Equal(1, handler.Calls["e1"]);

        await LetTimePassAsync(Options.VisibilityTimeout + TimeSpan.FromMilliseconds(200));
        await survivor.ProcessOnceAsync();
        Assert.Equal(1, handler.Calls["e1"]);
    }
}

public sealed class EmbeddedQueueWorkerTests : QueueWorkerContract
{
    public EmbeddedQueueWorkerTests() => Store = new EmbeddedRelayStore(Time, Options.Partitions);
    protected override IRelayStore Store { get; }

    protected override Task LetTimePassAsync(TimeSpan span)
    {
        Time.Advance(span);
        return Task.CompletedTask;
    }
}

/// <summary>The worker on Redis, run on one redis-server and on the cluster.</summary>
public abstract class RedisQueueWorkerContract : QueueWorkerContract, IAsyncLifetime
{
    private readonly ITestRedis _redis;
    private RedisRelayStore? _store;

    private StackExchange.Redis.ConnectionMultiplexer? _observer;

    protected RedisQueueWorkerContract(ITestRedis redis) => _redis = redis;

    public async Task InitializeAsync()
    {
        _store = await _redis.EmptyStoreAsync(Options.Partitions);
        _observer = await StackExchange.Redis.ConnectionMultiplexer.ConnectAsync(_redis.ConnectionString);
    }

    public Task DisposeAsync()
    {
        _observer?.Dispose();
        _store?.Dispose();
        return Task.CompletedTask;
    }

    protected override IRelayStore Store => _store!;

    /// <summary>
    /// Redis measures how long an entry has been pending on its own clock. Instead of waiting that long,
    /// the test ages every pending entry by the span (XCLAIM … IDLE to the consumer that holds it, which
    /// keeps its owner and delivery count); the worker's claim pacing follows the test's clock.
    /// </summary>
    protected override async Task LetTimePassAsync(TimeSpan span)
    {
        Time.Advance(span);
        var db = _observer!.GetDatabase();
        for (var p = 0; p < Options.Partitions; p++)
        {
            StackExchange.Redis.RedisKey stream = StoreKeys.Stream(p);
            if (!await db.KeyExistsAsync(stream)) continue;
            foreach (var entry in await db.StreamPendingMessagesAsync(stream, StoreKeys.ConsumerGroup, 1000, StackExchange.Redis.RedisValue.Null))
                // A key argument typed as RedisKey routes the command to the stream's master on a cluster.
                await db.ExecuteAsync("XCLAIM", stream, StoreKeys.ConsumerGroup, (string)entry.ConsumerName!, 0, (string)entry.MessageId!,
                    "IDLE", entry.IdleTimeInMilliseconds + (long)span.TotalMilliseconds, "JUSTID");
        }
    }

    [Fact]
    public async Task An_accepted_event_survives_a_redis_restart_with_aof_and_is_then_processed()
    {
        await Accept("e1");

        await _redis.StopAsync();
        Assert.False(await Store.PingAsync());
        await _redis.StartAsync();

        var handler = new ScriptedHandler();
        var worker = Worker(handler);
        await Eventually.TrueAsync(async () =>
        {
            try { await worker.ProcessOnceAsync(); }
            catch (StoreUnavailableException) { }
            return handler.Calls.ContainsKey("e1");
        }, "the event to be processed after the restart");
        Assert.True(await Store.PingAsync());
        Assert.False(await Store.AcceptAsync(new InboxEvent("shopware:s1", "e1", "test", "{}", Time.GetUtcNow()), TimeSpan.FromDays(7)));
    }

    [Fact]
    public async Task Two_relay_processes_on_one_redis_process_a_thousand_events_exactly_once()
    {
        for (var i = 0; i < 1000; i++) await Accept($"e{i}", shop: $"shopware:s{i % 7}");

        var handler = new ScriptedHandler();
        var (seenByA, seenByB) = (new ScriptedHandler(), new ScriptedHandler());
        // Each process holds its first items until the other has one too: both take a share however
        // the two are scheduled.
        var bothHaveWork = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        seenByA.Behaviour = seenByB.Behaviour = _ =>
        {
            if (!seenByA.Calls.IsEmpty && !seenByB.Calls.IsEmpty) bothHaveWork.TrySetResult();
            return bothHaveWork.Task;
        };
        using var storeA = new RedisRelayStore(_redis.ConnectionString, Options.Partitions, NullLogger.Instance);
        using var storeB = new RedisRelayStore(_redis.ConnectionString, Options.Partitions, NullLogger.Instance);
        var a = Worker(new Fanout(seenByA, handler), storeA, TimeProvider.System);
        var b = Worker(new Fanout(seenByB, handler), storeB, TimeProvider.System);

        await a.StartAsync(CancellationToken.None);
        await b.StartAsync(CancellationToken.None);
        await Eventually.TrueAsync(() => Task.FromResult(handler.Calls.Count == 1000), "all 1000 events to be handled");
        // Stopping finishes what each holds, so a double handling would be counted by now.
        await a.StopAsync(CancellationToken.None);
        await b.StopAsync(CancellationToken.None);

        Assert.Equal(1000, handler.Calls.Count);
        Assert.All(handler.Calls.Values, n => Assert.Equal(1, n));
        Assert.Equal(1000, seenByA.Calls.Count + seenByB.Calls.Count);
        Assert.NotEmpty(seenByA.Calls);
        Assert.NotEmpty(seenByB.Calls);
    }

    private sealed class Fanout(params IQueueHandler[] handlers) : IQueueHandler
    {
        public bool Handles(string kind) => true;

        public async Task HandleAsync(QueueItem item, CancellationToken ct)
        {
            foreach (var h in handlers) await h.HandleAsync(item, ct);
        }
    }
}

public sealed class RedisQueueWorkerTests(RedisServer redis) : RedisQueueWorkerContract(redis), IClassFixture<RedisServer>;

[Collection(RedisCluster.Collection)]
public sealed class RedisClusterQueueWorkerTests(RedisCluster cluster) : RedisQueueWorkerContract(cluster);

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
        VisibilityTimeout = TimeSpan.FromMilliseconds(400),
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

    protected RedisQueueWorkerContract(ITestRedis redis) => _redis = redis;

    public async Task InitializeAsync() => _store = await _redis.EmptyStoreAsync(Options.Partitions);

    public Task DisposeAsync()
    {
        _store?.Dispose();
        return Task.CompletedTask;
    }

    protected override IRelayStore Store => _store!;

    // Redis measures consumer idle time on its own clock; the worker's claim pacing follows ours.
    protected override async Task LetTimePassAsync(TimeSpan span)
    {
        await Task.Delay(span);
        Time.Advance(span);
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
        await Eventually(async () =>
        {
            try { await worker.ProcessOnceAsync(); }
            catch (StoreUnavailableException) { }
            return handler.Calls.ContainsKey("e1");
        });
        Assert.True(await Store.PingAsync());
        Assert.False(await Store.AcceptAsync(new InboxEvent("shopware:s1", "e1", "test", "{}", Time.GetUtcNow()), TimeSpan.FromDays(7)));
    }

    [Fact]
    public async Task Two_relay_processes_on_one_redis_process_a_thousand_events_exactly_once()
    {
        for (var i = 0; i < 1000; i++) await Accept($"e{i}", shop: $"shopware:s{i % 7}");

        var handler = new ScriptedHandler { Behaviour = _ => Task.Delay(1) };
        using var storeA = new RedisRelayStore(_redis.ConnectionString, Options.Partitions, NullLogger.Instance);
        using var storeB = new RedisRelayStore(_redis.ConnectionString, Options.Partitions, NullLogger.Instance);
        var seenByA = new ScriptedHandler();
        var a = Worker(new Fanout(handler, seenByA), storeA, TimeProvider.System);
        var b = Worker(handler, storeB, TimeProvider.System);

        await a.StartAsync(CancellationToken.None);
        await b.StartAsync(CancellationToken.None);
        await Eventually(() => Task.FromResult(handler.Calls.Count == 1000));
        await Task.Delay(Options.VisibilityTimeout * 2); // a late double would show up by now
        await a.StopAsync(CancellationToken.None);
        await b.StopAsync(CancellationToken.None);

        Assert.Equal(1000, handler.Calls.Count);
        Assert.All(handler.Calls.Values, n => Assert.Equal(1, n));
        Assert.InRange(seenByA.Calls.Count, 1, 999); // both processes took a share
    }

    private sealed class Fanout(params IQueueHandler[] handlers) : IQueueHandler
    {
        public bool Handles(string kind) => true;

        public async Task HandleAsync(QueueItem item, CancellationToken ct)
        {
            foreach (var h in handlers) await h.HandleAsync(item, ct);
        }
    }

    private static async Task Eventually(Func<Task<bool>> condition)
    {
        for (var i = 0; i < 600; i++)
        {
            if (await condition()) return;
            await Task.Delay(100);
        }
        Assert.Fail("condition not met within 60 s");
    }
}

public sealed class RedisQueueWorkerTests(RedisServer redis) : RedisQueueWorkerContract(redis), IClassFixture<RedisServer>;

[Collection(RedisCluster.Collection)]
public sealed class RedisClusterQueueWorkerTests(RedisCluster cluster) : RedisQueueWorkerContract(cluster);

using Microsoft.Extensions.Logging.Abstractions;
using Relay.Platforms.Shopware;
using Relay.Pipeline;
using Relay.Storage;
using Relay.Storage.Redis;
using Relay.Tests.Infrastructure;
using Simulators.Shopware;
using StackExchange.Redis;

namespace Relay.Tests.Faults;

/// <summary>Fault tests start real processes; running them one at a time keeps them inside their bounds on a small machine.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class FaultCollection
{
    public const string Name = "Faults (real processes)";
}

/// <summary>
/// A real redis-server (AOF, fsync always) or a given cluster, one or more relay processes on it, and one
/// Shopware shop installed through the first of them. The test looks at the queue through its own store client.
/// </summary>
public sealed class FaultBed : IAsyncDisposable
{
    public const int Partitions = 4;

    private FaultBed(ITestRedis redis, List<RelayProcess> relays, ShopwareShopSimulator shop, HttpClient shopClient, RedisRelayStore store)
    {
        Redis = redis;
        Relays = relays;
        Shop = shop;
        _shopClient = shopClient;
        Store = store;
    }

    private readonly HttpClient _shopClient;
    public ITestRedis Redis { get; }
    public List<RelayProcess> Relays { get; }
    public ShopwareShopSimulator Shop { get; }
    public RedisRelayStore Store { get; }
    public string ShopKey => ShopwareShops.KeyOf(Shop.ShopId);
    public int Partition => StoreKeys.PartitionOf(ShopKey, Partitions);

    /// <param name="redis">Already started, disposed with the bed; when not given, a redis-server of the bed's own.</param>
    /// <param name="shopId">The shop's id (where its keys land on a cluster); a random one when not given.</param>
    public static async Task<FaultBed> StartAsync(int relays, IDictionary<string, string?>? settings = null, ITestRedis? redis = null, string? shopId = null)
    {
        var ownRedis = redis is null;
        redis ??= new RedisServer();
        var started = new List<RelayProcess>();
        try
        {
            if (ownRedis) await redis.InitializeAsync();
            var all = new Dictionary<string, string?>
            {
                ["Storage__Redis"] = redis.ConnectionString,
                ["Pipeline__Partitions"] = Partitions.ToString(),
            };
            foreach (var (key, value) in settings ?? new Dictionary<string, string?>()) all[key] = value;
            // One after another: two dotnet start-ups at once on two cores only make both slower.
            for (var i = 0; i < relays; i++) started.Add(await RelayProcess.StartAsync(all));

            var shopClient = new HttpClient { BaseAddress = new Uri(started[0].BaseUrl), Timeout = Eventually.HangGuard };
            var options = new ShopwareShopSimulatorOptions { AppName = RelayProcess.AppName, AppSecret = RelayProcess.AppSecret };
            var shop = await ShopwareShopSimulator.StartAsync(shopClient, shopId is null ? options : options with { ShopId = shopId });
            var outcome = await shop.InstallAsync();
            if (!outcome.Succeeded) throw new InvalidOperationException($"install failed: {outcome}");
            var store = new RedisRelayStore(redis.ConnectionString, Partitions, NullLogger.Instance);
            // "Handled" must be visible from outside: the shop syncs to a target without credentials,
            // so the forwarder sends every event to the shop's dead letters with that reason.
            await store.SetAsync(StoreKeys.ShopItem(ShopwareShops.KeyOf(shop.ShopId), "settings"),
                """{"version":1,"syncEnabled":true,"target":{"kind":"spotler"}}""");
            return new FaultBed(redis, started, shop, shopClient, store);
        }
        catch
        {
            foreach (var relay in started) await relay.DisposeAsync();
            await redis.DisposeAsync();
            throw;
        }
    }

    /// <summary>Waiting + pending + retrying over every partition.</summary>
    public async Task<long> QueuedAsync()
    {
        long total = 0;
        for (var p = 0; p < Partitions; p++)
        {
            var depth = await Store.GetDepthAsync(p);
            total += depth.Waiting + depth.Pending + depth.Retrying;
        }
        return total;
    }

    /// <summary>Event ids in the shop's dead letters, with how often each is there.</summary>
    public async Task<Dictionary<string, int>> DeadLetteredAsync() =>
        (await Store.ListDeadLettersAsync(ShopKey, 1_000_000)).GroupBy(d => d.Event.EventId).ToDictionary(g => g.Key, g => g.Count());

    /// <summary>
    /// Waits until the queue is empty and every event in <paramref name="accepted"/> is in the shop's dead
    /// letters (so handled); returns the dead-lettered event ids with how often each is there.
    /// </summary>
    public async Task<Dictionary<string, int>> WaitUntilHandledAsync(IReadOnlyCollection<string> accepted)
    {
        Dictionary<string, int> dead = [];
        await Eventually.TrueAsync(async () =>
        {
            try
            {
                dead = await DeadLetteredAsync();
                return await QueuedAsync() == 0 && accepted.All(dead.ContainsKey);
            }
            catch (StoreUnavailableException)
            {
                return false; // the bed's own connection is still reconnecting after an outage
            }
        }, "the queue to drain with every accepted event handled");
        return dead;
    }

    /// <summary>Pending entries per consumer in the shop's partition (XPENDING summary).</summary>
    public async Task<Dictionary<string, long>> PendingByConsumerAsync()
    {
        await using var redis = await ConnectionMultiplexer.ConnectAsync(Redis.ConnectionString);
        var summary = await redis.GetDatabase().StreamPendingAsync(StoreKeys.Stream(Partition), StoreKeys.ConsumerGroup);
        return summary.Consumers.ToDictionary(c => (string)c.Name!, c => (long)c.PendingMessageCount);
    }

    public async ValueTask DisposeAsync()
    {
        Store.Dispose();
        await Shop.DisposeAsync();
        _shopClient.Dispose();
        foreach (var relay in Relays) await relay.DisposeAsync();
        await Redis.DisposeAsync();
    }
}

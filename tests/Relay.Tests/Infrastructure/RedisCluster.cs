using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using StackExchange.Redis;

namespace Relay.Tests.Infrastructure;

/// <summary>The test classes that run on the one shared cluster, one class at a time (they flush it).</summary>
[CollectionDefinition(RedisCluster.Collection)]
public sealed class RedisClusterCollection : ICollectionFixture<RedisCluster>
{
}

/// <summary>
/// A Redis Cluster of three masters without replicas (redis-server --cluster-enabled yes, joined with
/// redis-cli --cluster create), each node with AOF in its own temp directory. Masters own the slots
/// 0–5460, 5461–10922 and 10923–16383 in node order.
/// </summary>
public sealed class RedisCluster : ITestRedis, IAsyncLifetime
{
    public const string Collection = "Redis Cluster";
    public const int Masters = 3;

    /// <summary>
    /// How long a node may be silent before the others mark it failed. Short enough that a node that is
    /// killed fails the cluster within seconds, long enough that a busy test machine does not fail one by mistake.
    /// </summary>
    public static readonly TimeSpan NodeTimeout = TimeSpan.FromSeconds(3);

    private readonly RedisServer[] _nodes;
    private ConnectionMultiplexer? _admin;

    public RedisCluster()
    {
        _nodes = ClusterPorts(Masters).Select(port => new RedisServer(port,
        [
            "--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf",
            "--cluster-node-timeout", ((long)NodeTimeout.TotalMilliseconds).ToString(),
        ])).ToArray();
    }

    public IReadOnlyList<RedisServer> Nodes => _nodes;

    public string ConnectionString =>
        string.Join(',', _nodes.Select(n => $"127.0.0.1:{n.Port}")) + ",abortConnect=false,connectTimeout=2000,syncTimeout=5000";

    private ConnectionMultiplexer Admin => _admin ?? throw new InvalidOperationException("The cluster is not started.");

    public async Task InitializeAsync()
    {
        foreach (var node in _nodes) await node.InitializeAsync();
        await RedisCliAsync(["--cluster", "create", .. _nodes.Select(n => $"127.0.0.1:{n.Port}"), "--cluster-replicas", "0", "--cluster-yes"]);
        await WaitUntilServingAsync();
        _admin = await ConnectionMultiplexer.ConnectAsync(ConnectionString + ",allowAdmin=true");
    }

    /// <summary>
    /// Loopback ports below 55,000 whose cluster bus ports (port + 10,000) are free too; the kernel's
    /// own choice (<see cref="RedisServer.FreePort"/>) can lie above 55,535, which leaves no room for the bus.
    /// </summary>
    private static int[] ClusterPorts(int count)
    {
        var ports = new List<int>();
        while (ports.Count < count)
        {
            var port = Random.Shared.Next(20_000, 45_000);
            if (!ports.Contains(port) && Free(port) && Free(port + 10_000)) ports.Add(port);
        }
        return [.. ports];

        static bool Free(int port)
        {
            try
            {
                using var listener = new TcpListener(IPAddress.Loopback, port);
                listener.Start();
                return true;
            }
            catch (SocketException)
            {
                return false;
            }
        }
    }

    /// <summary>Every node running says the cluster is ok and sees every slot served.</summary>
    public async Task WaitUntilServingAsync()
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        foreach (var node in _nodes.Where(n => n.IsRunning))
        {
            while (true)
            {
                var info = await RedisCliAsync(["-p", node.Port.ToString(), "cluster", "info"], check: false);
                if (info.Contains("cluster_state:ok") && info.Contains("cluster_slots_ok:16384")) break;
                if (DateTime.UtcNow > deadline) throw new InvalidOperationException($"The cluster did not come up on port {node.Port}: {info}");
                await Task.Delay(100);
            }
        }
    }

    private static async Task<string> RedisCliAsync(IEnumerable<string> arguments, bool check = true)
    {
        var info = new ProcessStartInfo("redis-cli") { RedirectStandardOutput = true, RedirectStandardError = true };
        info.ArgumentList.Add("-h");
        info.ArgumentList.Add("127.0.0.1");
        foreach (var argument in arguments) info.ArgumentList.Add(argument);
        using var cli = Process.Start(info) ?? throw new InvalidOperationException("redis-cli did not start (it comes with redis-tools, a dependency of redis-server).");
        var output = cli.StandardOutput.ReadToEndAsync();
        var error = cli.StandardError.ReadToEndAsync();
        await cli.WaitForExitAsync();
        if (check && cli.ExitCode != 0) throw new InvalidOperationException($"redis-cli {string.Join(' ', info.ArgumentList)} failed: {await output}{await error}");
        return await output + await error;
    }

    /// <summary>The index of the master that serves <paramref name="key"/>'s slot.</summary>
    public int NodeOf(string key)
    {
        var port = ((IPEndPoint)Admin.GetServer((RedisKey)key).EndPoint).Port;
        return Array.FindIndex(_nodes, n => n.Port == port);
    }

    /// <summary>
    /// A shop id whose own keys (relay:{shopKey}:…) live on master <paramref name="recordNode"/> and whose
    /// queue stream (one of <paramref name="partitions"/>) lives on master <paramref name="queueNode"/>.
    /// </summary>
    public string ShopIdOn(int recordNode, int queueNode, int partitions, Func<string, string> shopKeyOf)
    {
        while (true)
        {
            var id = Guid.NewGuid().ToString("N")[..16];
            var shopKey = shopKeyOf(id);
            if (NodeOf(Relay.Storage.StoreKeys.Shop(shopKey)) == recordNode &&
                NodeOf(Relay.Storage.StoreKeys.Stream(Relay.Storage.StoreKeys.PartitionOf(shopKey, partitions))) == queueNode)
                return id;
        }
    }

    public int SlotOf(string key) => Admin.HashSlot(key);

    /// <summary>
    /// The first half of moving a slot, as redis-cli --cluster reshard does it: the target imports, the
    /// source migrates, and <paramref name="keys"/> go over. Until <see cref="FinishSlotMoveAsync"/> the
    /// slot is split between the two masters.
    /// </summary>
    public async Task BeginSlotMoveAsync(int slot, int from, int to, IReadOnlyList<string> keys)
    {
        var (source, target) = (_nodes[from].Port.ToString(), _nodes[to].Port.ToString());
        await RedisCliAsync(["-p", target, "cluster", "setslot", slot.ToString(), "importing", await NodeIdAsync(from)]);
        await RedisCliAsync(["-p", source, "cluster", "setslot", slot.ToString(), "migrating", await NodeIdAsync(to)]);
        if (keys.Count > 0) await MigrateAsync(source, target, keys);
    }

    /// <summary>Moves the slot's remaining keys and gives the slot to the target on every master.</summary>
    public async Task FinishSlotMoveAsync(int slot, int from, int to)
    {
        var (source, target) = (_nodes[from].Port.ToString(), _nodes[to].Port.ToString());
        var left = (await RedisCliAsync(["-p", source, "cluster", "getkeysinslot", slot.ToString(), "100000"]))
            .Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (left.Length > 0) await MigrateAsync(source, target, left);
        var owner = await NodeIdAsync(to);
        foreach (var node in new[] { to, from }.Concat(Enumerable.Range(0, Masters).Where(n => n != to && n != from)))
            await RedisCliAsync(["-p", _nodes[node].Port.ToString(), "cluster", "setslot", slot.ToString(), "node", owner]);
        await WaitUntilServingAsync();
    }

    private static Task<string> MigrateAsync(string source, string target, IEnumerable<string> keys) =>
        RedisCliAsync(["-p", source, "migrate", "127.0.0.1", target, "", "0", "5000", "keys", .. keys]);

    private async Task<string> NodeIdAsync(int node) =>
        (await RedisCliAsync(["-p", _nodes[node].Port.ToString(), "cluster", "myid"])).Trim();

    public async Task FlushAllAsync()
    {
        foreach (var node in _nodes)
            await Admin.GetServer("127.0.0.1", node.Port).FlushAllDatabasesAsync();
    }

    public async Task StopAsync()
    {
        foreach (var node in _nodes) await node.StopAsync();
    }

    public async Task StartAsync()
    {
        foreach (var node in _nodes.Where(n => !n.IsRunning)) await node.StartAsync();
        await WaitUntilServingAsync();
    }

    public async Task DisposeAsync()
    {
        if (_admin is not null) await _admin.DisposeAsync();
        foreach (var node in _nodes) await node.DisposeAsync();
    }
}

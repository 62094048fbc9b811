using Relay.Platforms.Shopware;
using Relay.Storage;
using Relay.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Relay.Tests.Faults;

/// <summary>
/// One master of a three-master cluster is killed (SIGKILL) and started again on its AOF while a relay
/// process takes webhooks. The shop's record lives on another master than its queue stream, the one that
/// dies: first its connection is refused, then (after the node timeout) every master answers CLUSTERDOWN.
/// Asserted: no webhook is answered 500, every 503 carries Retry-After, the relay takes events again
/// once the node is back, and every event answered 2xx is handled afterwards. The cluster is the test's
/// own: killing a node of the shared one would fail the tests running on it.
/// </summary>
[Collection(FaultCollection.Name)]
public sealed class RedisClusterFaultTests(ITestOutputHelper output)
{
    [Fact]
    public async Task A_master_restart_under_load_answers_503_with_retry_after_and_loses_no_accepted_event()
    {
        var cluster = new RedisCluster();
        await cluster.InitializeAsync();
        var shopId = cluster.ShopIdOn(recordNode: 0, queueNode: 1, FaultBed.Partitions, ShopwareShops.KeyOf);
        await using var bed = await FaultBed.StartAsync(relays: 1, new Dictionary<string, string?>
        {
            ["Pipeline__VisibilityTimeout"] = "00:00:05",
        }, cluster, shopId);
        var relay = bed.Relays[0];
        var load = new WebhookLoad(bed.Shop, _ => relay.BaseUrl);
        var sending = load.RunAsync(50_000, concurrency: 8, runId: "cluster");

        await Eventually.TrueAsync(() => Task.FromResult(load.Accepted.Count >= 300), "300 events accepted before the outage");
        Assert.Equal(1, cluster.NodeOf(StoreKeys.Stream(bed.Partition)));

        await cluster.Nodes[1].StopAsync();
        await Eventually.TrueAsync(() => Task.FromResult(relay.Output.Any(line => line.Contains("CLUSTERDOWN"))),
            "the other masters to answer CLUSTERDOWN");
        var acceptedBeforeRestart = load.Accepted.Count;

        await cluster.Nodes[1].StartAsync();
        await cluster.WaitUntilServingAsync();
        await Eventually.TrueAsync(() => Task.FromResult(load.Accepted.Count >= acceptedBeforeRestart + 300),
            "the relay to accept events again after the master came back");
        load.Stop();
        await sending.WaitAsync(Eventually.HangGuard);

        var accepted = load.Accepted.Keys.ToHashSet();
        var dead = await bed.WaitUntilHandledAsync(accepted);

        output.WriteLine($"{load.Describe()}; {acceptedBeforeRestart} accepted before the master was back; {dead.Count} dead-lettered, {dead.Values.Count(n => n > 1)} more than once");
        var lost = accepted.Where(id => !dead.ContainsKey(id)).ToList();
        Assert.Empty(lost);
        Assert.True(load.Statuses.GetValueOrDefault(503) > 0, load.Describe());
        Assert.All(load.Statuses.Keys, status => Assert.True(status is 204 or 503, load.Describe()));
        Assert.Equal(0, load.UnavailableWithoutRetryAfter);
    }
}

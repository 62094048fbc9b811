using System.Net;
using System.Text.Json.Nodes;
using Relay.Platforms.Shopware;
using Relay.Shops;
using Relay.Storage;
using Relay.Tests.Infrastructure;
using Relay.Tests.Platforms.Shopware;
using Relay.Tests.Sync;

namespace Relay.Tests.Storage.Redis;

/// <summary>
/// What only a cluster can show: shops and queue streams on every master, and a slot that moves while
/// webhooks arrive. The store contract, worker and platform tests run on the cluster as well (their *Cluster* classes).
/// </summary>
[Collection(RedisCluster.Collection)]
public sealed class RedisClusterTests(RedisCluster cluster)
{
    private const int Partitions = 4; // Pipeline:Partitions' default: {q0}, {q1} and {q2}+{q3} on the three masters

    private Dictionary<string, string?> OnCluster => new() { ["Storage:Redis"] = cluster.ConnectionString };

    [Fact]
    public async Task Shops_on_every_master_install_send_webhooks_that_reach_the_target_and_uninstall_completely()
    {
        for (var node = 0; node < RedisCluster.Masters; node++)
        {
            var shopId = cluster.ShopIdOn(recordNode: node, queueNode: node, Partitions, ShopwareShops.KeyOf);
            await using var bed = await SyncTestbed.StartAsync(OnCluster, shopId);
            await bed.ConfigureAsync(bed.SpotlerTarget());
            var customer = bed.AddCustomer($"node{node}@example.nl", "Node", $"Master {node}");

            await bed.SendCustomerWrittenAsync(customer.Id);
            await bed.ProcessQueueAsync();
            Assert.Equal($"Master {node}", bed.Spotler.Contacts[customer.Email!].Properties["lastName"]);

            using var deleted = await bed.Shopware.Shop.SendLifecycleAsync("app.deleted", new JsonObject { ["keepUserData"] = false });
            Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
            Assert.Empty(await bed.Get<IRelayStore>().ListKeysAsync(StoreKeys.Shop(bed.ShopKey)));
            using var afterUninstall = await bed.Shopware.Shop.SendWebhookAsync("customer.written", ShopwareTestbed.CustomerWritten(customer.Id));
            Assert.Equal(HttpStatusCode.Unauthorized, afterUninstall.StatusCode);
        }
    }

    [Fact]
    public async Task While_a_queue_slot_moves_between_masters_webhooks_get_503_with_retry_after_and_nothing_accepted_is_lost()
    {
        // The queue count below is per partition, which shops of earlier tests on the cluster share.
        await cluster.FlushAllAsync();
        // The shop's record on one master, its queue stream on another: the move touches only the queue.
        var shopId = cluster.ShopIdOn(recordNode: 0, queueNode: 1, Partitions, ShopwareShops.KeyOf);
        await using var bed = await ShopwareTestbed.StartAsync(settings: OnCluster, shopId: shopId);
        await bed.InstallAsync();
        var stream = StoreKeys.Stream(StoreKeys.PartitionOf(bed.ShopKey, Partitions));
        var slot = cluster.SlotOf(stream);
        using (var before = await bed.Shop.SendWebhookAsync("customer.written", ShopwareTestbed.CustomerWritten("c1"), eventId: "before-move"))
            Assert.Equal(HttpStatusCode.NoContent, before.StatusCode);

        // Halfway: the stream is on the new master, the event's dedup key would be on neither; the accept
        // script needs both in one place, and Redis says TRYAGAIN.
        await cluster.BeginSlotMoveAsync(slot, from: 1, to: 2, keys: [stream]);
        try
        {
            using var during = await bed.Shop.SendWebhookAsync("customer.written", ShopwareTestbed.CustomerWritten("c2"), eventId: "during-move");
            Assert.Equal(HttpStatusCode.ServiceUnavailable, during.StatusCode);
            Assert.NotNull(during.Headers.RetryAfter);
            Assert.Equal("application/problem+json", during.Content.Headers.ContentType?.MediaType);
        }
        finally
        {
            await cluster.FinishSlotMoveAsync(slot, from: 1, to: 2);
        }

        using (var retried = await bed.Shop.SendWebhookAsync("customer.written", ShopwareTestbed.CustomerWritten("c2"), eventId: "during-move"))
            Assert.Equal(HttpStatusCode.NoContent, retried.StatusCode);
        Assert.Equal(2, await bed.QueuedAsync());

        // Back where it was, for the other tests' layout.
        await cluster.BeginSlotMoveAsync(slot, from: 2, to: 1, keys: []);
        await cluster.FinishSlotMoveAsync(slot, from: 2, to: 1);
        Assert.Equal(1, cluster.NodeOf(stream));
    }
}

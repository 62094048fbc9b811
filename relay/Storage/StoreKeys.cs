namespace Relay.Storage;

/// <summary>
/// Key layout. Keys a Lua script touches together share a hash tag, so the relay also runs on
/// Redis Cluster: queue keys are tagged by partition, shop keys by shop.
/// </summary>
public static class StoreKeys
{
    public const string Prefix = "relay:";

    public static string Stream(int partition) => $"relay:{{q{partition}}}:stream";
    public static string Retry(int partition) => $"relay:{{q{partition}}}:retry";
    public static string Seen(int partition, string shopKey, string eventId) => $"relay:{{q{partition}}}:seen:{shopKey}:{eventId}";
    public static string DeadLetters(string shopKey) => $"relay:{{{shopKey}}}:dead";

    /// <summary>Root of everything one shop owns: "relay:{shopware:abc}:".</summary>
    public static string Shop(string shopKey) => $"relay:{{{shopKey}}}:";
    public static string ShopItem(string shopKey, string name) => $"relay:{{{shopKey}}}:{name}";

    /// <summary>Who is writing what an ordered-write key stands for; beside it, so in the same slot.</summary>
    public static string OrderedWriteHold(string key) => key + ":hold";

    public const string ConsumerGroup = "workers";

    /// <summary>Stable across processes and restarts (string.GetHashCode is randomised per process).</summary>
    public static int PartitionOf(string shopKey, int partitions)
    {
        uint hash = 2166136261;
        foreach (var c in shopKey)
        {
            hash ^= c;
            hash *= 16777619;
        }
        return (int)(hash % (uint)partitions);
    }
}

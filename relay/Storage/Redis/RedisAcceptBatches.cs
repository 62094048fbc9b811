using Relay.Pipeline;
using StackExchange.Redis;

namespace Relay.Storage.Redis;

/// <summary>
/// Group commit for the inbox. Under load most of an accept's cost is per command, not per byte: a Lua
/// call in Redis, a message, a socket write and a completion hop in the client. So events bound for
/// the same partition stream that arrive while earlier ones are still on their way to Redis travel
/// together in one script call. An idle relay sends each event at once (a batch of one); nothing waits
/// for a batch to fill. Every event still gets its own answer only after Redis has run the script
/// that stored it, so "2xx means stored" holds per event. A batch's keys (dedup keys and the stream)
/// all carry the partition's hash tag, so on a cluster the call goes to the one master owning it.
/// </summary>
internal sealed class RedisAcceptBatches(IDatabase db, int partitions)
{
    /// <summary>Script calls in flight per partition; more events queue for the next call.</summary>
    private const int CallsInFlight = 2;
    private const int MaxBatch = 64;
    private const int ArgsPerEvent = 6;

    // KEYS: one seen-key per event, then the stream. ARGV per event: ttl, shop, id, kind, accepted-at, body.
    // The same dedup and XADD as a single accept, once per event, in order; 1 = stored, 0 = duplicate.
    private const string AcceptBatchScript = """
        local n = #KEYS - 1
        local stream = KEYS[n + 1]
        local stored = {}
        for i = 1, n do
          local a = (i - 1) * 6
          if redis.call('SET', KEYS[i], '1', 'NX', 'EX', ARGV[a + 1]) then
            redis.call('XADD', stream, '*', 's', ARGV[a + 2], 'e', ARGV[a + 3], 'k', ARGV[a + 4], 't', ARGV[a + 5], 'b', ARGV[a + 6], 'a', '0')
            stored[i] = 1
          else
            stored[i] = 0
          end
        end
        return stored
        """;

    private readonly Partition[] _partitions = Enumerable.Range(0, partitions).Select(_ => new Partition()).ToArray();

    private sealed record Pending(InboxEvent Event, long TtlSeconds, TaskCompletionSource<bool> Stored);

    private sealed class Partition
    {
        public readonly Queue<Pending> Waiting = new();
        public int InFlight;
    }

    public Task<bool> AcceptAsync(InboxEvent evt, TimeSpan dedupTtl)
    {
        var index = StoreKeys.PartitionOf(evt.ShopKey, _partitions.Length);
        var partition = _partitions[index];
        var pending = new Pending(evt, (long)dedupTtl.TotalSeconds, new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously));
        List<Pending>? batch;
        lock (partition)
        {
            partition.Waiting.Enqueue(pending);
            batch = TakeBatch(partition);
        }
        if (batch is not null) _ = SendAsync(index, partition, batch);
        return pending.Stored.Task;
    }

    /// <summary>The next batch if another call may go out now; the caller holds the partition's lock.</summary>
    private static List<Pending>? TakeBatch(Partition partition)
    {
        if (partition.InFlight >= CallsInFlight || partition.Waiting.Count == 0) return null;
        partition.InFlight++;
        var batch = new List<Pending>(Math.Min(partition.Waiting.Count, MaxBatch));
        while (batch.Count < MaxBatch && partition.Waiting.TryDequeue(out var next)) batch.Add(next);
        return batch;
    }

    private async Task SendAsync(int index, Partition partition, List<Pending> batch)
    {
        while (batch is not null)
        {
            try
            {
                var keys = new RedisKey[batch.Count + 1];
                var args = new RedisValue[batch.Count * ArgsPerEvent];
                for (var i = 0; i < batch.Count; i++)
                {
                    var (e, ttlSeconds, _) = batch[i];
                    keys[i] = StoreKeys.Seen(index, e.ShopKey, e.EventId);
                    var a = i * ArgsPerEvent;
                    args[a] = ttlSeconds;
                    args[a + 1] = e.ShopKey;
                    args[a + 2] = e.EventId;
                    args[a + 3] = e.Kind;
                    args[a + 4] = e.AcceptedAt.ToUnixTimeMilliseconds();
                    args[a + 5] = e.Body;
                }
                keys[batch.Count] = StoreKeys.Stream(index);
                var stored = (long[])(await db.ScriptEvaluateAsync(AcceptBatchScript, keys, args))!;
                for (var i = 0; i < batch.Count; i++) batch[i].Stored.TrySetResult(stored[i] == 1);
            }
            catch (Exception e)
            {
                // Nothing in this call is known to be stored: every event in it is refused (the sender retries).
                var failure = RedisOutages.IsOutage(e) ? RedisOutages.Unavailable(e) : e;
                foreach (var pending in batch) pending.Stored.TrySetException(failure);
            }
            lock (partition)
            {
                partition.InFlight--;
                batch = TakeBatch(partition)!;
            }
        }
    }
}

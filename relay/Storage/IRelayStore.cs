
namespace Relay.Storage;

/// <summary>
/// Everything the relay keeps. Redis in production; an in-process copy with the same
/// semantics when no Redis is configured. Keys are namespaced by the caller
/// (see <see cref="StoreKeys"/>), so one shop's data can be listed and deleted alone.
/// </summary>
public interface IRelayStore
{
    Task<bool> PingAsync(CancellationToken ct = default);

    // ---- Inbox and queue ------------------------------------------------------------

    /// <summary>Dedup and enqueue as one atomic step. False when the event id was seen within the TTL.</summary>
    Task<bool> AcceptAsync(InboxEvent evt, TimeSpan dedupTtl);

    /// <summary>New entries for this consumer (XREADGROUP &gt;). Non-blocking.</summary>
    Task<IReadOnlyList<QueueItem>> ReadAsync(int partition, string consumer, int count);

    /// <summary>Entries another consumer read but has not acked for at least <paramref name="minIdle"/>.</summary>
    Task<IReadOnlyList<QueueItem>> ClaimStaleAsync(int partition, string consumer, TimeSpan minIdle, int count);

    /// <summary>Done: ack and delete, so memory follows the backlog, not the history.</summary>
    Task AckAsync(QueueItem item);

    /// <summary>
    /// Ack and park the event in the delayed-retry set until <paramref name="dueAt"/>. Unless
    /// <paramref name="countsAsAttempt"/>, it comes back with the attempts it had: it waited, it did not fail.
    /// </summary>
    Task ScheduleRetryAsync(QueueItem item, DateTimeOffset dueAt, string error, bool countsAsAttempt = true);

    /// <summary>Moves retries that are due back into the stream. Returns how many moved.</summary>
    Task<int> PromoteDueRetriesAsync(int partition, DateTimeOffset now, int max);

    /// <summary>Ack and move to the shop's dead-letter stream with the last error.</summary>
    Task DeadLetterAsync(QueueItem item, string error, DateTimeOffset at);

    Task<IReadOnlyList<DeadLetter>> ListDeadLettersAsync(string shopKey, int max);

    /// <summary>Puts a dead letter back into the queue with a fresh attempt count. False when unknown.</summary>
    Task<bool> ReplayDeadLetterAsync(string shopKey, string deadLetterId);

    Task<QueueDepth> GetDepthAsync(int partition);

    /// <summary>Drops queued, retrying and dead work of one shop (uninstall).</summary>
    Task<int> PurgeShopAsync(string shopKey, int partitions);

    // ---- Ordered writes ------------------------------------------------------------

    /// <summary>
    /// Starts writing version <paramref name="sequence"/> of the thing <paramref name="key"/> stands for, in one
    /// step: <see cref="OrderedWrite.Stale"/> when an equal or later sequence was written already;
    /// <see cref="OrderedWrite.Busy"/> while another owner is writing it (until it ends or
    /// <paramref name="holdFor"/> has passed); otherwise <see cref="OrderedWrite.Go"/>, and the caller holds it.
    /// </summary>
    Task<OrderedWrite> BeginOrderedWriteAsync(string key, long sequence, string owner, TimeSpan holdFor);

    /// <summary>
    /// Ends what <see cref="BeginOrderedWriteAsync"/> began: when <paramref name="written"/>, the sequence is
    /// remembered for <paramref name="keep"/> (the highest one stays); the hold is released if still the owner's.
    /// </summary>
    Task EndOrderedWriteAsync(string key, long sequence, string owner, bool written, TimeSpan keep);

    // ---- Documents, counters, logs --------------------------------------------------

    Task<string?> GetAsync(string key);
    Task SetAsync(string key, string value, TimeSpan? ttl = null);
    /// <summary>SET NX: true when this call created the key.</summary>
    Task<bool> SetIfAbsentAsync(string key, string value, TimeSpan? ttl = null);
    /// <summary>
    /// Several documents in one round trip (MGET), in the order asked; null where a key is missing.
    /// For batches of one shop's keys (one hash tag, so one Redis Cluster slot): a page of ledger entries.
    /// </summary>
    Task<IReadOnlyList<string?>> GetManyAsync(IReadOnlyList<string> keys);
    /// <summary>
    /// Sets several documents without expiry as one step (MSET); when a key comes twice the later value
    /// wins. Same slot rule as <see cref="GetManyAsync"/>.
    /// </summary>
    Task SetManyAsync(IReadOnlyList<KeyValuePair<string, string>> values);
    Task<bool> DeleteAsync(string key);
    /// <summary>
    /// A lease is a key holding its owner's id with an expiry, taken with <see cref="SetIfAbsentAsync"/>.
    /// Renewing and releasing act only while <paramref name="owner"/> still holds it, in one step: a holder
    /// whose lease ran out and was taken over by another instance must neither extend nor delete the new
    /// holder's. False when the lease is not (or no longer) the owner's.
    /// </summary>
    Task<bool> RenewLeaseAsync(string key, string owner, TimeSpan ttl);
    /// <inheritdoc cref="RenewLeaseAsync"/>
    Task<bool> ReleaseLeaseAsync(string key, string owner);
    /// <summary>
    /// Keys under a prefix (SCAN MATCH prefix*). A scan walks the whole keyspace, dedup keys included
    /// (millions on a busy relay), so this is for rare operations; anything listed on a schedule keeps
    /// an index with <see cref="AddToIndexAsync"/> instead.
    /// </summary>
    Task<IReadOnlyList<string>> ListKeysAsync(string prefix);

    /// <summary>Adds <paramref name="members"/> to the set stored under <paramref name="indexKey"/> in one step (SADD).</summary>
    Task AddToIndexAsync(string indexKey, params IReadOnlyList<string> members);
    Task RemoveFromIndexAsync(string indexKey, string member);
    /// <summary>The members of an index, in ordinal order (SMEMBERS).</summary>
    Task<IReadOnlyList<string>> ListIndexAsync(string indexKey);
    Task<long> IncrementAsync(string key, long by = 1, TimeSpan? ttl = null);

    /// <summary>Newest-first capped list with an expiry (LPUSH, LTRIM, EXPIRE): activity logs.</summary>
    Task AppendLogAsync(string key, string entry, int maxLength, TimeSpan ttl);
    Task<IReadOnlyList<string>> ReadLogAsync(string key, int count);

    /// <summary>
    /// Shared pacing (GCRA): reserves the next slot of a bucket that admits <paramref name="perSecond"/>
    /// requests a second with bursts of <paramref name="burst"/>. Returns how long the caller must wait
    /// before sending; zero when it may send now. Several relay processes share one bucket.
    /// </summary>
    Task<TimeSpan> ReserveSlotAsync(string bucketKey, double perSecond, int burst, DateTimeOffset now);

    /// <summary>
    /// Corrects a <see cref="ReserveSlotAsync"/> bucket from outside evidence: it holds at least
    /// <paramref name="level"/> requests at <paramref name="now"/>, so later slots move back as far as that
    /// implies. Only ever raises the level.
    /// </summary>
    Task RaiseSlotLevelAsync(string bucketKey, double perSecond, double level, DateTimeOffset now);
}

public sealed record QueueDepth(long Waiting, long Pending, long Retrying);

/// <summary>What <see cref="IRelayStore.BeginOrderedWriteAsync"/> found (the values are the Redis script's answers).</summary>
public enum OrderedWrite { Go = 0, Stale = 1, Busy = 2 }

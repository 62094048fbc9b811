
namespace Relay.Storage.Embedded;

/// <summary>
/// The store in process memory, with the same semantics as Redis (consumer groups, pending entries,
/// idle-time claiming, delayed retries, dead letters). For `dotnet run` without Redis and for tests:
/// nothing survives a restart and several processes cannot share it.
/// </summary>
public sealed class EmbeddedRelayStore(TimeProvider time, int partitions) : IRelayStore
{
    private sealed class Entry(string id, InboxEvent evt, int attempt)
    {
        public string Id { get; } = id;
        public InboxEvent Event { get; } = evt;
        public int Attempt { get; } = attempt;
        public string? Consumer { get; set; }
        public DateTimeOffset DeliveredAt { get; set; }
    }

    private sealed class Partition
    {
        public readonly LinkedList<Entry> Waiting = new();
        public readonly Dictionary<string, Entry> Pending = new();
        public readonly List<(DateTimeOffset Due, InboxEvent Event, int Attempt)> Retries = [];
    }

    private readonly object _gate = new();
    private readonly Dictionary<int, Partition> _partitions = [];
    private readonly Dictionary<string, List<DeadLetter>> _dead = [];
    private readonly Dictionary<string, (string Value, DateTimeOffset? Expires)> _values = [];
    private readonly Dictionary<string, (List<string> Items, DateTimeOffset Expires)> _logs = [];
    private readonly Dictionary<string, HashSet<string>> _indexes = [];
    private long _sequence;

    public Task<bool> PingAsync(CancellationToken ct = default) => Task.FromResult(true);

    private Partition P(int partition)
    {
        if (!_partitions.TryGetValue(partition, out var p))
            _partitions[partition] = p = new Partition();
        return p;
    }

    private string NextId() => $"{time.GetUtcNow().ToUnixTimeMilliseconds()}-{++_sequence}";

    private int PartitionOf(string shopKey) => StoreKeys.PartitionOf(shopKey, partitions);

    public Task<bool> AcceptAsync(InboxEvent evt, TimeSpan dedupTtl)
    {
        lock (_gate)
        {
            var partition = PartitionOf(evt.ShopKey);
            var seen = StoreKeys.Seen(partition, evt.ShopKey, evt.EventId);
            if (Live(seen) is not null) return Task.FromResult(false);
            _values[seen] = ("1", time.GetUtcNow() + dedupTtl);
            P(partition).Waiting.AddLast(new Entry(NextId(), evt, 0));
            return Task.FromResult(true);
        }
    }

    public Task<IReadOnlyList<QueueItem>> ReadAsync(int partition, string consumer, int count)
    {
        lock (_gate)
        {
            var p = P(partition);
            var items = new List<QueueItem>();
            while (items.Count < count && p.Waiting.First is { } node)
            {
                p.Waiting.RemoveFirst();
                var entry = node.Value;
                entry.Consumer = consumer;
                entry.DeliveredAt = time.GetUtcNow();
                p.Pending[entry.Id] = entry;
                items.Add(new QueueItem(partition, entry.Id, entry.Event, entry.Attempt));
            }
            return Task.FromResult<IReadOnlyList<QueueItem>>(items);
        }
    }

    public Task<IReadOnlyList<QueueItem>> ClaimStaleAsync(int partition, string consumer, TimeSpan minIdle, int count)
    {
        lock (_gate)
        {
            var now = time.GetUtcNow();
            var items = new List<QueueItem>();
            foreach (var entry in P(partition).Pending.Values.OrderBy(e => e.DeliveredAt))
            {
                if (items.Count >= count) break;
                if (now - entry.DeliveredAt < minIdle) continue;
                entry.Consumer = consumer;
                entry.DeliveredAt = now;
                items.Add(new QueueItem(partition, entry.Id, entry.Event, entry.Attempt));
            }
            return Task.FromResult<IReadOnlyList<QueueItem>>(items);
        }
    }

    public Task AckAsync(QueueItem item)
    {
        lock (_gate) P(item.Partition).Pending.Remove(item.EntryId);
        return Task.CompletedTask;
    }

    public Task ScheduleRetryAsync(QueueItem item, DateTimeOffset dueAt, string error, bool countsAsAttempt = true)
    {
        lock (_gate)
        {
            var p = P(item.Partition);
            if (p.Pending.Remove(item.EntryId))
                p.Retries.Add((dueAt, item.Event, countsAsAttempt ? item.Attempt + 1 : item.Attempt));
        }
        return Task.CompletedTask;
    }

    public Task<int> PromoteDueRetriesAsync(int partition, DateTimeOffset now, int max)
    {
        lock (_gate)
        {
            var p = P(partition);
            var due = p.Retries.Where(r => r.Due <= now).OrderBy(r => r.Due).Take(max).ToList();
            foreach (var r in due)
            {
                p.Retries.Remove(r);
                p.Waiting.AddLast(new Entry(NextId(), r.Event, r.Attempt));
            }
            return Task.FromResult(due.Count);
        }
    }

    public Task DeadLetterAsync(QueueItem item, string error, DateTimeOffset at)
    {
        lock (_gate)
        {
            if (!P(item.Partition).Pending.Remove(item.EntryId)) return Task.CompletedTask;
            if (!_dead.TryGetValue(item.Event.ShopKey, out var list))
                _dead[item.Event.ShopKey] = list = [];
            list.Add(new DeadLetter(NextId(), item.Event, item.Attempt + 1, error, at));
        }
        return Task.CompletedTask;
    }

    public Task<IReadOnlyList<DeadLetter>> ListDeadLettersAsync(string shopKey, int max)
    {
        lock (_gate)
        {
            IReadOnlyList<DeadLetter> result = _dead.TryGetValue(shopKey, out var list)
                ? list.AsEnumerable().Reverse().Take(max).ToList()
                : [];
            return Task.FromResult(result);
        }
    }

    public Task<bool> ReplayDeadLetterAsync(string shopKey, string deadLetterId)
    {
        lock (_gate)
        {
            if (!_dead.TryGetValue(shopKey, out var list)) return Task.FromResult(false);
            var letter = list.Find(d => d.Id == deadLetterId);
            if (letter is null) return Task.FromResult(false);
            list.Remove(letter);
            P(PartitionOf(shopKey)).Waiting.AddLast(new Entry(NextId(), letter.Event, 0));
            return Task.FromResult(true);
        }
    }

    public Task<QueueDepth> GetDepthAsync(int partition)
    {
        lock (_gate)
        {
            var p = P(partition);
            return Task.FromResult(new QueueDepth(p.Waiting.Count, p.Pending.Count, p.Retries.Count));
        }
    }

    public Task<int> PurgeShopAsync(string shopKey, int partitions)
    {
        lock (_gate)
        {
            var removed = 0;
            foreach (var p in _partitions.Values)
            {
                foreach (var node in p.Waiting.Where(e => e.Event.ShopKey == shopKey).ToList()) { p.Waiting.Remove(node); removed++; }
                foreach (var id in p.Pending.Values.Where(e => e.Event.ShopKey == shopKey).Select(e => e.Id).ToList()) { p.Pending.Remove(id); removed++; }
                removed += p.Retries.RemoveAll(r => r.Event.ShopKey == shopKey);
            }
            if (_dead.Remove(shopKey, out var dead)) removed += dead.Count;
            return Task.FromResult(removed);
        }
    }

    public Task<OrderedWrite> BeginOrderedWriteAsync(string key, long sequence, string owner, TimeSpan holdFor)
    {
        lock (_gate)
        {
            if (Live(key) is { } written && long.Parse(written) >= sequence) return Task.FromResult(OrderedWrite.Stale);
            var hold = StoreKeys.OrderedWriteHold(key);
            if (Live(hold) is { } holder && holder != owner) return Task.FromResult(OrderedWrite.Busy);
            _values[hold] = (owner, Expiry(holdFor));
            return Task.FromResult(OrderedWrite.Go);
        }
    }

    public Task EndOrderedWriteAsync(string key, long sequence, string owner, bool written, TimeSpan keep)
    {
        lock (_gate)
        {
            if (written)
            {
                var highest = Live(key) is { } last && long.Parse(last) > sequence ? long.Parse(last) : sequence;
                _values[key] = (highest.ToString(System.Globalization.CultureInfo.InvariantCulture), Expiry(keep));
            }
            var hold = StoreKeys.OrderedWriteHold(key);
            if (Live(hold) == owner) _values.Remove(hold);
        }
        return Task.CompletedTask;
    }

    private string? Live(string key)
    {
        if (!_values.TryGetValue(key, out var v)) return null;
        if (v.Expires is { } e && e <= time.GetUtcNow())
        {
            _values.Remove(key);
            return null;
        }
        return v.Value;
    }

    private DateTimeOffset? Expiry(TimeSpan? ttl) => ttl is { } t ? time.GetUtcNow() + t : null;

    public Task<string?> GetAsync(string key)
    {
        lock (_gate) return Task.FromResult(Live(key));
    }

    public Task SetAsync(string key, string value, TimeSpan? ttl = null)
    {
        lock (_gate) _values[key] = (value, Expiry(ttl));
        return Task.CompletedTask;
    }

    public Task<bool> SetIfAbsentAsync(string key, string value, TimeSpan? ttl = null)
    {
        lock (_gate)
        {
            if (Live(key) is not null) return Task.FromResult(false);
            _values[key] = (value, Expiry(ttl));
            return Task.FromResult(true);
        }
    }

    public Task<bool> RenewLeaseAsync(string key, string owner, TimeSpan ttl)
    {
        lock (_gate)
        {
            if (Live(key) != owner) return Task.FromResult(false);
            _values[key] = (owner, Expiry(ttl));
            return Task.FromResult(true);
        }
    }

    public Task<bool> ReleaseLeaseAsync(string key, string owner)
    {
        lock (_gate) return Task.FromResult(Live(key) == owner && _values.Remove(key));
    }

    public Task<IReadOnlyList<string?>> GetManyAsync(IReadOnlyList<string> keys)
    {
        lock (_gate) return Task.FromResult<IReadOnlyList<string?>>(keys.Select(Live).ToArray());
    }

    public Task SetManyAsync(IReadOnlyList<KeyValuePair<string, string>> values)
    {
        lock (_gate)
            foreach (var (key, value) in values) _values[key] = (value, null);
        return Task.CompletedTask;
    }

    public Task<bool> DeleteAsync(string key)
    {
        lock (_gate)
        {
            var existed = Live(key) is not null | _logs.Remove(key) | _indexes.Remove(key);
            _values.Remove(key);
            return Task.FromResult(existed);
        }
    }

    public Task AddToIndexAsync(string indexKey, params IReadOnlyList<string> members)
    {
        if (members.Count == 0) return Task.CompletedTask;
        lock (_gate)
        {
            if (!_indexes.TryGetValue(indexKey, out var set)) _indexes[indexKey] = set = new HashSet<string>(StringComparer.Ordinal);
            set.UnionWith(members);
        }
        return Task.CompletedTask;
    }

    public Task RemoveFromIndexAsync(string indexKey, string member)
    {
        lock (_gate)
            if (_indexes.TryGetValue(indexKey, out var members) && members.Remove(member) && members.Count == 0)
                _indexes.Remove(indexKey);
        return Task.CompletedTask;
    }

    public Task<IReadOnlyList<string>> ListIndexAsync(string indexKey)
    {
        lock (_gate)
        {
            IReadOnlyList<string> members = _indexes.TryGetValue(indexKey, out var set) ? set.Order(StringComparer.Ordinal).ToList() : [];
            return Task.FromResult(members);
        }
    }

    public Task<IReadOnlyList<string>> ListKeysAsync(string prefix)
    {
        lock (_gate)
        {
            var now = time.GetUtcNow();
            IReadOnlyList<string> keys = _values.Where(kv => kv.Key.StartsWith(prefix, StringComparison.Ordinal) && (kv.Value.Expires is not { } e || e > now))
                .Select(kv => kv.Key)
                .Concat(_logs.Where(kv => kv.Key.StartsWith(prefix, StringComparison.Ordinal) && kv.Value.Expires > now).Select(kv => kv.Key))
                .Concat(_indexes.Keys.Where(k => k.StartsWith(prefix, StringComparison.Ordinal)))
                .Order(StringComparer.Ordinal)
                .ToList();
            return Task.FromResult(keys);
        }
    }

    public Task<long> IncrementAsync(string key, long by = 1, TimeSpan? ttl = null)
    {
        lock (_gate)
        {
            var current = Live(key) is { } v ? long.Parse(v) : 0;
            var expires = _values.TryGetValue(key, out var old) && old.Expires is not null ? old.Expires : Expiry(ttl);
            current += by;
            _values[key] = (current.ToString(), expires);
            return Task.FromResult(current);
        }
    }

    public Task AppendLogAsync(string key, string entry, int maxLength, TimeSpan ttl)
    {
        lock (_gate)
        {
            var now = time.GetUtcNow();
            if (!_logs.TryGetValue(key, out var log) || log.Expires <= now) log = ([], now + ttl);
            log.Items.Insert(0, entry);
            if (log.Items.Count > maxLength) log.Items.RemoveRange(maxLength, log.Items.Count - maxLength);
            _logs[key] = (log.Items, now + ttl);
        }
        return Task.CompletedTask;
    }

    public Task<IReadOnlyList<string>> ReadLogAsync(string key, int count)
    {
        lock (_gate)
        {
            IReadOnlyList<string> items = _logs.TryGetValue(key, out var log) && log.Expires > time.GetUtcNow()
                ? log.Items.Take(count).ToList()
                : [];
            return Task.FromResult(items);
        }
    }

    public Task<TimeSpan> ReserveSlotAsync(string bucketKey, double perSecond, int burst, DateTimeOffset now)
    {
        lock (_gate)
        {
            var wait = Gcra.Reserve(Live(bucketKey), perSecond, burst, now, out var newTat);
            _values[bucketKey] = (newTat.ToString(System.Globalization.CultureInfo.InvariantCulture), now + TimeSpan.FromSeconds(burst / perSecond + 60));
            return Task.FromResult(wait);
        }
    }

    public Task RaiseSlotLevelAsync(string bucketKey, double perSecond, double level, DateTimeOffset now)
    {
        lock (_gate)
        {
            var tat = Gcra.Raise(Live(bucketKey), perSecond, level, now);
            var expires = now + TimeSpan.FromSeconds(level / perSecond + 60);
            if (_values.TryGetValue(bucketKey, out var current) && current.Expires > expires) expires = current.Expires.Value;
            _values[bucketKey] = (tat.ToString(System.Globalization.CultureInfo.InvariantCulture), expires);
            return Task.CompletedTask;
        }
    }
}

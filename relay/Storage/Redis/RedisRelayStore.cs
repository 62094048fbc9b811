using System.Globalization;
using System.Text.Json;
using StackExchange.Redis;

namespace Relay.Storage.Redis;

/// <summary>
/// The store on one Redis or a Redis Cluster. Queues are streams read through one consumer group, so
/// several relay processes split the work; delayed retries are a sorted set per partition; dead letters
/// a stream per shop. Every step that must not be torn in half by a crash is one Lua script over keys
/// that share a hash tag, so one cluster slot. Anything that walks keys visits every master. Outages
/// (a node down, restarting, loading, the cluster reorganising) leave as <see cref="StoreUnavailableException"/>.
/// </summary>
public sealed class RedisRelayStore : IRelayStore, IDisposable
{
    // Stream entry fields: s shop key, e event id, k kind, t accepted-at (Unix ms), b raw body,
    // a attempt, q the platform's delivery sequence (only when it has one). The body goes in as it
    // came, so the hot path encodes nothing.

    // The inbox: dedup and enqueue in one step, on the master of the partition (the dedup key and the
    // stream share its hash tag). 1 = stored, 0 = a duplicate within the TTL. Each event is its own call:
    // the client pipelines concurrent calls on one connection, and grouping them into one script call per
    // partition (as the relay did on StackExchange.Redis 1.x) no longer changed the relay's or Redis's CPU
    // per event measurably (README › Benchmarks).
    private const string AcceptScript = """
        if redis.call('SET', KEYS[1], '1', 'NX', 'EX', ARGV[1]) then
          if ARGV[7] == '' then
            redis.call('XADD', KEYS[2], '*', 's', ARGV[2], 'e', ARGV[3], 'k', ARGV[4], 't', ARGV[5], 'b', ARGV[6], 'a', '0')
          else
            redis.call('XADD', KEYS[2], '*', 's', ARGV[2], 'e', ARGV[3], 'k', ARGV[4], 't', ARGV[5], 'b', ARGV[6], 'a', '0', 'q', ARGV[7])
          end
          return 1
        end
        return 0
        """;
    private const string AckScript = """
        redis.call('XACK', KEYS[1], ARGV[1], ARGV[2])
        return redis.call('XDEL', KEYS[1], ARGV[2])
        """;

    // Only the consumer group's own pending entry may be moved: if the entry is gone (acked or
    // purged meanwhile) nothing is scheduled, so a retry can never resurrect finished work.
    private const string RetryScript = """
        if redis.call('XACK', KEYS[1], ARGV[1], ARGV[2]) == 0 then return 0 end
        redis.call('XDEL', KEYS[1], ARGV[2])
        redis.call('ZADD', KEYS[2], ARGV[3], ARGV[4])
        return 1
        """;

    // Retry members are JSON (a rare path), rebuilt into entry fields here.
    private const string PromoteScript = """
        local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[2]))
        for _, member in ipairs(due) do
          local m = cjson.decode(member)
          if type(m.q) == 'string' and m.q ~= '' then
            redis.call('XADD', KEYS[2], '*', 's', m.s, 'e', m.e, 'k', m.k, 't', m.t, 'b', m.b, 'a', m.a, 'q', m.q)
          else
            redis.call('XADD', KEYS[2], '*', 's', m.s, 'e', m.e, 'k', m.k, 't', m.t, 'b', m.b, 'a', m.a)
          end
          redis.call('ZREM', KEYS[1], member)
        end
        return #due
        """;

    private const string IncrementScript = """
        local v = redis.call('INCRBY', KEYS[1], ARGV[1])
        if tonumber(ARGV[2]) > 0 and redis.call('PTTL', KEYS[1]) == -1 then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
        return v
        """;

    private const string RenewLeaseScript = """
        if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
        redis.call('PEXPIRE', KEYS[1], ARGV[2])
        return 1
        """;

    private const string ReleaseLeaseScript = """
        if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
        return redis.call('DEL', KEYS[1])
        """;

    private const string AppendLogScript = """
        redis.call('LPUSH', KEYS[1], ARGV[1])
        redis.call('LTRIM', KEYS[1], 0, tonumber(ARGV[2]) - 1)
        redis.call('PEXPIRE', KEYS[1], ARGV[3])
        return 1
        """;

    // GCRA: the bucket is the theoretical arrival time of the next request (see Gcra.cs).
    private const string ReserveScript = """
        local now = tonumber(ARGV[1])
        local interval = tonumber(ARGV[2])
        local burst = tonumber(ARGV[3])
        local tat = tonumber(redis.call('GET', KEYS[1]) or ARGV[1])
        if tat < now then tat = now end
        local allowAt = tat - interval * (burst - 1)
        redis.call('SET', KEYS[1], string.format('%.3f', tat + interval), 'PX', ARGV[4])
        if allowAt > now then return string.format('%.3f', allowAt - now) end
        return '0'
        """;

    // Raise a GCRA bucket's TAT to at least ARGV[1], keeping the later expiry.
    private const string RaiseScript = """
        local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
        local floor = tonumber(ARGV[1])
        if tat >= floor then return 0 end
        local ttl = redis.call('PTTL', KEYS[1])
        local px = tonumber(ARGV[2])
        if ttl > px then px = ttl end
        redis.call('SET', KEYS[1], string.format('%.3f', floor), 'PX', px)
        return 1
        """;

    // Ordered writes: KEYS[1] holds the last sequence written, KEYS[2] (same hash tag) the writer's hold.
    // Sequences are compared as decimal strings (no leading zeros): Lua numbers lose precision above 2^53.
    private const string NewerFunction = """
        local function newer(a, b)
          if b == false or b == nil then return true end
          if #a ~= #b then return #a > #b end
          return a > b
        end
        """ + "\n";

    private const string BeginOrderedWriteScript = NewerFunction + """
        if not newer(ARGV[1], redis.call('GET', KEYS[1])) then return 1 end
        local holder = redis.call('GET', KEYS[2])
        if holder and holder ~= ARGV[2] then return 2 end
        redis.call('SET', KEYS[2], ARGV[2], 'PX', ARGV[3])
        return 0
        """;

    private const string EndOrderedWriteScript = NewerFunction + """
        if ARGV[3] == '1' then
          if newer(ARGV[1], redis.call('GET', KEYS[1])) then
            redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[4])
          else
            redis.call('PEXPIRE', KEYS[1], ARGV[4])
          end
        end
        if redis.call('GET', KEYS[2]) == ARGV[2] then redis.call('DEL', KEYS[2]) end
        return 1
        """;

    private readonly ConnectionMultiplexer _redis;
    private readonly IDatabase _db;
    private readonly int _partitions;
    private readonly HashSet<int> _groupsReady = [];

    public RedisRelayStore(string configuration, int partitions, ILogger logger)
    {
        _redis = ConnectionMultiplexer.Connect(ConnectionOptions(configuration));
        _redis.ConnectionFailed += (_, e) => logger.LogWarning("Redis connection to {Endpoint} failed: {Failure}", e.EndPoint, e.FailureType);
        _redis.ConnectionRestored += (_, e) => logger.LogInformation("Redis connection to {Endpoint} restored", e.EndPoint);
        _db = _redis.GetDatabase();
        _partitions = partitions;
    }

    private static ConfigurationOptions ConnectionOptions(string configuration)
    {
        var options = ConfigurationOptions.Parse(configuration);
        // Start even when Redis is down: readiness reports it and the multiplexer reconnects by itself.
        options.AbortOnConnectFail = false;
        // A command for a node that is not connected fails at once instead of waiting in a backlog for the
        // reconnect: a webhook then gets its 503 right away, not after the sync timeout, and the sender retries.
        options.BacklogPolicy = BacklogPolicy.FailFast;
        return options;
    }

    public void Dispose() => _redis.Dispose();

    public async Task<bool> PingAsync(CancellationToken ct = default)
    {
        if (!_redis.IsConnected) return false;
        try
        {
            await _db.PingAsync().WaitAsync(ct);
            return true;
        }
        catch (Exception e) when (e is RedisException or TimeoutException or OperationCanceledException)
        {
            return false;
        }
    }

    // ---- Inbox and queue ------------------------------------------------------------

    public Task<bool> AcceptAsync(InboxEvent evt, TimeSpan dedupTtl) => RedisOutages.Guard(async () =>
    {
        var partition = StoreKeys.PartitionOf(evt.ShopKey, _partitions);
        var stored = await _db.ScriptEvaluateAsync(AcceptScript,
            [StoreKeys.Seen(partition, evt.ShopKey, evt.EventId), StoreKeys.Stream(partition)],
            [(long)dedupTtl.TotalSeconds, evt.ShopKey, evt.EventId, evt.Kind, evt.AcceptedAt.ToUnixTimeMilliseconds(), evt.Body, SequenceField(evt)]);
        return (long)stored == 1;
    });

    public Task<IReadOnlyList<QueueItem>> ReadAsync(int partition, string consumer, int count) => RedisOutages.Guard(async () =>
    {
        await EnsureGroupAsync(partition);
        StreamEntry[] entries;
        try
        {
            entries = await _db.StreamReadGroupAsync(StoreKeys.Stream(partition), StoreKeys.ConsumerGroup, consumer, StreamPosition.NewMessages, count);
        }
        catch (RedisServerException e) when (e.Message.StartsWith("NOGROUP", StringComparison.Ordinal))
        {
            // Redis lost the group (restart without persistence, FLUSHALL): recreate and read next time.
            lock (_groupsReady) _groupsReady.Remove(partition);
            return [];
        }
        return Items(partition, entries);
    });

    public Task<IReadOnlyList<QueueItem>> ClaimStaleAsync(int partition, string consumer, TimeSpan minIdle, int count) => RedisOutages.Guard(async () =>
    {
        await EnsureGroupAsync(partition);
        var claimed = await _db.StreamAutoClaimAsync(StoreKeys.Stream(partition), StoreKeys.ConsumerGroup, consumer,
            (long)minIdle.TotalMilliseconds, "0-0", count);
        return Items(partition, claimed.ClaimedEntries);
    });

    private static IReadOnlyList<QueueItem> Items(int partition, StreamEntry[] entries)
    {
        var items = new List<QueueItem>(entries.Length);
        foreach (var entry in entries)
        {
            if (entry.IsNull || entry.Values.Length == 0) continue; // deleted while pending (Redis 6.2)
            items.Add(new QueueItem(partition, entry.Id!, EventOf(entry), (int)entry["a"]));
        }
        return items;
    }

    private static InboxEvent EventOf(StreamEntry entry) =>
        new(entry["s"]!, entry["e"]!, entry["k"]!, entry["b"]!, DateTimeOffset.FromUnixTimeMilliseconds((long)entry["t"]),
            entry["q"] is { IsNull: false } q ? (long)q : null);

    private static NameValueEntry[] EventFields(InboxEvent evt, int attempt, params NameValueEntry[] more) =>
    [
        new("s", evt.ShopKey), new("e", evt.EventId), new("k", evt.Kind), new("t", evt.AcceptedAt.ToUnixTimeMilliseconds()),
        new("b", evt.Body), new("a", attempt), .. evt.Sequence is { } q ? [new NameValueEntry("q", q)] : Array.Empty<NameValueEntry>(), .. more,
    ];

    private static string SequenceField(InboxEvent evt) => evt.Sequence?.ToString(CultureInfo.InvariantCulture) ?? "";

    private async Task EnsureGroupAsync(int partition)
    {
        lock (_groupsReady)
            if (_groupsReady.Contains(partition)) return;
        try
        {
            // From id 0, not $: entries accepted before the first worker started are still read.
            await _db.StreamCreateConsumerGroupAsync(StoreKeys.Stream(partition), StoreKeys.ConsumerGroup, "0", createStream: true);
        }
        catch (RedisServerException e) when (e.Message.StartsWith("BUSYGROUP", StringComparison.Ordinal))
        {
        }
        lock (_groupsReady) _groupsReady.Add(partition);
    }

    public Task AckAsync(QueueItem item) => RedisOutages.Guard(() => AckAsync(StoreKeys.Stream(item.Partition), item.EntryId));

    private Task AckAsync(string stream, RedisValue entryId) =>
        _db.ScriptEvaluateAsync(AckScript, [stream], [StoreKeys.ConsumerGroup, entryId]);

    public Task ScheduleRetryAsync(QueueItem item, DateTimeOffset dueAt, string error, bool countsAsAttempt = true) => RedisOutages.Guard(() =>
        _db.ScriptEvaluateAsync(RetryScript, [StoreKeys.Stream(item.Partition), StoreKeys.Retry(item.Partition)],
            [StoreKeys.ConsumerGroup, item.EntryId, dueAt.ToUnixTimeMilliseconds(), RetryMember(item, countsAsAttempt ? item.Attempt + 1 : item.Attempt)]));

    /// <summary>The entry id makes the member unique: the same event failing twice is two retries, not one.</summary>
    private static string RetryMember(QueueItem item, int attempt) => JsonSerializer.Serialize(new RetryEntry(
        item.EntryId, item.Event.ShopKey, item.Event.EventId, item.Event.Kind,
        item.Event.AcceptedAt.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture), item.Event.Body,
        attempt.ToString(CultureInfo.InvariantCulture), SequenceField(item.Event)), StoreJson.Default.RetryEntry);

    public Task<int> PromoteDueRetriesAsync(int partition, DateTimeOffset now, int max) => RedisOutages.Guard(async () =>
        (int)await _db.ScriptEvaluateAsync(PromoteScript, [StoreKeys.Retry(partition), StoreKeys.Stream(partition)],
            [now.ToUnixTimeMilliseconds(), max]));

    public Task DeadLetterAsync(QueueItem item, string error, DateTimeOffset at) => RedisOutages.Guard(async () =>
    {
        // Two slots (partition, shop), so two steps: write the dead letter first. A crash between
        // leaves the entry pending; it is reclaimed, fails again and may be dead-lettered twice,
        // which is visible and harmless, whereas the other order could lose it.
        await _db.StreamAddAsync(StoreKeys.DeadLetters(item.Event.ShopKey),
            EventFields(item.Event, item.Attempt + 1, new("err", error), new("at", at.ToUnixTimeMilliseconds())));
        await AckAsync(StoreKeys.Stream(item.Partition), item.EntryId);
    });

    public Task<IReadOnlyList<DeadLetter>> ListDeadLettersAsync(string shopKey, int max) => RedisOutages.Guard(async () =>
    {
        var entries = await _db.StreamRangeAsync(StoreKeys.DeadLetters(shopKey), count: max, messageOrder: Order.Descending);
        return (IReadOnlyList<DeadLetter>)entries.Select(DeadLetterOf).ToList();
    });

    private static DeadLetter DeadLetterOf(StreamEntry entry) =>
        new(entry.Id!, EventOf(entry), (int)entry["a"], entry["err"]!, DateTimeOffset.FromUnixTimeMilliseconds((long)entry["at"]));

    public Task<bool> ReplayDeadLetterAsync(string shopKey, string deadLetterId) => RedisOutages.Guard(async () =>
    {
        var key = StoreKeys.DeadLetters(shopKey);
        StreamEntry[] entries;
        try
        {
            entries = await _db.StreamRangeAsync(key, deadLetterId, deadLetterId);
        }
        catch (RedisServerException e) when (!RedisOutages.IsOutage(e))
        {
            return false; // not a stream id at all
        }
        if (entries.Length == 0) return false;
        var letter = DeadLetterOf(entries[0]);
        // Enqueue before deleting: a crash between replays twice rather than never.
        await _db.StreamAddAsync(StoreKeys.Stream(StoreKeys.PartitionOf(shopKey, _partitions)), EventFields(letter.Event, 0));
        await _db.StreamDeleteAsync(key, [deadLetterId]);
        return true;
    });

    public Task<QueueDepth> GetDepthAsync(int partition) => RedisOutages.Guard(async () =>
    {
        await EnsureGroupAsync(partition);
        var stream = StoreKeys.Stream(partition);
        var length = _db.StreamLengthAsync(stream);
        var pending = _db.StreamPendingAsync(stream, StoreKeys.ConsumerGroup);
        var retrying = _db.SortedSetLengthAsync(StoreKeys.Retry(partition));
        var pendingCount = (await pending).PendingMessageCount;
        return new QueueDepth(await length - pendingCount, pendingCount, await retrying);
    });

    public Task<int> PurgeShopAsync(string shopKey, int partitions) => RedisOutages.Guard(async () =>
    {
        var removed = 0;
        for (var p = 0; p < partitions; p++)
        {
            var stream = StoreKeys.Stream(p);
            RedisValue start = "-";
            while (true)
            {
                var entries = await _db.StreamRangeAsync(stream, start, "+", count: 500);
                if (entries.Length == 0) break;
                foreach (var entry in entries)
                {
                    if (entry["s"] == shopKey)
                    {
                        await AckAsync(stream, entry.Id);
                        removed++;
                    }
                    start = "(" + entry.Id;
                }
            }
            foreach (var member in await _db.SortedSetRangeByRankAsync(StoreKeys.Retry(p)))
            {
                var retry = JsonSerializer.Deserialize((string)member!, StoreJson.Default.RetryEntry);
                if (retry?.s == shopKey && await _db.SortedSetRemoveAsync(StoreKeys.Retry(p), member))
                    removed++;
            }
        }
        var dead = await _db.StreamLengthAsync(StoreKeys.DeadLetters(shopKey));
        await _db.KeyDeleteAsync(StoreKeys.DeadLetters(shopKey));
        return removed + (int)dead;
    });

    // ---- Ordered writes ------------------------------------------------------------

    public Task<OrderedWrite> BeginOrderedWriteAsync(string key, long sequence, string owner, TimeSpan holdFor) => RedisOutages.Guard(async () =>
        (OrderedWrite)(long)await _db.ScriptEvaluateAsync(BeginOrderedWriteScript, [key, StoreKeys.OrderedWriteHold(key)],
            [Sequence(sequence), owner, (long)holdFor.TotalMilliseconds]));

    public Task EndOrderedWriteAsync(string key, long sequence, string owner, bool written, TimeSpan keep) => RedisOutages.Guard(() =>
        _db.ScriptEvaluateAsync(EndOrderedWriteScript, [key, StoreKeys.OrderedWriteHold(key)],
            [Sequence(sequence), owner, written ? 1 : 0, (long)keep.TotalMilliseconds]));

    private static string Sequence(long sequence) => sequence >= 0
        ? sequence.ToString(CultureInfo.InvariantCulture)
        : throw new ArgumentOutOfRangeException(nameof(sequence), "Sequences are not negative.");

    // ---- Documents, counters, logs --------------------------------------------------

    public Task<string?> GetAsync(string key) => RedisOutages.Guard(async () => (string?)await _db.StringGetAsync(key));

    public Task SetAsync(string key, string value, TimeSpan? ttl = null) =>
        RedisOutages.Guard(() => _db.StringSetAsync(key, value, ttl, When.Always));

    public Task<bool> SetIfAbsentAsync(string key, string value, TimeSpan? ttl = null) =>
        RedisOutages.Guard(() => _db.StringSetAsync(key, value, ttl, When.NotExists));

    public Task<IReadOnlyList<string?>> GetManyAsync(IReadOnlyList<string> keys) => keys.Count == 0
        ? Task.FromResult<IReadOnlyList<string?>>([])
        : RedisOutages.Guard(async () =>
        {
            var values = await _db.StringGetAsync(keys.Select(k => (RedisKey)k).ToArray());
            return (IReadOnlyList<string?>)values.Select(v => (string?)v).ToArray();
        });

    public Task SetManyAsync(IReadOnlyList<KeyValuePair<string, string>> values) => values.Count == 0
        ? Task.CompletedTask
        : RedisOutages.Guard(() => _db.StringSetAsync(values.Select(v => new KeyValuePair<RedisKey, RedisValue>(v.Key, v.Value)).ToArray()));

    public Task<bool> DeleteAsync(string key) => RedisOutages.Guard(() => _db.KeyDeleteAsync(key));

    public Task<bool> RenewLeaseAsync(string key, string owner, TimeSpan ttl) => RedisOutages.Guard(async () =>
        (long)await _db.ScriptEvaluateAsync(RenewLeaseScript, [key], [owner, (long)ttl.TotalMilliseconds]) == 1);

    public Task<bool> ReleaseLeaseAsync(string key, string owner) => RedisOutages.Guard(async () =>
        (long)await _db.ScriptEvaluateAsync(ReleaseLeaseScript, [key], [owner]) == 1);

    public Task AddToIndexAsync(string indexKey, params IReadOnlyList<string> members) => members.Count == 0
        ? Task.CompletedTask
        : RedisOutages.Guard(() => _db.SetAddAsync(indexKey, members.Select(m => (RedisValue)m).ToArray()));

    public Task RemoveFromIndexAsync(string indexKey, string member) => RedisOutages.Guard(() => _db.SetRemoveAsync(indexKey, member));

    public Task<IReadOnlyList<string>> ListIndexAsync(string indexKey) => RedisOutages.Guard(async () =>
        (IReadOnlyList<string>)(await _db.SetMembersAsync(indexKey)).Select(m => (string)m!).Order(StringComparer.Ordinal).ToList());

    /// <summary>
    /// SCAN on every master: on a cluster each holds only its slots' keys, and even one shop's keys (one
    /// hash tag) can sit on two masters while their slot is being moved. A master that cannot be reached
    /// fails the listing: an uninstall must not forget only part of a shop.
    /// </summary>
    public Task<IReadOnlyList<string>> ListKeysAsync(string prefix) => RedisOutages.Guard(async () =>
    {
        var keys = new HashSet<string>(StringComparer.Ordinal);
        var pattern = GlobEscape(prefix) + "*";
        foreach (var server in _redis.GetServers().Where(s => !s.IsReplica))
        {
            if (!server.IsConnected) throw new StoreUnavailableException($"Redis at {server.EndPoint} is not connected; its keys cannot be listed.");
            await foreach (var key in server.KeysAsync(_db.Database, pattern, pageSize: 1000))
                keys.Add(key!);
        }
        return (IReadOnlyList<string>)keys.Order(StringComparer.Ordinal).ToList();
    });

    private static string GlobEscape(string value)
    {
        var sb = new System.Text.StringBuilder(value.Length + 8);
        foreach (var c in value)
        {
            if (c is '*' or '?' or '[' or ']' or '\\') sb.Append('\\');
            sb.Append(c);
        }
        return sb.ToString();
    }

    public Task<long> IncrementAsync(string key, long by = 1, TimeSpan? ttl = null) => RedisOutages.Guard(async () =>
        (long)await _db.ScriptEvaluateAsync(IncrementScript, [key], [by, (long)(ttl?.TotalMilliseconds ?? 0)]));

    public Task AppendLogAsync(string key, string entry, int maxLength, TimeSpan ttl) => RedisOutages.Guard(() =>
        _db.ScriptEvaluateAsync(AppendLogScript, [key], [entry, maxLength, (long)ttl.TotalMilliseconds]));

    public Task<IReadOnlyList<string>> ReadLogAsync(string key, int count) => RedisOutages.Guard(async () =>
        (IReadOnlyList<string>)(await _db.ListRangeAsync(key, 0, count - 1)).Select(v => (string)v!).ToList());

    public Task<TimeSpan> ReserveSlotAsync(string bucketKey, double perSecond, int burst, DateTimeOffset now) => RedisOutages.Guard(async () =>
    {
        var interval = 1000.0 / perSecond;
        var ttlMs = (long)(interval * burst) + 60_000;
        var wait = (string)(await _db.ScriptEvaluateAsync(ReserveScript, [bucketKey],
            [now.ToUnixTimeMilliseconds(), interval.ToString("R", CultureInfo.InvariantCulture), burst, ttlMs]))!;
        return TimeSpan.FromMilliseconds(double.Parse(wait, CultureInfo.InvariantCulture));
    });

    public Task RaiseSlotLevelAsync(string bucketKey, double perSecond, double level, DateTimeOffset now)
    {
        var floor = Gcra.Raise(null, perSecond, level, now);
        var ttlMs = (long)(level * 1000.0 / perSecond) + 60_000;
        return RedisOutages.Guard(() =>
            _db.ScriptEvaluateAsync(RaiseScript, [bucketKey], [floor.ToString("R", CultureInfo.InvariantCulture), ttlMs]));
    }
}

/// <summary>A delayed retry as its sorted-set member; all strings so Lua's cjson keeps numbers exact.</summary>
internal sealed record RetryEntry(string n, string s, string e, string k, string t, string b, string a, string q);

[System.Text.Json.Serialization.JsonSerializable(typeof(RetryEntry))]
internal sealed partial class StoreJson : System.Text.Json.Serialization.JsonSerializerContext;

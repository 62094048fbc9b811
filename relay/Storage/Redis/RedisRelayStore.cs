using System.Globalization;
using System.Text;
using System.Text.Json;
using Relay.Pipeline;
using StackExchange.Redis;

namespace Relay.Storage.Redis;

/// <summary>
/// The store on Redis. Queues are streams read through one consumer group, so several relay
/// processes split the work; delayed retries are a sorted set per partition; dead letters a stream
/// per shop. Every step that must not be torn in half by a crash is one Lua script over keys that
/// share a hash tag. StackExchange.Redis 1.2.6 predates the stream API, hence ExecuteAsync.
/// </summary>
public sealed class RedisRelayStore : IRelayStore, IDisposable
{
    // Stream entry fields: s shop key, e event id, k kind, t accepted-at (Unix ms), b raw body,
    // a attempt. The body goes in as it came, so the hot path encodes nothing. Accepts are written by
    // RedisAcceptBatches on a connection of their own; everything else uses the multiplexer.
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
          redis.call('XADD', KEYS[2], '*', 's', m.s, 'e', m.e, 'k', m.k, 't', m.t, 'b', m.b, 'a', m.a)
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

    private readonly ConnectionMultiplexer _redis;
    private readonly IDatabase _db;
    private readonly int _partitions;
    private readonly ILogger _logger;
    private readonly HashSet<int> _groupsReady = [];
    private readonly RedisAcceptBatches _accepts;

    public RedisRelayStore(string configuration, int partitions, ILogger logger)
    {
        var options = ConfigurationOptions.Parse(configuration);
        // Start even when Redis is down: readiness reports it and the multiplexer reconnects by itself.
        options.AbortOnConnectFail = false;
        _redis = ConnectionMultiplexer.Connect(options);
        // 1.x completes every awaited command in order on one worker by default, which serialises all
        // request continuations of the process behind each other; nothing here depends on that order
        // (each call awaits its own answer), so let them complete on the thread pool.
        _redis.PreserveAsyncOrder = false;
        _db = _redis.GetDatabase();
        _partitions = partitions;
        _accepts = new RedisAcceptBatches(options, partitions);
        _logger = logger;
    }

    public void Dispose()
    {
        _accepts.Dispose();
        _redis.Dispose();
    }

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

    public Task<bool> AcceptAsync(InboxEvent evt, TimeSpan dedupTtl) => _accepts.AcceptAsync(evt, dedupTtl);

    public async Task<IReadOnlyList<QueueItem>> ReadAsync(int partition, string consumer, int count)
    {
        await EnsureGroupAsync(partition);
        RedisResult result;
        try
        {
            result = await _db.ExecuteAsync("XREADGROUP", "GROUP", StoreKeys.ConsumerGroup, consumer, "COUNT", count, "STREAMS", StoreKeys.Stream(partition), ">");
        }
        catch (RedisServerException e) when (e.Message.StartsWith("NOGROUP", StringComparison.Ordinal))
        {
            // Redis lost the group (restart without persistence, FLUSHALL): recreate and read next time.
            lock (_groupsReady) _groupsReady.Remove(partition);
            return [];
        }
        if (result.IsNull) return [];
        var streams = (RedisResult[])result!;
        if (streams.Length == 0) return [];
        var entries = (RedisResult[])((RedisResult[])streams[0]!)[1]!;
        return ParseEntries(partition, entries);
    }

    public async Task<IReadOnlyList<QueueItem>> ClaimStaleAsync(int partition, string consumer, TimeSpan minIdle, int count)
    {
        await EnsureGroupAsync(partition);
        var result = (RedisResult[])(await _db.ExecuteAsync("XAUTOCLAIM", StoreKeys.Stream(partition), StoreKeys.ConsumerGroup, consumer,
            (long)minIdle.TotalMilliseconds, "0-0", "COUNT", count))!;
        return ParseEntries(partition, (RedisResult[])result[1]!);
    }

    private static List<QueueItem> ParseEntries(int partition, RedisResult[] entries)
    {
        var items = new List<QueueItem>(entries.Length);
        foreach (var raw in entries)
        {
            if (raw.IsNull) continue;
            var entry = (RedisResult[])raw!;
            if (entry.Length < 2 || entry[1].IsNull) continue; // deleted while pending (Redis 6.2)
            var id = (string)entry[0]!;
            var fields = Fields((RedisResult[])entry[1]!);
            items.Add(new QueueItem(partition, id, EventOf(fields), int.Parse(fields["a"], CultureInfo.InvariantCulture)));
        }
        return items;
    }

    private static Dictionary<string, string> Fields(RedisResult[] flat)
    {
        var map = new Dictionary<string, string>(8);
        for (var i = 0; i + 1 < flat.Length; i += 2) map[(string)flat[i]!] = (string)flat[i + 1]!;
        return map;
    }

    private static InboxEvent EventOf(Dictionary<string, string> f) =>
        new(f["s"], f["e"], f["k"], f["b"], DateTimeOffset.FromUnixTimeMilliseconds(long.Parse(f["t"], CultureInfo.InvariantCulture)));

    private static object[] EventFields(InboxEvent evt) =>
        ["s", evt.ShopKey, "e", evt.EventId, "k", evt.Kind, "t", evt.AcceptedAt.ToUnixTimeMilliseconds(), "b", evt.Body];

    private async Task EnsureGroupAsync(int partition)
    {
        lock (_groupsReady)
            if (_groupsReady.Contains(partition)) return;
        try
        {
            // From id 0, not $: entries accepted before the first worker started are still read.
            await _db.ExecuteAsync("XGROUP", "CREATE", StoreKeys.Stream(partition), StoreKeys.ConsumerGroup, "0", "MKSTREAM");
        }
        catch (RedisServerException e) when (e.Message.StartsWith("BUSYGROUP", StringComparison.Ordinal))
        {
        }
        lock (_groupsReady) _groupsReady.Add(partition);
    }

    public Task AckAsync(QueueItem item) =>
        _db.ScriptEvaluateAsync(AckScript, [StoreKeys.Stream(item.Partition)], [StoreKeys.ConsumerGroup, item.EntryId]);

    public Task ScheduleRetryAsync(QueueItem item, DateTimeOffset dueAt, string error) =>
        _db.ScriptEvaluateAsync(RetryScript, [StoreKeys.Stream(item.Partition), StoreKeys.Retry(item.Partition)],
            [StoreKeys.ConsumerGroup, item.EntryId, dueAt.ToUnixTimeMilliseconds(), RetryMember(item)]);

    /// <summary>The entry id makes the member unique: the same event failing twice is two retries, not one.</summary>
    private static string RetryMember(QueueItem item) => JsonSerializer.Serialize(new RetryEntry(
        item.EntryId, item.Event.ShopKey, item.Event.EventId, item.Event.Kind,
        item.Event.AcceptedAt.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture), item.Event.Body,
        (item.Attempt + 1).ToString(CultureInfo.InvariantCulture)), StoreJson.Default.RetryEntry);

    public async Task<int> PromoteDueRetriesAsync(int partition, DateTimeOffset now, int max)
    {
        var moved = await _db.ScriptEvaluateAsync(PromoteScript, [StoreKeys.Retry(partition), StoreKeys.Stream(partition)],
            [now.ToUnixTimeMilliseconds(), max]);
        return (int)(long)moved;
    }

    public async Task DeadLetterAsync(QueueItem item, string error, DateTimeOffset at)
    {
        // Two slots (partition, shop), so two steps: write the dead letter first. A crash between
        // leaves the entry pending; it is reclaimed, fails again and may be dead-lettered twice,
        // which is visible and harmless, whereas the other order could lose it.
        await _db.ExecuteAsync("XADD", [StoreKeys.DeadLetters(item.Event.ShopKey), "*", .. EventFields(item.Event),
            "a", item.Attempt + 1, "err", error, "at", at.ToUnixTimeMilliseconds()]);
        await AckAsync(item);
    }

    public async Task<IReadOnlyList<DeadLetter>> ListDeadLettersAsync(string shopKey, int max)
    {
        var entries = (RedisResult[])(await _db.ExecuteAsync("XREVRANGE", StoreKeys.DeadLetters(shopKey), "+", "-", "COUNT", max))!;
        return entries.Select(e => ParseDeadLetter((RedisResult[])e!)).ToList();
    }

    private static DeadLetter ParseDeadLetter(RedisResult[] entry)
    {
        var map = Fields((RedisResult[])entry[1]!);
        return new DeadLetter((string)entry[0]!, EventOf(map), int.Parse(map["a"], CultureInfo.InvariantCulture), map["err"],
            DateTimeOffset.FromUnixTimeMilliseconds(long.Parse(map["at"], CultureInfo.InvariantCulture)));
    }

    public async Task<bool> ReplayDeadLetterAsync(string shopKey, string deadLetterId)
    {
        var key = StoreKeys.DeadLetters(shopKey);
        RedisResult[] entries;
        try
        {
            entries = (RedisResult[])(await _db.ExecuteAsync("XRANGE", key, deadLetterId, deadLetterId))!;
        }
        catch (RedisServerException)
        {
            return false; // not a stream id at all
        }
        if (entries.Length == 0) return false;
        var letter = ParseDeadLetter((RedisResult[])entries[0]!);
        var partition = StoreKeys.PartitionOf(shopKey, _partitions);
        // Enqueue before deleting: a crash between replays twice rather than never.
        await _db.ExecuteAsync("XADD", [StoreKeys.Stream(partition), "*", .. EventFields(letter.Event), "a", 0]);
        await _db.ExecuteAsync("XDEL", key, deadLetterId);
        return true;
    }

    public async Task<QueueDepth> GetDepthAsync(int partition)
    {
        await EnsureGroupAsync(partition);
        var stream = StoreKeys.Stream(partition);
        var length = (long)await _db.ExecuteAsync("XLEN", stream);
        var summary = (RedisResult[])(await _db.ExecuteAsync("XPENDING", stream, StoreKeys.ConsumerGroup))!;
        var pending = (long)summary[0];
        var retrying = await _db.SortedSetLengthAsync(StoreKeys.Retry(partition));
        return new QueueDepth(length - pending, pending, retrying);
    }

    public async Task<int> PurgeShopAsync(string shopKey, int partitions)
    {
        var removed = 0;
        for (var p = 0; p < partitions; p++)
        {
            var stream = StoreKeys.Stream(p);
            var start = "-";
            while (true)
            {
                var entries = (RedisResult[])(await _db.ExecuteAsync("XRANGE", stream, start, "+", "COUNT", 500))!;
                if (entries.Length == 0) break;
                foreach (var raw in entries)
                {
                    var entry = (RedisResult[])raw!;
                    var id = (string)entry[0]!;
                    var fields = (RedisResult[])entry[1]!;
                    if (fields.Length >= 2 && (string)fields[0]! == "s" && (string)fields[1]! == shopKey)
                    {
                        await _db.ScriptEvaluateAsync(AckScript, [stream], [StoreKeys.ConsumerGroup, id]);
                        removed++;
                    }
                    start = "(" + id;
                }
            }
            foreach (var member in await _db.SortedSetRangeByRankAsync(StoreKeys.Retry(p)))
            {
                var retry = JsonSerializer.Deserialize((string)member!, StoreJson.Default.RetryEntry);
                if (retry?.s == shopKey && await _db.SortedSetRemoveAsync(StoreKeys.Retry(p), member))
                    removed++;
            }
        }
        var dead = (long)await _db.ExecuteAsync("XLEN", StoreKeys.DeadLetters(shopKey));
        await _db.KeyDeleteAsync(StoreKeys.DeadLetters(shopKey));
        return removed + (int)dead;
    }

    // ---- Documents, counters, logs --------------------------------------------------

    public async Task<string?> GetAsync(string key) => await _db.StringGetAsync(key);

    public Task SetAsync(string key, string value, TimeSpan? ttl = null) => _db.StringSetAsync(key, value, ttl);

    public Task<bool> SetIfAbsentAsync(string key, string value, TimeSpan? ttl = null) =>
        _db.StringSetAsync(key, value, ttl, When.NotExists);

    public async Task<IReadOnlyList<string?>> GetManyAsync(IReadOnlyList<string> keys)
    {
        if (keys.Count == 0) return [];
        var values = await _db.StringGetAsync(keys.Select(k => (RedisKey)k).ToArray());
        return values.Select(v => (string?)v).ToArray();
    }

    public Task SetManyAsync(IReadOnlyList<KeyValuePair<string, string>> values) =>
        values.Count == 0
            ? Task.CompletedTask
            : _db.StringSetAsync(values.Select(v => new KeyValuePair<RedisKey, RedisValue>(v.Key, v.Value)).ToArray());

    public Task<bool> DeleteAsync(string key) => _db.KeyDeleteAsync(key);

    public async Task<bool> RenewLeaseAsync(string key, string owner, TimeSpan ttl) =>
        (long)await _db.ScriptEvaluateAsync(RenewLeaseScript, [key], [owner, (long)ttl.TotalMilliseconds]) == 1;

    public async Task<bool> ReleaseLeaseAsync(string key, string owner) =>
        (long)await _db.ScriptEvaluateAsync(ReleaseLeaseScript, [key], [owner]) == 1;

    public Task AddToIndexAsync(string indexKey, params IReadOnlyList<string> members) =>
        members.Count == 0 ? Task.CompletedTask : _db.SetAddAsync(indexKey, members.Select(m => (RedisValue)m).ToArray());

    public Task RemoveFromIndexAsync(string indexKey, string member) => _db.SetRemoveAsync(indexKey, member);

    public async Task<IReadOnlyList<string>> ListIndexAsync(string indexKey) =>
        (await _db.SetMembersAsync(indexKey)).Select(m => (string)m!).Order(StringComparer.Ordinal).ToList();

    public async Task<IReadOnlyList<string>> ListKeysAsync(string prefix)
    {
        var keys = new HashSet<string>(StringComparer.Ordinal);
        var pattern = GlobEscape(prefix) + "*";
        var cursor = "0";
        do
        {
            var page = (RedisResult[])(await _db.ExecuteAsync("SCAN", cursor, "MATCH", pattern, "COUNT", 1000))!;
            cursor = (string)page[0]!;
            foreach (var k in (RedisResult[])page[1]!) keys.Add((string)k!);
        } while (cursor != "0");
        return keys.Order(StringComparer.Ordinal).ToList();
    }

    private static string GlobEscape(string value)
    {
        var sb = new StringBuilder(value.Length + 8);
        foreach (var c in value)
        {
            if (c is '*' or '?' or '[' or ']' or '\\') sb.Append('\\');
            sb.Append(c);
        }
        return sb.ToString();
    }

    public async Task<long> IncrementAsync(string key, long by = 1, TimeSpan? ttl = null) =>
        (long)await _db.ScriptEvaluateAsync(IncrementScript, [key], [by, (long)(ttl?.TotalMilliseconds ?? 0)]);

    public Task AppendLogAsync(string key, string entry, int maxLength, TimeSpan ttl) =>
        _db.ScriptEvaluateAsync(AppendLogScript, [key], [entry, maxLength, (long)ttl.TotalMilliseconds]);

    public async Task<IReadOnlyList<string>> ReadLogAsync(string key, int count) =>
        (await _db.ListRangeAsync(key, 0, count - 1)).Select(v => (string)v!).ToList();

    public async Task<TimeSpan> ReserveSlotAsync(string bucketKey, double perSecond, int burst, DateTimeOffset now)
    {
        var interval = 1000.0 / perSecond;
        var ttlMs = (long)(interval * burst) + 60_000;
        var wait = (string)(await _db.ScriptEvaluateAsync(ReserveScript, [bucketKey],
            [now.ToUnixTimeMilliseconds(), interval.ToString("R", CultureInfo.InvariantCulture), burst, ttlMs]))!;
        return TimeSpan.FromMilliseconds(double.Parse(wait, CultureInfo.InvariantCulture));
    }

    public Task RaiseSlotLevelAsync(string bucketKey, double perSecond, double level, DateTimeOffset now)
    {
        var floor = Gcra.Raise(null, perSecond, level, now);
        var ttlMs = (long)(level * 1000.0 / perSecond) + 60_000;
        return _db.ScriptEvaluateAsync(RaiseScript, [bucketKey], [floor.ToString("R", CultureInfo.InvariantCulture), ttlMs]);
    }
}

/// <summary>A delayed retry as its sorted-set member; all strings so Lua's cjson keeps numbers exact.</summary>
internal sealed record RetryEntry(string n, string s, string e, string k, string t, string b, string a);

[System.Text.Json.Serialization.JsonSerializable(typeof(RetryEntry))]
internal sealed partial class StoreJson : System.Text.Json.Serialization.JsonSerializerContext;

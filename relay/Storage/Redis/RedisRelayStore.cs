using Relay.Pipeline;

namespace Relay.Storage.Redis;

public sealed class RedisRelayStore(string configuration, int partitions, ILogger logger) : IRelayStore, IDisposable
{
    public void Dispose() { }
    public Task<bool> PingAsync(CancellationToken ct = default) => throw new NotImplementedException(configuration + partitions + logger);
    public Task<bool> AcceptAsync(InboxEvent evt, TimeSpan dedupTtl) => throw new NotImplementedException();
    public Task<IReadOnlyList<QueueItem>> ReadAsync(int partition, string consumer, int count) => throw new NotImplementedException();
    public Task<IReadOnlyList<QueueItem>> ClaimStaleAsync(int partition, string consumer, TimeSpan minIdle, int count) => throw new NotImplementedException();
    public Task AckAsync(QueueItem item) => throw new NotImplementedException();
    public Task ScheduleRetryAsync(QueueItem item, DateTimeOffset dueAt, string error) => throw new NotImplementedException();
    public Task<int> PromoteDueRetriesAsync(int partition, DateTimeOffset now, int max) => throw new NotImplementedException();
    public Task DeadLetterAsync(QueueItem item, string error, DateTimeOffset at) => throw new NotImplementedException();
    public Task<IReadOnlyList<DeadLetter>> ListDeadLettersAsync(string shopKey, int max) => throw new NotImplementedException();
    public Task<bool> ReplayDeadLetterAsync(string shopKey, string deadLetterId) => throw new NotImplementedException();
    public Task<QueueDepth> GetDepthAsync(int partition) => throw new NotImplementedException();
    public Task<int> PurgeShopAsync(string shopKey, int partitions) => throw new NotImplementedException();
    public Task<string?> GetAsync(string key) => throw new NotImplementedException();
    public Task SetAsync(string key, string value, TimeSpan? ttl = null) => throw new NotImplementedException();
    public Task<bool> SetIfAbsentAsync(string key, string value, TimeSpan? ttl = null) => throw new NotImplementedException();
    public Task<bool> DeleteAsync(string key) => throw new NotImplementedException();
    public Task<IReadOnlyList<string>> ListKeysAsync(string prefix) => throw new NotImplementedException();
    public Task<long> IncrementAsync(string key, long by = 1, TimeSpan? ttl = null) => throw new NotImplementedException();
    public Task AppendLogAsync(string key, string entry, int maxLength, TimeSpan ttl) => throw new NotImplementedException();
    public Task<IReadOnlyList<string>> ReadLogAsync(string key, int count) => throw new NotImplementedException();
    public Task<TimeSpan> ReserveSlotAsync(string bucketKey, double perSecond, int burst, DateTimeOffset now) => throw new NotImplementedException();
}

using Microsoft.Extensions.Options;
using Relay.Storage;

namespace Relay.Pipeline;

/// <summary>
/// Last write wins by the platform's delivery sequence, per shop and ordering key (one record, say).
/// The check sits where the target write happens, not at the inbox: the queue runs a shop's items in
/// parallel and retries failures later, so an older delivery accepted first can still reach the target
/// after a newer one; refusing it at the door would not stop that. The key is held while the write runs,
/// which makes "is this still the newest? then write" one step across workers and processes.
/// </summary>
public sealed class OrderedWrites(IRelayStore store, IOptions<PipelineOptions> options)
{
    /// <summary>
    /// Takes the turn for every key at once (in a fixed order), or none: when another delivery is writing one
    /// of them, the keys taken so far are let go and <see cref="OrderedWriteBusyException"/> sends the item
    /// back to the retry schedule.
    /// </summary>
    public async Task<OrderedTurn> BeginAsync(string shopKey, long sequence, IEnumerable<string> orderingKeys)
    {
        var o = options.Value;
        var owner = Guid.NewGuid().ToString("N");
        var turn = new OrderedTurn(store, shopKey, sequence, owner, o.DedupTtl);
        foreach (var key in orderingKeys.Distinct().Order(StringComparer.Ordinal))
        {
            // A holder that is alive gives up after half the visibility timeout (QueueWorker), so a hold this
            // long outlives every live writer and frees the key of one that died.
            switch (await store.BeginOrderedWriteAsync(StoreKey(shopKey, key), sequence, owner, o.VisibilityTimeout))
            {
                case OrderedWrite.Go:
                    turn.Current.Add(key);
                    break;
                case OrderedWrite.Stale:
                    turn.Outdated.Add(key);
                    break;
                default:
                    await turn.DisposeAsync();
                    throw new OrderedWriteBusyException(key);
            }
        }
        return turn;
    }

    internal static string StoreKey(string shopKey, string orderingKey) => StoreKeys.ShopItem(shopKey, "order:" + orderingKey);
}

/// <summary>
/// One delivery's turn: it may write the <see cref="Current"/> keys; a later delivery already wrote the
/// <see cref="Outdated"/> ones. <see cref="CompleteAsync"/> once written remembers its sequence (as long as
/// duplicates are remembered); disposing without it only lets the keys go, so a retry can write them.
/// </summary>
public sealed class OrderedTurn : IAsyncDisposable
{
    private readonly IRelayStore _store;
    private readonly string _shopKey;
    private readonly long _sequence;
    private readonly string _owner;
    private readonly TimeSpan _keep;
    private bool _ended;

    internal OrderedTurn(IRelayStore store, string shopKey, long sequence, string owner, TimeSpan keep)
    {
        _store = store;
        _shopKey = shopKey;
        _sequence = sequence;
        _owner = owner;
        _keep = keep;
    }

    public List<string> Current { get; } = [];
    public List<string> Outdated { get; } = [];

    public bool IsCurrent(string orderingKey) => Current.Contains(orderingKey);

    public Task CompleteAsync() => EndAsync(written: true);

    public async ValueTask DisposeAsync() => await EndAsync(written: false);

    private async Task EndAsync(bool written)
    {
        if (_ended) return;
        _ended = true;
        foreach (var key in Current)
            await _store.EndOrderedWriteAsync(OrderedWrites.StoreKey(_shopKey, key), _sequence, _owner, written, _keep);
    }
}

/// <summary>Another delivery is writing the same record right now; this one waits for its retry.</summary>
public sealed class OrderedWriteBusyException(string orderingKey)
    : Exception($"Another delivery of {orderingKey} is being written; this one follows on the retry schedule.");

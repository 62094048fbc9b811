using Relay.Mapping;
using Relay.Pipeline;
using Relay.Shops;
using Relay.Storage;
using Relay.Storage.Embedded;
using Relay.Storage.Redis;
using Relay.Sync;
using Relay.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;

namespace Relay.Tests.Storage;

/// <summary>
/// What every store must do, run against Redis and against the embedded store alike.
/// Time comes from a <see cref="ManualTimeProvider"/> wherever the store takes it from the caller;
/// Redis measures consumer idle time itself, so <see cref="LetTimePassAsync"/> really waits there.
/// </summary>
public abstract class StoreContract
{
    /// <summary>Three queue streams: on the test cluster their hash tags ({q0}, {q1}, {q2}) fall on all three masters.</summary>
    protected const int Partitions = 3;
    protected readonly ManualTimeProvider Time = new();
    protected abstract IRelayStore Store { get; }
    protected abstract Task LetTimePassAsync(TimeSpan span);

    protected static readonly TimeSpan Ttl = TimeSpan.FromDays(7);

    protected InboxEvent Event(string shop = "shopware:s1", string id = "e1", string kind = "test", string body = "{}") =>
        new(shop, id, kind, body, Time.GetUtcNow());

    protected async Task<List<QueueItem>> ReadAllAsync(string consumer = "c1")
    {
        var items = new List<QueueItem>();
        for (var p = 0; p < Partitions; p++) items.AddRange(await Store.ReadAsync(p, consumer, 1000));
        return items;
    }

    [Fact]
    public async Task An_accepted_event_is_read_back_whole()
    {
        var body = new string('x', 2048) + "\"ü€\"";
        Assert.True(await Store.AcceptAsync(Event(body: body, kind: "shopware.webhook"), Ttl));

        var item = Assert.Single(await ReadAllAsync());
        Assert.Equal("shopware:s1", item.Event.ShopKey);
        Assert.Equal("e1", item.Event.EventId);
        Assert.Equal("shopware.webhook", item.Event.Kind);
        Assert.Equal(body, item.Event.Body);
        Assert.Equal(Time.GetUtcNow(), item.Event.AcceptedAt);
        Assert.Equal(0, item.Attempt);
    }

    [Fact]
    public async Task The_same_event_accepted_twice_is_enqueued_once()
    {
        Assert.True(await Store.AcceptAsync(Event(), Ttl));
        Assert.False(await Store.AcceptAsync(Event(), Ttl));
        Assert.True(await Store.AcceptAsync(Event(shop: "shopware:s2"), Ttl)); // ids are per shop

        Assert.Equal(2, (await ReadAllAsync()).Count);
    }

    [Fact]
    public async Task A_hundred_concurrent_duplicates_enqueue_once()
    {
        var results = await Task.WhenAll(Enumerable.Range(0, 100).Select(_ => Task.Run(() => Store.AcceptAsync(Event(), Ttl))));

        Assert.Single(results, accepted => accepted);
        Assert.Single(await ReadAllAsync());
    }

    [Fact]
    public async Task Events_arriving_together_are_each_answered_for_themselves()
    {
        // Many shops, each event offered three times at once: however a store groups concurrent
        // accepts, each offer learns whether it was its own event that got stored.
        var offers = Enumerable.Range(0, 300).Select(i => Event(shop: $"shopware:s{i % 7}", id: $"e{i / 3}", body: $"{{\"n\":{i / 3}}}")).ToArray();

        var results = await Task.WhenAll(offers.Select(e => Task.Run(() => Store.AcceptAsync(e, Ttl))));

        var storedPerEvent = offers.Zip(results).Where(x => x.Second).GroupBy(x => (x.First.ShopKey, x.First.EventId)).ToList();
        var distinct = offers.Select(e => (e.ShopKey, e.EventId)).Distinct().Count();
        Assert.Equal(distinct, storedPerEvent.Count);
        Assert.All(storedPerEvent, g => Assert.Single(g));
        var queued = await ReadAllAsync();
        Assert.Equal(distinct, queued.Count);
        Assert.Equal(queued.Count, queued.Select(q => (q.Event.ShopKey, q.Event.EventId)).Distinct().Count());
    }

    [Fact]
    public async Task Read_entries_are_not_read_again_and_acked_ones_leave_the_queue()
    {
        await Store.AcceptAsync(Event(id: "a"), Ttl);
        await Store.AcceptAsync(Event(id: "b"), Ttl);

        var items = await ReadAllAsync("c1");
        Assert.Equal(2, items.Count);
        Assert.Empty(await ReadAllAsync("c2"));

        foreach (var item in items) await Store.AckAsync(item);
        var depth = await Store.GetDepthAsync(StoreKeys.PartitionOf("shopware:s1", Partitions));
        Assert.Equal(new QueueDepth(0, 0, 0), depth);
    }

    [Fact]
    public async Task A_dead_consumers_entry_is_claimed_by_another_after_the_visibility_timeout()
    {
        await Store.AcceptAsync(Event(), Ttl);
        var taken = Assert.Single(await ReadAllAsync("dead-consumer"));

        Assert.Empty(await Store.ClaimStaleAsync(taken.Partition, "survivor", TimeSpan.FromSeconds(30), 10));
        await LetTimePassAsync(TimeSpan.FromMilliseconds(300));
        var claimed = Assert.Single(await Store.ClaimStaleAsync(taken.Partition, "survivor", TimeSpan.FromMilliseconds(200), 10));
        Assert.Equal(taken.EntryId, claimed.EntryId);
        Assert.Equal(taken.Event, claimed.Event);

        await Store.AckAsync(claimed);
        await LetTimePassAsync(TimeSpan.FromMilliseconds(300));
        Assert.Empty(await Store.ClaimStaleAsync(taken.Partition, "third", TimeSpan.FromMilliseconds(200), 10));
    }

    [Fact]
    public async Task A_retry_waits_until_due_and_comes_back_with_the_next_attempt_number()
    {
        await Store.AcceptAsync(Event(), Ttl);
        var item = Assert.Single(await ReadAllAsync());
        await Store.ScheduleRetryAsync(item, Time.GetUtcNow().AddMinutes(5), "boom");

        Assert.Equal(new QueueDepth(0, 0, 1), await Store.GetDepthAsync(item.Partition));
        Assert.Equal(0, await Store.PromoteDueRetriesAsync(item.Partition, Time.GetUtcNow().AddMinutes(4), 10));
        Assert.Equal(1, await Store.PromoteDueRetriesAsync(item.Partition, Time.GetUtcNow().AddMinutes(5), 10));

        var again = Assert.Single(await ReadAllAsync());
        Assert.Equal(1, again.Attempt);
        Assert.Equal(item.Event, again.Event);
    }

    [Fact]
    public async Task An_event_that_waits_comes_back_with_the_attempts_it_had()
    {
        await Store.AcceptAsync(Event(), Ttl);
        var item = Assert.Single(await ReadAllAsync()) with { Attempt = 2 };
        await Store.ScheduleRetryAsync(item, Time.GetUtcNow().AddMinutes(1), "paused", countsAsAttempt: false);

        Assert.Equal(1, await Store.PromoteDueRetriesAsync(item.Partition, Time.GetUtcNow().AddMinutes(1), 10));
        Assert.Equal(2, Assert.Single(await ReadAllAsync()).Attempt);
    }

    [Fact]
    public async Task A_retry_of_an_entry_already_acked_elsewhere_is_not_scheduled()
    {
        await Store.AcceptAsync(Event(), Ttl);
        var item = Assert.Single(await ReadAllAsync());
        await Store.AckAsync(item);

        await Store.ScheduleRetryAsync(item, Time.GetUtcNow(), "late failure");

        Assert.Equal(0, await Store.PromoteDueRetriesAsync(item.Partition, Time.GetUtcNow().AddDays(1), 10));
    }

    [Fact]
    public async Task Dead_letters_are_listed_per_shop_and_replayed_with_a_fresh_attempt_count()
    {
        await Store.AcceptAsync(Event(shop: "shopware:a", id: "1"), Ttl);
        await Store.AcceptAsync(Event(shop: "shoper:b", id: "2"), Ttl);
        foreach (var item in await ReadAllAsync())
            await Store.DeadLetterAsync(item with { Attempt = 3 }, "gave up: 503", Time.GetUtcNow());

        var dead = Assert.Single(await Store.ListDeadLettersAsync("shopware:a", 10));
        Assert.Equal("1", dead.Event.EventId);
        Assert.Equal("gave up: 503", dead.Error);
        Assert.Equal(4, dead.Attempts);
        Assert.Equal(Time.GetUtcNow(), dead.DeadAt);
        Assert.Empty(await ReadAllAsync());

        Assert.True(await Store.ReplayDeadLetterAsync("shopware:a", dead.Id));
        Assert.False(await Store.ReplayDeadLetterAsync("shopware:a", dead.Id));
        Assert.False(await Store.ReplayDeadLetterAsync("shopware:a", "not-an-id"));
        Assert.Empty(await Store.ListDeadLettersAsync("shopware:a", 10));
        Assert.Single(await Store.ListDeadLettersAsync("shoper:b", 10));

        var replayed = Assert.Single(await ReadAllAsync());
        Assert.Equal("1", replayed.Event.EventId);
        Assert.Equal(0, replayed.Attempt);
    }

    [Fact]
    public async Task Purging_a_shop_removes_its_queued_retrying_and_dead_work_only()
    {
        await Store.AcceptAsync(Event(shop: "shopware:gone", id: "1"), Ttl);
        await Store.AcceptAsync(Event(shop: "shopware:gone", id: "2"), Ttl);
        await Store.AcceptAsync(Event(shop: "shopware:gone", id: "3"), Ttl);
        await Store.AcceptAsync(Event(shop: "shopware:stays", id: "1"), Ttl);
        var read = (await ReadAllAsync()).Where(i => i.Event.ShopKey == "shopware:gone").Take(2).ToList();
        await Store.ScheduleRetryAsync(read[0], Time.GetUtcNow(), "x");
        await Store.DeadLetterAsync(read[1], "x", Time.GetUtcNow());

        Assert.Equal(3, await Store.PurgeShopAsync("shopware:gone", Partitions));

        Assert.Empty(await Store.ListDeadLettersAsync("shopware:gone", 10));
        long waiting = 0, pending = 0, retrying = 0;
        for (var p = 0; p < Partitions; p++)
        {
            var depth = await Store.GetDepthAsync(p);
            (waiting, pending, retrying) = (waiting + depth.Waiting, pending + depth.Pending, retrying + depth.Retrying);
        }
        Assert.Equal((0L, 1L, 0L), (waiting, pending, retrying)); // the other shop's entry, read above and not acked
    }

    [Fact]
    public async Task An_index_lists_its_members_once_each_in_order_until_they_are_removed()
    {
        await Store.AddToIndexAsync("relay:shop-index", "shoper:b");
        await Store.AddToIndexAsync("relay:shop-index", "shopware:a");
        await Store.AddToIndexAsync("relay:shop-index", "shoper:b");

        Assert.Equal(["shoper:b", "shopware:a"], await Store.ListIndexAsync("relay:shop-index"));

        await Store.RemoveFromIndexAsync("relay:shop-index", "shoper:b");
        Assert.Equal(["shopware:a"], await Store.ListIndexAsync("relay:shop-index"));
        Assert.Empty(await Store.ListIndexAsync("relay:other-index"));
    }

    [Fact]
    public async Task Several_members_join_an_index_in_one_step()
    {
        await Store.AddToIndexAsync("relay:some-index", ["c", "a", "b", "a"]);
        await Store.AddToIndexAsync("relay:some-index", []);

        Assert.Equal(["a", "b", "c"], await Store.ListIndexAsync("relay:some-index"));
    }

    [Fact]
    public async Task The_ledger_lists_linked_shop_records_from_its_index_and_takes_in_links_written_the_old_way_once()
    {
        var ledger = new ContactLedger(Store);
        var scope = new LedgerScope("shopware:a", "t1");
        ShopRecord Subscriber(string id) => new() { Kind = ShopRecordKind.Subscriber, Id = id };
        await ledger.SaveManyAsync(scope, [
            (new ContactEntry { Key = "ann@example.com", Email = "ann@example.com" }, Subscriber("r1")),
            (new ContactEntry { Key = "bob@example.com", Email = "bob@example.com" }, Subscriber("r2")),
            (new ContactEntry { Key = "cy@example.com", Email = "cy@example.com" }, new() { Kind = ShopRecordKind.Customer, Id = "c1" }),
        ]);
        // A link saved by a relay from before the index: only its key.
        await Store.SetAsync(scope.Item("contact-record:Subscriber:" + ContactLedger.RecordHash("r0")), "old@example.com");

        var listed = await ledger.ListRecordsAsync(scope, ShopRecordKind.Subscriber);
        Assert.Equal(
            new[] { ("r0", "old@example.com"), ("r1", "ann@example.com"), ("r2", "bob@example.com") }
                .Select(r => (ContactLedger.RecordHash(r.Item1), r.Item2)).OrderBy(r => r.Item1, StringComparer.Ordinal),
            listed.OrderBy(r => r.RecordHash, StringComparer.Ordinal));

        await ledger.ForgetRecordAsync(scope, ShopRecordKind.Subscriber, ContactLedger.RecordHash("r1"));
        Assert.Equal(["bob@example.com", "old@example.com"],
            (await ledger.ListRecordsAsync(scope, ShopRecordKind.Subscriber)).Select(r => r.Key).Order(StringComparer.Ordinal));
        Assert.Null(await ledger.FindByRecordAsync(scope, ShopRecordKind.Subscriber, "r1"));
        Assert.Equal("bob@example.com", (await ledger.FindByRecordAsync(scope, ShopRecordKind.Subscriber, "r2"))?.Key);
        Assert.Equal(["cy@example.com"], (await ledger.ListRecordsAsync(scope, ShopRecordKind.Customer)).Select(r => r.Key));
    }

    [Fact]
    public async Task Noting_a_shops_last_event_never_writes_back_its_record()
    {
        var directory = new ShopDirectory(Store);
        var now = Time.GetUtcNow();
        var shop = new ShopInfo("shopware", "s1", "https://a.example", ShopStatus.Active, now, now);
        await directory.SaveAsync(shop);

        // A worker notes an event while the app is being deactivated: the status change stays.
        await directory.NoteEventAsync(shop.Key, now.AddSeconds(5));
        await directory.SaveAsync(shop with { Status = ShopStatus.Inactive });
        Assert.Equal((ShopStatus.Inactive, now.AddSeconds(5)), await directory.GetAsync(shop.Key) is { } read ? (read.Status, read.LastEventAt) : default);

        // ... or while it is being uninstalled: the shop does not come back.
        await directory.ForgetAsync(shop.Key, Partitions);
        await directory.NoteEventAsync(shop.Key, now.AddSeconds(6));
        Assert.Null(await directory.GetAsync(shop.Key));
        Assert.Empty(await directory.ListAsync());
    }

    [Fact]
    public async Task The_shop_list_comes_from_the_index_and_takes_in_shops_listed_the_old_way_once()
    {
        var directory = new ShopDirectory(Store);
        var now = Time.GetUtcNow();
        await directory.SaveAsync(new ShopInfo("shopware", "new1", "https://a.example", ShopStatus.Active, now, now));
        // A shop saved by a relay from before the index: its info plus a key under relay:shops:.
        var old = new ShopInfo("shoper", "old1", "https://b.example", ShopStatus.Active, now, now);
        await Store.SetAsync(StoreKeys.ShopItem(old.Key, "info"), System.Text.Json.JsonSerializer.Serialize(old, JsonDefaults.Options));
        await Store.SetAsync("relay:shops:" + old.Key, "shoper");

        Assert.Equal(["shoper:old1", "shopware:new1"], (await directory.ListAsync()).Select(s => s.Key));
        Assert.Empty(await Store.ListKeysAsync("relay:shops:"));
        Assert.Equal(["shoper:old1", "shopware:new1"], await Store.ListIndexAsync("relay:shop-index"));

        await directory.ForgetAsync("shoper:old1", Partitions);
        Assert.Equal(["shopware:new1"], (await new ShopDirectory(Store).ListAsync()).Select(s => s.Key));
    }

    [Fact]
    public async Task Documents_can_be_set_once_listed_by_prefix_and_expire()
    {
        Assert.Null(await Store.GetAsync("relay:{shopware:s1}:config"));
        await Store.SetAsync("relay:{shopware:s1}:config", "{\"a\":1}");
        Assert.True(await Store.SetIfAbsentAsync("relay:{shopware:s1}:lock", "me", TimeSpan.FromMinutes(1)));
        Assert.False(await Store.SetIfAbsentAsync("relay:{shopware:s1}:lock", "you", TimeSpan.FromMinutes(1)));
        await Store.SetAsync("relay:{shopware:s2}:config", "other");

        Assert.Equal("{\"a\":1}", await Store.GetAsync("relay:{shopware:s1}:config"));
        Assert.Equal(["relay:{shopware:s1}:config", "relay:{shopware:s1}:lock"], await Store.ListKeysAsync("relay:{shopware:s1}:"));

        Assert.True(await Store.DeleteAsync("relay:{shopware:s1}:config"));
        Assert.False(await Store.DeleteAsync("relay:{shopware:s1}:config"));
    }

    [Fact]
    public async Task A_platforms_delivery_sequence_travels_with_its_event_through_retry_dead_letter_and_replay()
    {
        const long sequence = 9_007_199_254_740_993; // above 2^53: no step may pass it through a double
        Assert.True(await Store.AcceptAsync(Event(shop: "shopware:q") with { Sequence = sequence }, Ttl));
        Assert.True(await Store.AcceptAsync(Event(shop: "shopware:q", id: "legacy"), Ttl));

        var items = await ReadAllAsync();
        Assert.Equal([sequence, null], items.Select(i => i.Event.Sequence));
        await Store.ScheduleRetryAsync(items[0], Time.GetUtcNow(), "503");
        await Store.ScheduleRetryAsync(items[1], Time.GetUtcNow(), "503");
        Assert.Equal(2, await Store.PromoteDueRetriesAsync(items[0].Partition, Time.GetUtcNow(), 10));
        var retried = await ReadAllAsync();
        Assert.Equal([sequence, null], retried.Select(i => i.Event.Sequence));

        await Store.DeadLetterAsync(retried[0], "gave up", Time.GetUtcNow());
        var dead = Assert.Single(await Store.ListDeadLettersAsync("shopware:q", 10));
        Assert.Equal(sequence, dead.Event.Sequence);
        Assert.True(await Store.ReplayDeadLetterAsync("shopware:q", dead.Id));
        Assert.Equal(sequence, Assert.Single(await ReadAllAsync()).Event.Sequence);
    }

    [Fact]
    public async Task Ordered_writes_keep_the_highest_sequence_and_one_writer_at_a_time()
    {
        const string key = "relay:{shopware:s1}:order:customer:c1";
        var hold = TimeSpan.FromMinutes(1);

        Assert.Equal(OrderedWrite.Go, await Store.BeginOrderedWriteAsync(key, 9_007_199_254_740_992, "a", hold));
        // While "a" writes, a newer delivery waits its turn; "a" itself may begin again (a retry of the same work).
        Assert.Equal(OrderedWrite.Busy, await Store.BeginOrderedWriteAsync(key, 9_007_199_254_740_993, "b", hold));
        Assert.Equal(OrderedWrite.Go, await Store.BeginOrderedWriteAsync(key, 9_007_199_254_740_992, "a", hold));
        await Store.EndOrderedWriteAsync(key, 9_007_199_254_740_992, "a", written: true, Ttl);

        Assert.Equal(OrderedWrite.Stale, await Store.BeginOrderedWriteAsync(key, 9_007_199_254_740_992, "c", hold));
        Assert.Equal(OrderedWrite.Stale, await Store.BeginOrderedWriteAsync(key, 5, "c", hold));
        Assert.Equal(OrderedWrite.Go, await Store.BeginOrderedWriteAsync(key, 9_007_199_254_740_993, "b", hold));

        // Not written (it failed): only the hold goes, the last sequence written stays.
        await Store.EndOrderedWriteAsync(key, 9_007_199_254_740_993, "b", written: false, Ttl);
        Assert.Equal(OrderedWrite.Go, await Store.BeginOrderedWriteAsync(key, 9_007_199_254_740_993, "d", hold));
        // Someone else's end neither releases "d" nor lowers what was written.
        await Store.EndOrderedWriteAsync(key, 7, "x", written: true, Ttl);
        Assert.Equal(OrderedWrite.Busy, await Store.BeginOrderedWriteAsync(key, 9_007_199_254_740_994, "e", hold));
        Assert.Equal(OrderedWrite.Stale, await Store.BeginOrderedWriteAsync(key, 9_007_199_254_740_992, "e", hold));

        // Other records are not held up.
        Assert.Equal(OrderedWrite.Go, await Store.BeginOrderedWriteAsync("relay:{shopware:s1}:order:customer:c2", 1, "e", hold));
    }

    [Fact]
    public async Task An_ordered_write_whose_writer_died_is_free_once_its_hold_ran_out()
    {
        const string key = "relay:{shopware:s1}:order:newsletter_recipient:r1";
        Assert.Equal(OrderedWrite.Go, await Store.BeginOrderedWriteAsync(key, 3, "dead", TimeSpan.FromSeconds(1)));
        Assert.Equal(OrderedWrite.Busy, await Store.BeginOrderedWriteAsync(key, 4, "next", TimeSpan.FromMinutes(1)));

        await LetTimePassAsync(TimeSpan.FromSeconds(1.5));

        Assert.Equal(OrderedWrite.Go, await Store.BeginOrderedWriteAsync(key, 4, "next", TimeSpan.FromMinutes(1)));
        // The dead writer never wrote, so its own older sequence would still be current.
        await Store.EndOrderedWriteAsync(key, 4, "next", written: true, Ttl);
        Assert.Equal(OrderedWrite.Stale, await Store.BeginOrderedWriteAsync(key, 3, "dead", TimeSpan.FromMinutes(1)));
    }

    [Fact]
    public async Task A_lease_is_renewed_and_released_only_by_its_holder()
    {
        const string lease = "relay:{shopware:s1}:fullsync:lease";
        // The first expiry is far off, so no step below races it on a slow machine; the renewal's short
        // one then shows that a renewal replaces the expiry.
        Assert.True(await Store.SetIfAbsentAsync(lease, "me", TimeSpan.FromMinutes(1)));

        Assert.False(await Store.RenewLeaseAsync(lease, "you", TimeSpan.FromMinutes(1)));
        Assert.False(await Store.ReleaseLeaseAsync(lease, "you"));
        Assert.True(await Store.RenewLeaseAsync(lease, "me", TimeSpan.FromMinutes(1)));
        Assert.Equal("me", await Store.GetAsync(lease));
        Assert.True(await Store.RenewLeaseAsync(lease, "me", TimeSpan.FromSeconds(1)));
        await LetTimePassAsync(TimeSpan.FromSeconds(1.5));
        Assert.Null(await Store.GetAsync(lease));
        Assert.True(await Store.SetIfAbsentAsync(lease, "me", TimeSpan.FromMinutes(1)));

        Assert.True(await Store.ReleaseLeaseAsync(lease, "me"));
        Assert.Null(await Store.GetAsync(lease));
        Assert.False(await Store.ReleaseLeaseAsync(lease, "me"));
        Assert.False(await Store.RenewLeaseAsync(lease, "me", TimeSpan.FromMinutes(1)));
        Assert.Null(await Store.GetAsync(lease));
    }

    [Fact]
    public async Task A_lease_that_ran_out_and_was_taken_over_stays_with_its_new_holder()
    {
        const string lease = "relay:{shopware:s1}:pullback:lock";
        Assert.True(await Store.SetIfAbsentAsync(lease, "first", TimeSpan.FromSeconds(1)));
        await LetTimePassAsync(TimeSpan.FromSeconds(1.5));
        Assert.True(await Store.SetIfAbsentAsync(lease, "second", TimeSpan.FromMinutes(1)));

        Assert.False(await Store.RenewLeaseAsync(lease, "first", TimeSpan.FromMinutes(1)));
        Assert.False(await Store.ReleaseLeaseAsync(lease, "first"));
        Assert.Equal("second", await Store.GetAsync(lease));
    }

    [Fact]
    public async Task Documents_are_read_and_written_many_at_a_time()
    {
        await Store.SetAsync("relay:{shopware:s1}:b", "old", TimeSpan.FromMinutes(1));
        await Store.SetManyAsync([new("relay:{shopware:s1}:a", "1"), new("relay:{shopware:s1}:b", "2"), new("relay:{shopware:s1}:a", "3")]);

        Assert.Equal(["3", "2", null, "3"], await Store.GetManyAsync(["relay:{shopware:s1}:a", "relay:{shopware:s1}:b", "relay:{shopware:s1}:c", "relay:{shopware:s1}:a"]));
        Assert.Empty(await Store.GetManyAsync([]));
        await Store.SetManyAsync([]);
    }

    [Fact]
    public async Task A_document_set_many_at_a_time_loses_its_expiry()
    {
        await Store.SetAsync("relay:{shopware:s1}:a", "old", TimeSpan.FromSeconds(1));
        await Store.SetManyAsync([new("relay:{shopware:s1}:a", "new")]);
        await LetTimePassAsync(TimeSpan.FromSeconds(1.5));

        Assert.Equal(["new"], await Store.GetManyAsync(["relay:{shopware:s1}:a"]));
    }

    [Fact]
    public async Task Counters_increment_and_logs_keep_the_newest_entries()
    {
        Assert.Equal(1, await Store.IncrementAsync("relay:count", 1, TimeSpan.FromMinutes(1)));
        Assert.Equal(6, await Store.IncrementAsync("relay:count", 5, TimeSpan.FromMinutes(1)));

        for (var i = 1; i <= 5; i++) await Store.AppendLogAsync("relay:log", $"entry {i}", 3, TimeSpan.FromDays(1));
        Assert.Equal(["entry 5", "entry 4", "entry 3"], await Store.ReadLogAsync("relay:log", 10));
        Assert.Equal(["entry 5"], await Store.ReadLogAsync("relay:log", 1));
    }

    [Fact]
    public async Task Slots_are_spaced_by_the_rate_after_the_burst_and_shared_by_all_callers()
    {
        var now = Time.GetUtcNow();
        // 2 per second with a burst of 3: three go at once, then one every 500 ms.
        var waits = new List<TimeSpan>();
        for (var i = 0; i < 5; i++) waits.Add(await Store.ReserveSlotAsync("relay:bucket:shop", 2, 3, now));

        Assert.Equal([TimeSpan.Zero, TimeSpan.Zero, TimeSpan.Zero, TimeSpan.FromMilliseconds(500), TimeSpan.FromMilliseconds(1000)], waits);
        Assert.Equal(TimeSpan.Zero, await Store.ReserveSlotAsync("relay:bucket:other", 2, 3, now));
        Assert.Equal(TimeSpan.FromMilliseconds(500), await Store.ReserveSlotAsync("relay:bucket:shop", 2, 3, now.AddSeconds(1)));
    }

    [Fact]
    public async Task A_raised_level_moves_later_slots_back_and_a_lower_one_changes_nothing()
    {
        var now = Time.GetUtcNow();
        // 2 per second with a burst of 3. Reported to hold 4 now: the next slot is when it is down to 2.
        await Store.RaiseSlotLevelAsync("relay:bucket:shop", 2, 4, now);
        Assert.Equal(TimeSpan.FromMilliseconds(1000), await Store.ReserveSlotAsync("relay:bucket:shop", 2, 3, now));

        // Now 5 reserved; evidence of fewer (reservations not yet counted by the shop) is no evidence of room.
        await Store.RaiseSlotLevelAsync("relay:bucket:shop", 2, 1, now);
        Assert.Equal(TimeSpan.FromMilliseconds(1500), await Store.ReserveSlotAsync("relay:bucket:shop", 2, 3, now));
    }
}

public sealed class EmbeddedStoreContractTests : StoreContract
{
    public EmbeddedStoreContractTests() => Store = new EmbeddedRelayStore(Time, Partitions);

    protected override IRelayStore Store { get; }

    protected override Task LetTimePassAsync(TimeSpan span)
    {
        Time.Advance(span);
        return Task.CompletedTask;
    }
}

/// <summary>The contract on Redis, with what only a real Redis can show; run on one redis-server and on the cluster.</summary>
public abstract class RedisStoreContract : StoreContract, IAsyncLifetime
{
    private readonly ITestRedis _redis;
    private RedisRelayStore? _store;

    protected RedisStoreContract(ITestRedis redis) => _redis = redis;

    public async Task InitializeAsync() => _store = await _redis.EmptyStoreAsync(Partitions);

    public Task DisposeAsync()
    {
        _store?.Dispose();
        return Task.CompletedTask;
    }

    protected override IRelayStore Store => _store!;

    // Redis measures idle time on its own clock.
    protected override Task LetTimePassAsync(TimeSpan span) => Task.Delay(span);

    [Fact]
    public async Task Keys_under_a_prefix_are_listed_from_every_master()
    {
        var shops = Enumerable.Range(0, 30).Select(i => $"shopware:many{i}").ToList();
        await Task.WhenAll(shops.Select(shop => Store.SetAsync(StoreKeys.ShopItem(shop, "info"), "{}")));
        await Store.SetAsync("relay:{other}:info", "{}");

        Assert.Equal(shops.Select(shop => StoreKeys.ShopItem(shop, "info")).Order(StringComparer.Ordinal), await Store.ListKeysAsync("relay:{shopware:many"));
    }

    [Fact]
    public async Task Accepts_go_on_after_redis_forgot_its_scripts()
    {
        Assert.True(await Store.AcceptAsync(Event(id: "before"), Ttl));
        await using (var admin = await StackExchange.Redis.ConnectionMultiplexer.ConnectAsync(_redis.ConnectionString + ",allowAdmin=true"))
            foreach (var server in admin.GetServers())
                await server.ScriptFlushAsync();

        Assert.True(await Store.AcceptAsync(Event(id: "after"), Ttl));
        Assert.Equal(["before", "after"], (await ReadAllAsync()).Select(i => i.Event.EventId));
    }
}

public sealed class RedisStoreContractTests(RedisServer redis) : RedisStoreContract(redis), IClassFixture<RedisServer>
{
    [Fact]
    public async Task A_redis_that_never_answers_is_unavailable_not_an_error()
    {
        // Accepts the connection and then says nothing, like a server stuck loading or a dead proxy.
        using var silent = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        silent.Start();
        var port = ((System.Net.IPEndPoint)silent.LocalEndpoint).Port;
        using var store = new RedisRelayStore($"127.0.0.1:{port},connectTimeout=300,syncTimeout=300,asyncTimeout=300", Partitions, NullLogger.Instance);

        await Assert.ThrowsAsync<StoreUnavailableException>(() => store.AcceptAsync(Event(), Ttl));
        await Assert.ThrowsAsync<StoreUnavailableException>(() => store.GetAsync("relay:{shopware:s1}:info"));
        await Assert.ThrowsAsync<StoreUnavailableException>(() => store.ListKeysAsync("relay:"));
    }
}

[Collection(RedisCluster.Collection)]
public sealed class RedisClusterStoreContractTests(RedisCluster cluster) : RedisStoreContract(cluster);

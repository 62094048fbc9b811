namespace Relay.Storage;

/// <summary>
/// One unit of work accepted by the relay. <see cref="ShopKey"/> is "{platform}:{shopId}";
/// <see cref="EventId"/> is what dedup keys on (the platform's own event id, or a hash of the delivery where it has none).
/// <see cref="Kind"/> routes it to a handler; <see cref="Body"/> is the raw payload. <see cref="Sequence"/> is the
/// platform's own delivery number where it numbers them (increasing per shop in the order things happened,
/// whatever order deliveries arrive in); null where it does not.
/// </summary>
public sealed record InboxEvent(string ShopKey, string EventId, string Kind, string Body, DateTimeOffset AcceptedAt, long? Sequence = null);

/// <summary>An event as a worker holds it: where it sits in the stream and how often it was tried.</summary>
public sealed record QueueItem(int Partition, string EntryId, InboxEvent Event, int Attempt);

public sealed record DeadLetter(string Id, InboxEvent Event, int Attempts, string Error, DateTimeOffset DeadAt);

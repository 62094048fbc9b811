using Relay.Mapping;

namespace Relay.Targets;

/// <summary>
/// One marketing/CRM account of one shop. Every write is an upsert keyed by the contact's
/// unique key (or e-mail where the target has no key), so at-least-once delivery is safe.
/// Failures are <see cref="TargetAuthException"/>, <see cref="TargetPermanentException"/> or
/// <see cref="TargetTransientException"/>; per-contact rejections inside a batch are outcomes, not exceptions.
/// </summary>
public interface ITarget
{
    /// <summary>Throws <see cref="TargetAuthException"/> when the credentials are wrong.</summary>
    Task TestConnectionAsync(CancellationToken ct = default);

    /// <summary>What a mapping can write to, and the lists (permissions, groups, modules) a contact can be in.</summary>
    Task<TargetSchema> DescribeAsync(CancellationToken ct = default);

    /// <summary>Creates or updates contacts, batched where the API allows. One outcome per contact, in input order.</summary>
    Task<IReadOnlyList<UpsertOutcome>> UpsertContactsAsync(IReadOnlyList<Contact> contacts, CancellationToken ct = default);

    Task SetConsentAsync(ConsentChange change, CancellationToken ct = default);

    /// <summary>
    /// What the target holds now for contacts the relay is meeting for the first time, by
    /// <see cref="Contact.Key"/>: asked before the relay writes anything to them, so a contact who
    /// opted out there before the relay was connected is not subscribed by a first sync. Contacts the
    /// target does not have, or holds no consent for, are absent. Batched where the API allows: a
    /// full-sync page must cost a call or a few, not one per contact.
    /// </summary>
    Task<IReadOnlyDictionary<string, TargetConsent>> ReadConsentAsync(IReadOnlyList<Contact> contacts, CancellationToken ct = default);

    /// <summary>GDPR erase, or anonymise where the target cannot delete. Unknown contacts count as erased.</summary>
    Task EraseContactAsync(string key, string? email, CancellationToken ct = default);

    /// <summary>Unsubscribes, bounces and permission changes since <see cref="PullRequest.Cursor"/>. Overlapping windows: expect repeats.</summary>
    Task<PullResult> PullChangesAsync(PullRequest request, CancellationToken ct = default);
}

/// <summary>A contact's consent as the target holds it.</summary>
/// <param name="At">When it took that state, as far as the target says (else the time of the read).</param>
/// <param name="HardBouncedAt">Set when the address hard-bounced there: mailing it is over, whatever <paramref name="State"/> says.</param>
public sealed record TargetConsent(ConsentState State, DateTimeOffset At, DateTimeOffset? HardBouncedAt = null)
{
    /// <summary>Opted out, blocked or dead: the relay must not subscribe this contact on a resync.</summary>
    public bool OptedOut => State == ConsentState.Unsubscribed || HardBouncedAt is not null;
}

public sealed record TargetSchema(IReadOnlyList<TargetField> Fields, IReadOnlyList<TargetList> Lists);

/// <param name="Type">The target's own type name ("string", "email", "Text(512)"…), shown as is.</param>
public sealed record TargetField(string Id, string Label, string Type, bool Required = false);

/// <summary>A permission bit (Spotler), a group (SARE) or a module (MiniCRM).</summary>
public sealed record TargetList(string Id, string Label);

public enum UpsertStatus
{
    Ok,
    /// <summary>The target refused this contact; sending it again will not help (invalid e-mail, opted out…).</summary>
    Rejected,
    /// <summary>The target failed for this contact only; worth retrying later.</summary>
    RetryLater,
}

public sealed record UpsertOutcome(string Key, UpsertStatus Status, string? Code = null, string? Message = null, string? TargetId = null)
{
    public static UpsertOutcome Ok(string key, string? targetId = null) => new(key, UpsertStatus.Ok, TargetId: targetId);
}

/// <param name="Cursor">Opaque, from the previous <see cref="PullResult.NextCursor"/>; null on the first pull.</param>
/// <param name="Emails">
/// Addresses to check, for targets that have no change feed and can only be asked about known
/// addresses (SARE). Ignored by targets with a feed.
/// </param>
public sealed record PullRequest(string? Cursor, IReadOnlyList<string>? Emails = null);

public sealed record PullResult(IReadOnlyList<ConsentChange> Consent, IReadOnlyList<Bounce> Bounces, string? NextCursor)
{
    public static PullResult Empty(string? cursor) => new([], [], cursor);
}

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

    /// <summary>GDPR erase, or anonymise where the target cannot delete. Unknown contacts count as erased.</summary>
    Task EraseContactAsync(string key, string? email, CancellationToken ct = default);

    /// <summary>Unsubscribes, bounces and permission changes since <see cref="PullRequest.Cursor"/>. Overlapping windows: expect repeats.</summary>
    Task<PullResult> PullChangesAsync(PullRequest request, CancellationToken ct = default);
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

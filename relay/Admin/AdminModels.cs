using Relay.Mapping;

namespace Relay.Admin;

// What the admin page sends and receives. Enums travel as camelCase strings: the page and the
// published OpenAPI contract should not depend on enum member order.

/// <summary>Settings as the page sees them: credentials are reduced to which ones are set.</summary>
public sealed record AdminSettingsView(
    int Version,
    DateTimeOffset? UpdatedAt,
    AdminTargetView? Target,
    FieldMapping Customers,
    FieldMapping Subscribers,
    string UniqueKey,
    IReadOnlyList<string> Lists,
    bool EraseInTargetOnDelete,
    int PullIntervalMinutes,
    bool SyncEnabled,
    string? TimeZone = null,
    Orders.OrderSettings? Orders = null);

/// <param name="CredentialsSet">Names of the stored credentials; their values never leave the relay.</param>
public sealed record AdminTargetView(
    string Kind,
    string? BaseUrl,
    IReadOnlyList<string> CredentialsSet,
    IReadOnlyDictionary<string, string> Options);

/// <summary>
/// A save. <see cref="ExpectedVersion"/> is the version the page loaded; another save in between gives 409.
/// A member left out (null) keeps its saved value, as a credential left out does.
/// </summary>
public sealed record AdminSettingsInput
{
    /// <summary>Required: a save that does not say what it edited could silently overwrite another tab's save.</summary>
    public int? ExpectedVersion { get; init; }
    public AdminTargetInput? Target { get; init; }
    public FieldMapping? Customers { get; init; }
    public FieldMapping? Subscribers { get; init; }
    public string? UniqueKey { get; init; }
    public IReadOnlyList<string>? Lists { get; init; }
    public bool? EraseInTargetOnDelete { get; init; }
    public int? PullIntervalMinutes { get; init; }
    public bool? SyncEnabled { get; init; }
    /// <summary>The IANA zone the shop writes zone-less times in, when not its platform's usual one; "" goes back to the platform's.</summary>
    public string? TimeZone { get; init; }
    /// <summary>Orders to a target that keeps them: the status pairing, the statuses that send, the nightly time.</summary>
    public Orders.OrderSettings? Orders { get; init; }
}

/// <param name="Credentials">Write-only. A name left out (or blank) keeps the stored value of the same target kind.</param>
public sealed record AdminTargetInput(
    string Kind,
    string? BaseUrl = null,
    IReadOnlyDictionary<string, string?>? Credentials = null,
    IReadOnlyDictionary<string, string?>? Options = null);

/// <summary>The body of a connection test or a field discovery: unsaved settings, or none for the saved ones.</summary>
public sealed record AdminTargetProbe(AdminTargetInput? Target);

/// <param name="DefaultCustomers">The target's default map for this shop's platform: what the sync uses while the mapping is left empty, and what the page's "defaults" button restores.</param>
public sealed record AdminTargetProvider(
    string Kind, string DisplayName, IReadOnlyList<string> CredentialNames, IReadOnlyList<string> OptionNames,
    FieldMapping DefaultCustomers, FieldMapping DefaultSubscribers);

/// <param name="Outcome">"ok", "auth" (credentials refused), "configuration" (incomplete or malformed), "unavailable" (network, timeout, 5xx), "refused" (other 4xx).</param>
public sealed record ConnectionTestResult(bool Ok, string Outcome, string Message);

public sealed record AdminTargetFields(IReadOnlyList<Targets.TargetField> Fields, IReadOnlyList<Targets.TargetList> Lists);

/// <summary>What the mapping editor offers on the shop side. The maps it starts from are the target's (<see cref="AdminTargetProvider"/>).</summary>
/// <param name="StandardTargetFields">Contact fields every target writes to its own well-known field (<see cref="ContactFields"/>).</param>
public sealed record AdminShopFields(
    IReadOnlyList<string> StandardTargetFields,
    IReadOnlyList<string> Customers,
    IReadOnlyList<string> Subscribers,
    IReadOnlyList<string> Transforms);

/// <param name="RatePerSecond">Contacts a second since the start, null until something was done.</param>
/// <param name="EtaSeconds">Null while the total is unknown.</param>
public sealed record AdminSyncView(
    string State,
    long Done,
    long? Total,
    long Failed,
    double? Percent,
    double? RatePerSecond,
    long? EtaSeconds,
    DateTimeOffset? StartedAt,
    DateTimeOffset? FinishedAt,
    string? Error);

public sealed record AdminActivityEntry(DateTimeOffset At, string Kind, string Outcome, string Message, string? MaskedEmail, string? EventId);

public sealed record AdminDeadLetter(string Id, string EventId, string Kind, int Attempts, string Error, DateTimeOffset AcceptedAt, DateTimeOffset DeadAt);

/// <param name="WebhooksArriving">True when the shop sent an event within <see cref="AdminStatus.QuietAfterHours"/> hours.</param>
/// <param name="TokenHealth">"ok", "failing" (the relay cannot reach the shop's API: reinstall), "inactive".</param>
/// <param name="Paused">Features paused because the shop took a permission away, with the permissions it lacks.</param>
/// <param name="WebhookHealth">The relay's webhooks in the shop as last checked (null: not checked yet).</param>
public sealed record AdminStatus(
    string ShopKey,
    string Platform,
    string PlatformName,
    string ShopUrl,
    string ShopStatus,
    string? StatusReason,
    DateTimeOffset? LastEventAt,
    bool WebhooksArriving,
    int QuietAfterHours,
    string TokenHealth,
    bool NeedsReinstall,
    bool TargetConfigured,
    bool SyncEnabled,
    int DeadLetters,
    DateTimeOffset Now,
    IReadOnlyList<Relay.Sync.SyncProblem>? Problems = null,
    IReadOnlyList<Relay.Sync.FeaturePause>? Paused = null,
    Relay.Sync.WebhookHealthReport? WebhookHealth = null);

/// <summary>The platform's connection modes for the page's "shop connection" section; no modes: the section stays hidden.</summary>
/// <param name="Path">The platform's route the page reads the current mode from (GET) and saves the choice to (PUT).</param>
public sealed record AdminShopConnection(string? PlatformName, string? Path, IReadOnlyList<Platforms.ShopConnectionMode> Modes);

using Relay.Mapping;
using Relay.Targets;

namespace Relay.Settings;

/// <summary>
/// Everything a merchant configures for one shop. Stored as one versioned document; a save names
/// the version it edited, so two admin tabs cannot silently overwrite each other.
/// </summary>
public sealed record ShopSettings : ISettingsDocument<ShopSettings>
{
    /// <summary>Bumped by every save; 0 means never saved.</summary>
    public int Version { get; init; }
    public DateTimeOffset? UpdatedAt { get; init; }

    /// <summary>Which marketing system, and how to reach it. Credentials are encrypted at rest and never returned by an API.</summary>
    public TargetSettings? Target { get; init; }

    TargetSettings? ISettingsDocument<ShopSettings>.Account => Target;
    ShopSettings ISettingsDocument<ShopSettings>.WithAccount(TargetSettings? account) => this with { Target = account };
    ShopSettings ISettingsDocument<ShopSettings>.AsSaved(int version, DateTimeOffset at) => this with { Version = version, UpdatedAt = at };

    /// <summary>Customers (accounts) and newsletter subscribers carry different fields, so they are mapped separately.</summary>
    public FieldMapping Customers { get; init; } = new();
    public FieldMapping Subscribers { get; init; } = new();

    public UniqueKeyKind UniqueKey { get; init; } = UniqueKeyKind.Email;

    /// <summary>Target lists a contact is put in (permission bits, groups, modules): each target reads them as it needs (<see cref="TargetAccount.Lists"/>).</summary>
    public IReadOnlyList<string> Lists { get; init; } = [];

    /// <summary>GDPR: a customer deleted in the shop is erased (or anonymised) in the target.</summary>
    public bool EraseInTargetOnDelete { get; init; }

    public TimeSpan PullInterval { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>
    /// The IANA zone the shop writes its zone-less times in, when it is not its platform's usual one
    /// (Shoper: <c>Shoper:TimeZone</c>, Europe/Warsaw). Null: the platform's. Platforms that write
    /// instants (Shopware) ignore it.
    /// </summary>
    public string? TimeZone { get; init; }

    /// <summary>Off while the merchant is still setting up: nothing is forwarded or pulled back.</summary>
    public bool SyncEnabled { get; init; }

    /// <summary>Orders to a target that keeps them: status pairing, which statuses send, the nightly time.</summary>
    public Orders.OrderSettings Orders { get; init; } = new();

    /// <summary>The target account, with the merchant's chosen lists: the target folds them into its own option unless that was set explicitly.</summary>
    public TargetAccount? TargetAccountFor(string shopKey) =>
        Target is { } target
            ? target.ToAccount(shopKey) with { Lists = Lists.Where(l => !string.IsNullOrWhiteSpace(l)).Select(l => l.Trim()).ToList() }
            : null;

    /// <summary>
    /// These settings with a default map wherever the merchant left a mapping empty: an empty mapping
    /// means "the defaults of my target", so the admin page and the sync use the same ones.
    /// </summary>
    public ShopSettings WithDefaultMaps(FieldMaps defaults) => this with
    {
        Customers = Customers.Rules.Count == 0 ? defaults.Customers : Customers,
        Subscribers = Subscribers.Rules.Count == 0 ? defaults.Subscribers : Subscribers,
    };
}

public sealed record TargetSettings
{
    /// <summary>The target's kind (<see cref="ITargetProvider.Kind"/>, see <see cref="TargetFactory.Providers"/>).</summary>
    public required string Kind { get; init; }
    public string? BaseUrl { get; init; }
    public IReadOnlyDictionary<string, string> Credentials { get; init; } = new Dictionary<string, string>();
    public IReadOnlyDictionary<string, string> Options { get; init; } = new Dictionary<string, string>();

    /// <summary>These settings with every credential value passed through <paramref name="map"/> (encrypt, decrypt, blank).</summary>
    public TargetSettings MapCredentials(Func<string, string> map) => this with { Credentials = Credentials.ToDictionary(c => c.Key, c => map(c.Value)) };

    public TargetAccount ToAccount(string shopKey) => new()
    {
        Kind = Kind,
        AccountId = $"{shopKey}/{Kind}",
        BaseUrl = BaseUrl,
        Credentials = Credentials,
        Options = Options,
    };
}

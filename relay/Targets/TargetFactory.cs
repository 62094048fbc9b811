using Relay.Mapping;

namespace Relay.Targets;

/// <summary>Builds the <see cref="ITarget"/> for one kind of target. One per target folder.</summary>
public interface ITargetProvider
{
    /// <summary>The <see cref="TargetAccount.Kind"/> it serves, lower case ("spotler").</summary>
    string Kind { get; }
    string DisplayName { get; }
    /// <summary>Names of the credentials and options the admin page asks for.</summary>
    IReadOnlyList<string> CredentialNames { get; }
    IReadOnlyList<string> OptionNames { get; }
    /// <summary>How the target stamps its times: their zone and how far they may be off (<see cref="Sync.ConsentPolicy.OptInIsClearlyNewer"/>).</summary>
    PartnerClock Clock { get; }

    /// <summary>
    /// The map a shop starts from (<see cref="DefaultRules"/>): fields every account of this target has,
    /// from what the shop's platform fills (<paramref name="shop"/>). The admin page shows it and the sync uses it.
    /// </summary>
    FieldMaps DefaultMaps(ShopRecordShape shop);

    /// <summary>
    /// The target has no change feed: pull-back asks it about the addresses the shop still mails
    /// (<see cref="PullRequest.Emails"/>), a chunk at a time.
    /// </summary>
    bool PullsByAddress => false;

    /// <summary>
    /// The account's system, when the target allows only one shop per system (MiniCRM: one webshop per
    /// system id), as a key unique across targets; null when any number of shops may share an account.
    /// </summary>
    string? ExclusiveSystem(TargetAccount account) => null;

    ITarget Create(TargetAccount account);
}

/// <summary>Turns a stored account into a live target. Cheap: targets are created per unit of work.</summary>
public sealed class TargetFactory(IEnumerable<ITargetProvider> providers)
{
    private readonly Dictionary<string, ITargetProvider> _byKind = providers.ToDictionary(p => p.Kind, StringComparer.OrdinalIgnoreCase);

    public IReadOnlyCollection<ITargetProvider> Providers => _byKind.Values;

    public ITargetProvider? Provider(string kind) => _byKind.GetValueOrDefault(kind);

    public ITarget Create(TargetAccount account) =>
        _byKind.TryGetValue(account.Kind, out var provider)
            ? provider.Create(account)
            : throw new TargetConfigurationException($"Unknown target '{account.Kind}'. Known: {string.Join(", ", _byKind.Keys)}.");
}

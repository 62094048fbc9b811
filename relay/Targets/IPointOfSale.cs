using Relay.Mapping;
using Relay.Orders;

namespace Relay.Targets;

/// <summary>
/// A till (point of sale) of one shop: the kind of target that owns products and stock and takes the
/// shop's orders. Pulls are cursor-based (the till's own change markers, opaque to the relay) and
/// overlap safely: the shop side upserts by SKU. Failures are the target exceptions
/// (<see cref="TargetAuthException"/>, <see cref="TargetPermanentException"/>, <see cref="TargetTransientException"/>).
/// </summary>
public interface IPointOfSale
{
    Task TestConnectionAsync(CancellationToken ct = default);

    /// <summary>Products (with their variants) and categories changed since <paramref name="cursor"/>; null: everything.</summary>
    Task<CatalogChanges> PullCatalogAsync(string? cursor, CancellationToken ct = default);

    /// <summary>Stock changed since <paramref name="cursor"/>; null: every article's.</summary>
    Task<StockChanges> PullStockAsync(string? cursor, CancellationToken ct = default);

    /// <summary>
    /// Books a shop order in the till, at most once per <see cref="ShopOrder.Number"/>: an order the till
    /// already has is <see cref="PosOrderStatus.AlreadyThere"/>, never a second one.
    /// </summary>
    Task<PosOrderOutcome> PlaceOrderAsync(ShopOrder order, PosOrderOptions options, CancellationToken ct = default);
}

/// <param name="More">The till has more changes after <see cref="NextCursor"/>: pull again at once.</param>
public sealed record CatalogChanges(IReadOnlyList<PosProduct> Products, IReadOnlyList<PosCategory> Categories, string? NextCursor, bool More);

public sealed record StockChanges(IReadOnlyList<StockLevel> Levels, string? NextCursor, bool More);

public enum PosOrderStatus
{
    Created,
    /// <summary>The till has an order with this shop number already: nothing was written.</summary>
    AlreadyThere,
    /// <summary>The order cannot be booked yet (an article the till does not know): it waits and is tried again.</summary>
    Waiting,
}

/// <param name="TillReference">The till's own number of the order (or invoice).</param>
/// <param name="Reason">Why it waits, in words the merchant can act on.</param>
public sealed record PosOrderOutcome(PosOrderStatus Status, string? TillReference = null, string? Reason = null);

/// <summary>How the merchant wants the shop's orders booked (the flow's choices, not the till's connection).</summary>
/// <param name="DefaultDebtor">The till's customer number every web order is booked on; null: find or create the customer by e-mail.</param>
/// <param name="PaymentMethods">Shop payment method (<see cref="ShopOrder.PaymentMethod"/>, any case) → the till's payment method.</param>
public sealed record PosOrderOptions(bool AsInvoice, long? DefaultDebtor, IReadOnlyDictionary<string, string> PaymentMethods);

/// <summary>Builds the <see cref="IPointOfSale"/> for one kind of till. One per target folder, like <see cref="ITargetProvider"/>.</summary>
public interface IPosProvider
{
    string Kind { get; }
    string DisplayName { get; }
    IReadOnlyList<string> CredentialNames { get; }
    /// <summary>Settings the till itself requires (branch, employee…), with their defaults: the page shows them.</summary>
    IReadOnlyList<PosOption> Options { get; }
    /// <summary>The further product fields the till fills (<see cref="Mapping.PosProduct.Fields"/>): the sources of the product mapping.</summary>
    IReadOnlyList<string> ProductFields { get; }
    PartnerClock Clock { get; }
    IPointOfSale Create(TargetAccount account);
    /// <summary>The relay's path the merchant gives the till for its webhooks (each asks for a run at once); null: the till has none.</summary>
    string? WebhookPath(string shopKey);
}

/// <param name="Default">Shown as the placeholder and used while the merchant leaves the option empty.</param>
public sealed record PosOption(string Name, string? Default, string Help);

/// <summary>The registered tills, by kind.</summary>
public sealed class PosFactory(IEnumerable<IPosProvider> providers)
{
    private readonly Dictionary<string, IPosProvider> _byKind = providers.ToDictionary(p => p.Kind, StringComparer.OrdinalIgnoreCase);

    public IReadOnlyCollection<IPosProvider> Providers => _byKind.Values;

    public IPosProvider? Provider(string kind) => _byKind.GetValueOrDefault(kind);

    public IPointOfSale Create(TargetAccount account) =>
        _byKind.TryGetValue(account.Kind, out var provider)
            ? provider.Create(account)
            : throw new TargetConfigurationException($"Unknown till '{account.Kind}'. Known: {string.Join(", ", _byKind.Keys)}.");
}

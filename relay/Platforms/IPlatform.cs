using Relay.Mapping;
using Relay.Sync;

namespace Relay.Platforms;

/// <summary>
/// One shop platform as the shared parts of the relay see it. Each platform folder implements it and
/// its <c>Add{Name}()</c> registers it, with the parts named here; the sync engine, the admin page and
/// the mapping work through it and name no platform. A test checks that every registered platform
/// provides every part.
/// </summary>
public interface IPlatform
{
    /// <summary>The platform part of a shop key ("{platform}:{shop id}"), lower case.</summary>
    string Name { get; }

    /// <summary>How the admin page names the platform to the merchant.</summary>
    string DisplayName { get; }

    /// <summary>The shop side of the sync: reads customers and subscribers, writes opt-outs.</summary>
    IShopContacts Contacts { get; }

    /// <summary>The shop side of the order sync. Null: the platform's orders are not read (yet).</summary>
    Orders.IShopOrders? Orders => null;

    /// <summary>The inbox kinds its webhook endpoints queue; one of its <c>IQueueHandler</c>s forwards each.</summary>
    IReadOnlyList<string> InboxKinds { get; }

    /// <summary>Runs after every pull-back of its shops, for what its webhooks can miss. Null: the platform needs none.</summary>
    IShopReconciliation? Reconciliation { get; }

    /// <summary>How the merchant may choose to let the relay reach the shop's API (admin page). Null: one way only, no choice shown.</summary>
    ShopConnectionChoice? ConnectionChoice => null;

    /// <summary>What its records carry where platforms differ: targets build their default maps from it.</summary>
    ShopRecordShape RecordShape { get; }

    /// <summary>
    /// CSP frame-ancestors sources, besides the shop's own origin, that may frame the admin page of the
    /// shop at <paramref name="shopUrl"/> (an administration served from another address).
    /// </summary>
    IReadOnlyList<string> AdminFrameAncestors(Uri shopUrl);

    /// <summary>CSP script-src sources, besides the relay's own, that the admin page loads inside this platform's administration (its SDK).</summary>
    IReadOnlyList<string> AdminScriptSources { get; }

    /// <summary>The shop side of the point-of-sale flows (products, stock, orders). Null: the platform has none yet.</summary>
    IShopCatalog? Catalog => null;
}

/// <summary>The registered platforms, by name and by shop key.</summary>
public sealed class ShopPlatforms(IEnumerable<IPlatform> platforms)
{
    private readonly Dictionary<string, IPlatform> _byName = platforms.ToDictionary(p => p.Name, StringComparer.Ordinal);

    public static string PlatformOf(string shopKey) => shopKey[..Math.Max(0, shopKey.IndexOf(':'))];

    public static string ShopIdOf(string shopKey) => shopKey[(shopKey.IndexOf(':') + 1)..];

    /// <summary>The platform of a shop key, or null when no registered platform serves it.</summary>
    public IPlatform? For(string shopKey) => Named(PlatformOf(shopKey));

    public IPlatform? Named(string name) => _byName.GetValueOrDefault(name);

    public IEnumerable<IPlatform> All => _byName.Values;
}

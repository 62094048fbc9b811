using Relay.Mapping;
using Relay.Sync;

namespace Relay.Platforms.Shopware;

/// <summary>Shopware 6 as the relay's shared parts see it (registered by <c>AddShopware()</c>).</summary>
public sealed class ShopwarePlatform(ShopwareContacts contacts, ShopwareReconciliation reconciliation, ShopwareOrders orders, ShopwareCatalog catalog) : IPlatform
{
    public string Name => ShopwareShops.Platform;
    public string DisplayName => "Shopware";
    public IShopContacts Contacts => contacts;
    public Orders.IShopOrders Orders => orders;
    public IReadOnlyList<string> InboxKinds { get; } = [ShopwareWebhooks.InboxKind];

    /// <summary>Shopware switches failing webhooks off silently, and imports write without events.</summary>
    public IShopReconciliation Reconciliation => reconciliation;

    /// <summary>Newsletter recipients carry an address of their own (street, zip code, city).</summary>
    public ShopRecordShape RecordShape { get; } = new(SubscribersHaveAddress: true);

    /// <summary>The administration runs on the shop's own origin and needs no script of its own (the page posts sw-app-loaded).</summary>
    public IReadOnlyList<string> AdminFrameAncestors(Uri shopUrl) => [];
    public IReadOnlyList<string> AdminScriptSources => [];

    /// <summary>Products, variants, categories, taxes and stock through <c>_action/sync</c> (a till's orders come through <see cref="Orders"/>).</summary>
    public IShopCatalog Catalog => catalog;
}

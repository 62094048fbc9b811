using Relay.Sync;

namespace Relay.Platforms.Shopware;

/// <summary>
/// Which of the manifest's permissions each part of the relay needs, in the "entity:privilege" form that
/// <c>app.permissions.updated</c> lists the accepted ones in. sales_channel:read and language:read are
/// asked for but no feature depends on them.
/// </summary>
public static class ShopwarePermissions
{
    public static readonly IReadOnlyDictionary<string, string[]> Required = new Dictionary<string, string[]>(StringComparer.Ordinal)
    {
        // Webhooks carry ids only; every record is re-read (customers and recipients), as are the full sync and reconciliation.
        [ShopFeature.ReadContacts] = ["customer:read", "newsletter_recipient:read"],
        // The pull-back finds the recipient by address and sets its status to optOut.
        [ShopFeature.WriteOptOuts] = ["newsletter_recipient:read", "newsletter_recipient:update"],
        // Without the webhook health API, the relay finds its own webhooks and PATCHes active=true.
        [ShopFeature.WebhookUpkeep] = ["webhook:read", "webhook:update"],
        // Orders are read with their lines, deliveries, payments, buyer, currency, states and billing address.
        [ShopFeature.ReadOrders] =
        [
            "order:read", "order_line_item:read", "order_delivery:read", "order_transaction:read", "order_customer:read",
            "currency:read", "payment_method:read", "shipping_method:read", "state_machine:read", "state_machine_state:read",
            "order_address:read", "country:read",
        ],
        // A till's products are found by number and upserted through _action/sync with their options, categories and tax.
        [ShopFeature.WriteCatalog] =
        [
            "product:read", "product:create", "product:update",
            "property_group:read", "property_group:create", "property_group:update",
            "property_group_option:read", "property_group_option:create", "property_group_option:update",
            "product_option:create", "product_configurator_setting:create", "product_configurator_setting:update",
            "category:read", "category:create", "category:update", "product_category:create",
            "tax:read", "tax:create", "product_visibility:create",
        ],
    };

    /// <summary>Each feature's required permissions that <paramref name="granted"/> lacks (empty when it has them all).</summary>
    public static IReadOnlyDictionary<string, IReadOnlyList<string>> Missing(IEnumerable<string> granted)
    {
        var have = granted.ToHashSet(StringComparer.Ordinal);
        return Required.ToDictionary(r => r.Key, r => (IReadOnlyList<string>)r.Value.Where(p => !have.Contains(p)).ToList(), StringComparer.Ordinal);
    }
}

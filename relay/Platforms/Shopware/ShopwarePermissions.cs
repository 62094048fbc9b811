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
    };

    /// <summary>Each feature's required permissions that <paramref name="granted"/> lacks (empty when it has them all).</summary>
    public static IReadOnlyDictionary<string, IReadOnlyList<string>> Missing(IEnumerable<string> granted)
    {
        var have = granted.ToHashSet(StringComparer.Ordinal);
        return Required.ToDictionary(r => r.Key, r => (IReadOnlyList<string>)r.Value.Where(p => !have.Contains(p)).ToList(), StringComparer.Ordinal);
    }
}

using Relay.Mapping;
using Relay.Targets;

namespace Relay.Settings;

/// <summary>
/// What a merchant gets without touching the mapping editor: the fields every account of the target
/// has, nothing account-specific (a Spotler property or SARE prop that may not exist would make
/// every upsert fail). Everything here is overwritten on update, because the shop is the source of
/// these basics; enrichment is the merchant's own choice.
/// </summary>
public static class DefaultMappings
{
    public static (FieldMapping Customers, FieldMapping Subscribers) For(string platform, string targetKind)
    {
        var names = new List<FieldRule> { Copy(ShopFields.FirstName, ContactFields.FirstName, "trim"), Copy(ShopFields.LastName, ContactFields.LastName, "trim") };
        var customers = new List<FieldRule>(names);
        var subscribers = new List<FieldRule>(names);

        switch (targetKind.ToLowerInvariant())
        {
            case "spotler":
                customers.Add(Copy(ShopFields.Company, ContactFields.Company));
                customers.AddRange(Address());
                // Shopware recipients carry an address of their own; Shoper subscribers do not.
                if (platform == "shopware") subscribers.AddRange(Address());
                break;
            case "sare":
                // SARE's standard subscriber fields are name and gsm; the relay joins first and last name.
                customers.Add(Copy(ShopFields.Phone, "gsm", "trim"));
                break;
            case "minicrm":
                customers.Add(Copy(ShopFields.Phone, ContactFields.Phone, "trim"));
                customers.Add(Copy(ShopFields.Company, ContactFields.Company));
                customers.AddRange(Address());
                break;
        }
        return (new FieldMapping { Rules = customers }, new FieldMapping { Rules = subscribers });
    }

    /// <summary>Settings with the defaults filled in wherever the merchant left a mapping empty.</summary>
    public static ShopSettings ApplyTo(ShopSettings settings, string platform)
    {
        if (settings.Target is not { } target) return settings;
        var (customers, subscribers) = For(platform, target.Kind);
        return settings with
        {
            Customers = settings.Customers.Rules.Count == 0 ? customers : settings.Customers,
            Subscribers = settings.Subscribers.Rules.Count == 0 ? subscribers : settings.Subscribers,
        };
    }

    private static IEnumerable<FieldRule> Address() =>
    [
        Copy(ShopFields.Street, ContactFields.Street),
        Copy(ShopFields.PostalCode, ContactFields.PostalCode, "trim", "upper"),
        Copy(ShopFields.City, ContactFields.City),
        Copy(ShopFields.Country, ContactFields.Country, "upper"),
    ];

    private static FieldRule Copy(string source, string target, params string[] transforms) =>
        new() { Target = target, Sources = [source], Transforms = transforms };
}

public static class ShopSettingsAccounts
{
    /// <summary>
    /// The target account with the merchant's chosen lists folded into the target's own option, unless
    /// that option was set explicitly: SARE puts contacts into groups ("groupIds"), Spotler writes
    /// consent to one permission bit ("permissionBit", the first list).
    /// </summary>
    public static TargetAccount? TargetAccount(this ShopSettings settings, string shopKey)
    {
        if (settings.Target is not { } target) return null;
        var options = new Dictionary<string, string>(target.Options);
        var lists = settings.Lists.Where(l => !string.IsNullOrWhiteSpace(l)).Select(l => l.Trim()).ToList();
        if (lists.Count > 0)
        {
            switch (target.Kind.ToLowerInvariant())
            {
                case "sare": options.TryAdd("groupIds", string.Join(",", lists)); break;
                case "spotler": options.TryAdd("permissionBit", lists[0]); break;
            }
        }
        return (target with { Options = options }).ToAccount(shopKey);
    }
}

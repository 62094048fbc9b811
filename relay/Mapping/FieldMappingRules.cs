namespace Relay.Mapping;

/// <summary>
/// The shop side of the mapping editor: field names every platform adapter fills (platform-neutral,
/// so one mapping survives a move from one platform to another), the transforms the mapper knows,
/// and the checks a save must pass. The defaults a shop starts from are its target's
/// (<see cref="DefaultRules"/>).
/// </summary>
public static class FieldMappingRules
{
    // The sync engine's canonical shop field names (what its platform adapters fill); the mapper
    // also reads "customFields.{name}". Subscribers carry fewer fields than customers on both platforms.
    public static readonly IReadOnlyList<string> CustomerFields =
    [
        "email", "firstName", "lastName", "title", "company", "customerNumber", "phone", "street", "postalCode", "city", "country",
        "language", "birthday", "id", "createdAt", "updatedAt", .. ShopFields.Purchase,
    ];

    public static readonly IReadOnlyList<string> SubscriberFields =
    [
        "email", "firstName", "lastName", "title", "street", "postalCode", "city", "language", "id", "createdAt", "updatedAt", .. ShopFields.Purchase,
    ];

    public static readonly IReadOnlyList<string> Transforms = ["trim", "lower", "upper", "date:yyyy-MM-dd"];

    public static bool IsShopField(string name, IReadOnlyList<string> known) =>
        known.Contains(name) || (ShopFields.IsCustomField(name) && name.Length <= 100);

    public static bool IsTransform(string transform) => transform.Length <= 40 && ContactMapper.IsValidTransform(transform);

    /// <summary>Adds one message per problem, keyed like the JSON path the page sent ("customers.rules[2].target").</summary>
    public static void Validate(string name, FieldMapping? mapping, IReadOnlyList<string> shopFields, Dictionary<string, string[]> errors)
    {
        if (mapping is null) return;
        if (mapping.Rules.Count > 200)
        {
            errors[$"{name}.rules"] = ["At most 200 fields can be mapped."];
            return;
        }
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < mapping.Rules.Count; i++)
        {
            var rule = mapping.Rules[i];
            var at = $"{name}.rules[{i}]";
            if (string.IsNullOrWhiteSpace(rule.Target) || rule.Target.Length > 100)
                errors[$"{at}.target"] = ["Choose a target field."];
            else if (!seen.Add(rule.Target))
                errors[$"{at}.target"] = [$"'{rule.Target}' is filled by more than one rule."];

            var unknown = rule.Sources.Where(s => !IsShopField(s, shopFields)).ToList();
            if (unknown.Count > 0)
                errors[$"{at}.sources"] = [$"Unknown shop field: {string.Join(", ", unknown)}."];
            else if (rule.Sources.Count == 0 && string.IsNullOrEmpty(rule.Constant))
                errors[$"{at}.sources"] = ["Choose a shop field or enter a fixed value."];

            if (rule.Constant is { Length: > 500 })
                errors[$"{at}.constant"] = ["A fixed value can have at most 500 characters."];
            if (rule.Separator.Length > 10)
                errors[$"{at}.separator"] = ["A separator can have at most 10 characters."];
            var badTransforms = rule.Transforms.Where(t => !IsTransform(t)).ToList();
            if (badTransforms.Count > 0)
                errors[$"{at}.transforms"] = [$"Unknown transform: {string.Join(", ", badTransforms)}."];
        }
    }
}

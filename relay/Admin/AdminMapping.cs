using Relay.Settings;

namespace Relay.Admin;

/// <summary>
/// The shop side of the mapping editor: field names every platform adapter fills (platform-neutral,
/// so one mapping survives a move from Shopware to Shoper), the transforms the mapper knows, the
/// defaults a new shop starts from, and the checks a save must pass.
/// </summary>
public static class AdminMapping
{
    public static readonly IReadOnlyList<string> CustomerFields =
    [
        "email", "firstName", "lastName", "salutation", "title", "company", "customerNumber", "birthday", "phone",
        "street", "houseNumber", "postalCode", "city", "country", "language", "customerGroup", "createdAt",
    ];

    public static readonly IReadOnlyList<string> SubscriberFields =
    [
        "email", "firstName", "lastName", "salutation", "title", "street", "postalCode", "city", "language", "createdAt",
    ];

    public static readonly IReadOnlyList<string> Transforms = ["trim", "lower", "upper", "date:yyyy-MM-dd"];

    public static FieldMapping DefaultCustomers { get; } = OneToOne(CustomerFields);
    public static FieldMapping DefaultSubscribers { get; } = OneToOne(SubscriberFields);

    // Only the fields a target knows by name get a default; the rest is the merchant's choice.
    private static FieldMapping OneToOne(IReadOnlyList<string> shopFields) => new()
    {
        Rules = ContactFields.All.Where(shopFields.Contains).Select(f => new FieldRule
        {
            Target = f,
            Sources = [f],
            Transforms = f == ContactFields.Email ? ["trim", "lower"] : [],
        }).ToList(),
    };

    public static bool IsTransform(string transform) =>
        transform is "trim" or "lower" or "upper" ||
        (transform.StartsWith("date:", StringComparison.Ordinal) && transform.Length > 5 && transform.Length <= 40);

    /// <summary>Adds one message per problem, keyed like the JSON path the page sent ("customers.rules[2].target").</summary>
    public static void Validate(string name, FieldMapping? mapping, IReadOnlyList<string> shopFields, Dictionary<string, string[]> errors)
    {
        if (mapping is null) return;
        if (mapping.Rules.Count > 200)
        {
            errors[$"{name}.rules"] = ["At most 200 fields can be mapped."];
            return;
        }
        if (!mapping.Rules.Any(r => r.Target == ContactFields.Email))
            errors[$"{name}.rules"] = ["Map the e-mail address: the target needs it to find the contact."];

        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < mapping.Rules.Count; i++)
        {
            var rule = mapping.Rules[i];
            var at = $"{name}.rules[{i}]";
            if (string.IsNullOrWhiteSpace(rule.Target) || rule.Target.Length > 100)
                errors[$"{at}.target"] = ["Choose a target field."];
            else if (!seen.Add(rule.Target))
                errors[$"{at}.target"] = [$"'{rule.Target}' is filled by more than one rule."];

            var unknown = rule.Sources.Where(s => !shopFields.Contains(s)).ToList();
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

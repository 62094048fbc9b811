namespace Relay.Mapping;

/// <summary>
/// What a platform's records carry where platforms differ, so that a target's default map names only
/// fields the shop fills.
/// </summary>
/// <param name="SubscribersHaveAddress">Newsletter subscribers carry a postal address of their own.</param>
public sealed record ShopRecordShape(bool SubscribersHaveAddress);

/// <summary>
/// The pieces targets build their default maps from (<c>ITargetProvider.DefaultMaps</c>): what a
/// merchant gets without touching the mapping editor. A default names only fields every account of
/// the target has, nothing account-specific (a property that may not exist would make every upsert
/// fail). Every rule overwrites on update, because the shop is the source of these basics;
/// enrichment is the merchant's own choice.
/// </summary>
public static class DefaultRules
{
    public static IReadOnlyList<FieldRule> Names { get; } =
        [Copy(ShopFields.FirstName, ContactFields.FirstName, "trim"), Copy(ShopFields.LastName, ContactFields.LastName, "trim")];

    public static IReadOnlyList<FieldRule> Address { get; } =
    [
        Copy(ShopFields.Street, ContactFields.Street),
        Copy(ShopFields.PostalCode, ContactFields.PostalCode, "trim", "upper"),
        Copy(ShopFields.City, ContactFields.City),
        Copy(ShopFields.Country, ContactFields.Country, "upper"),
    ];

    /// <summary>The address as far as subscriber records carry one (<see cref="FieldMappingRules.SubscriberFields"/>: no country).</summary>
    public static IReadOnlyList<FieldRule> SubscriberAddress { get; } =
        Address.Where(r => r.Sources.All(FieldMappingRules.SubscriberFields.Contains)).ToList();

    public static FieldRule Copy(string source, string target, params string[] transforms) =>
        new() { Target = target, Sources = [source], Transforms = transforms };

    public static FieldMaps Maps(IEnumerable<FieldRule> customers, IEnumerable<FieldRule> subscribers) =>
        new(new FieldMapping { Rules = customers.ToList() }, new FieldMapping { Rules = subscribers.ToList() });
}

namespace Relay.Mapping;

public enum ShopRecordKind { Customer, Subscriber }

/// <summary>
/// The shop's own view of a person's newsletter consent. <see cref="Confirmed"/> marks an explicit
/// opt-in (double opt-in confirmed, or a direct subscription the person made themselves): only
/// that kind of opt-in, and only when it is newer than the target's opt-out, may re-subscribe.
/// </summary>
public sealed record ShopConsent(ConsentState State, DateTimeOffset At, bool Confirmed = false);

/// <summary>
/// One customer or newsletter subscriber as a shop holds it, in canonical field names
/// (<see cref="ShopFields"/>) whatever the platform calls them. The mapping editor offers these
/// names as sources; custom fields appear as "customFields.{name}".
/// </summary>
public sealed record ShopRecord
{
    public required ShopRecordKind Kind { get; init; }
    /// <summary>The platform's id of the customer or subscriber.</summary>
    public required string Id { get; init; }
    public IReadOnlyDictionary<string, string?> Fields { get; init; } = new Dictionary<string, string?>();
    /// <summary>Subscribers carry consent; customers do not (no platform's customer record says it).</summary>
    public ShopConsent? Consent { get; init; }

    public string? Email => Field(ShopFields.Email);

    public string? Field(string name) =>
        Fields.TryGetValue(name, out var value) && !string.IsNullOrWhiteSpace(value) ? value : null;
}

/// <summary>Canonical shop field names, the sources a <c>FieldRule</c> can read.</summary>
public static class ShopFields
{
    public const string Id = "id";
    public const string Email = "email";
    public const string FirstName = "firstName";
    public const string LastName = "lastName";
    public const string Title = "title";
    public const string CustomerNumber = "customerNumber";
    public const string Company = "company";
    public const string Phone = "phone";
    public const string Street = "street";
    public const string PostalCode = "postalCode";
    public const string City = "city";
    public const string Country = "country";
    public const string Language = "language";
    public const string Birthday = "birthday";
    public const string CreatedAt = "createdAt";
    public const string UpdatedAt = "updatedAt";
    /// <summary>Purchase figures (<c>Orders.PurchaseFigures</c>): kept by the relay per e-mail from the shop's orders, on every record with an e-mail.</summary>
    public const string FirstOrderAt = "firstOrderAt";
    public const string LastOrderAt = "lastOrderAt";
    public const string OrderCount = "orderCount";
    /// <summary>In the shop's currency, as its orders name it (<c>totalSpentCurrency</c>).</summary>
    public const string TotalSpent = "totalSpent";
    public const string TotalSpentCurrency = "totalSpentCurrency";
    public const string CustomFieldPrefix = "customFields.";

    public static readonly IReadOnlyList<string> Purchase = [FirstOrderAt, LastOrderAt, OrderCount, TotalSpent, TotalSpentCurrency];

    public static readonly IReadOnlyList<string> All =
        [Id, Email, FirstName, LastName, Title, CustomerNumber, Company, Phone, Street, PostalCode, City, Country, Language, Birthday, CreatedAt, UpdatedAt, .. Purchase];

    /// <summary>"customFields.{name}": any custom field of the shop.</summary>
    public static bool IsCustomField(string name) =>
        name.StartsWith(CustomFieldPrefix, StringComparison.Ordinal) && name.Length > CustomFieldPrefix.Length;
}

namespace Relay.Mapping;

public enum UniqueKeyKind { Email, CustomerNumber, ShopId }

public sealed record FieldMapping
{
    public IReadOnlyList<FieldRule> Rules { get; init; } = [];
}

/// <summary>A shop's two mappings: customers (accounts) and newsletter subscribers carry different fields.</summary>
public sealed record FieldMaps(FieldMapping Customers, FieldMapping Subscribers);

/// <summary>
/// Fills one target field. <see cref="Target"/> is a field id from the target's
/// <c>ITarget.DescribeAsync</c>, or one of the contact's own fields (see <see cref="ContactFields"/>).
/// The value is the <see cref="Sources"/> (shop field names) joined by <see cref="Separator"/>, or the
/// <see cref="Constant"/>, then put through the <see cref="Transforms"/> in order.
/// </summary>
public sealed record FieldRule
{
    public required string Target { get; init; }
    public IReadOnlyList<string> Sources { get; init; } = [];
    public string? Constant { get; init; }
    public string Separator { get; init; } = " ";
    /// <summary>"trim", "lower", "upper", or "date:{format}" (e.g. "date:yyyy-MM-dd").</summary>
    public IReadOnlyList<string> Transforms { get; init; } = [];
    /// <summary>Off: the field is written when the contact is created and then left to the target (enriched data survives updates).</summary>
    public bool OverwriteOnUpdate { get; init; } = true;
}

/// <summary>Targets that name these write them to their own well-known fields.</summary>
public static class ContactFields
{
    public const string Email = "email";
    public const string FirstName = "firstName";
    public const string LastName = "lastName";
    public const string Phone = "phone";
    public const string Company = "company";
    public const string Language = "language";
    public const string CustomerNumber = "customerNumber";
    public const string Street = "street";
    public const string HouseNumber = "houseNumber";
    public const string PostalCode = "postalCode";
    public const string City = "city";
    public const string Country = "country";

    public static readonly IReadOnlyList<string> All =
        [Email, FirstName, LastName, Phone, Company, Language, CustomerNumber, Street, HouseNumber, PostalCode, City, Country];
}

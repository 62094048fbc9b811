using Relay.Targets;

namespace Relay.Settings;

/// <summary>
/// Everything a merchant configures for one shop. Stored as one versioned document; a save names
/// the version it edited, so two admin tabs cannot silently overwrite each other.
/// </summary>
public sealed record ShopSettings
{
    /// <summary>Bumped by every save; 0 means never saved.</summary>
    public int Version { get; init; }
    public DateTimeOffset? UpdatedAt { get; init; }

    /// <summary>Which marketing system, and how to reach it. Credentials are encrypted at rest and never returned by an API.</summary>
    public TargetSettings? Target { get; init; }

    /// <summary>Customers (accounts) and newsletter subscribers carry different fields, so they are mapped separately.</summary>
    public FieldMapping Customers { get; init; } = new();
    public FieldMapping Subscribers { get; init; } = new();

    public UniqueKeyKind UniqueKey { get; init; } = UniqueKeyKind.Email;

    /// <summary>Target lists a contact is put in: Spotler permission bits, SARE group ids, a MiniCRM module.</summary>
    public IReadOnlyList<string> Lists { get; init; } = [];

    /// <summary>GDPR: a customer deleted in the shop is erased (or anonymised) in the target.</summary>
    public bool EraseInTargetOnDelete { get; init; }

    public TimeSpan PullInterval { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>
    /// The IANA zone the shop writes its zone-less times in, when it is not its platform's usual one
    /// (Shoper: <c>Shoper:TimeZone</c>, Europe/Warsaw). Null: the platform's. Platforms that write
    /// instants (Shopware) ignore it.
    /// </summary>
    public string? TimeZone { get; init; }

    /// <summary>Off while the merchant is still setting up: nothing is forwarded or pulled back.</summary>
    public bool SyncEnabled { get; init; }
}

public sealed record TargetSettings
{
    /// <summary>"spotler", "sare", "minicrm" (see <see cref="TargetFactory.Providers"/>).</summary>
    public required string Kind { get; init; }
    public string? BaseUrl { get; init; }
    public IReadOnlyDictionary<string, string> Credentials { get; init; } = new Dictionary<string, string>();
    public IReadOnlyDictionary<string, string> Options { get; init; } = new Dictionary<string, string>();

    public TargetAccount ToAccount(string shopKey) => new()
    {
        Kind = Kind,
        AccountId = $"{shopKey}/{Kind}",
        BaseUrl = BaseUrl,
        Credentials = Credentials,
        Options = Options,
    };
}

public enum UniqueKeyKind { Email, CustomerNumber, ShopId }

public sealed record FieldMapping
{
    public IReadOnlyList<FieldRule> Rules { get; init; } = [];
}

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

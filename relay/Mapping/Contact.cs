namespace Relay.Mapping;

/// <summary>
/// A person as the relay understands it, independent of shop and target. Targets write the
/// canonical fields to their own well-known fields and copy <see cref="Fields"/> verbatim:
/// its keys are target field ids chosen in the mapping editor (from <c>ITarget.DescribeAsync</c>).
/// Consent is deliberately absent: it only travels as a <see cref="ConsentChange"/>, so an
/// upsert can never re-subscribe anyone.
/// </summary>
public sealed record Contact
{
    /// <summary>The configured unique key (customer number, shop id, e-mail…); a target's external id where it has one.</summary>
    public required string Key { get; init; }
    public string? Email { get; init; }
    public string? FirstName { get; init; }
    public string? LastName { get; init; }
    public string? Phone { get; init; }
    public string? Company { get; init; }
    public PostalAddress? Address { get; init; }
    /// <summary>ISO 639-1, e.g. "nl".</summary>
    public string? Language { get; init; }
    public string? CustomerNumber { get; init; }
    public IReadOnlyDictionary<string, string?> Fields { get; init; } = new Dictionary<string, string?>();
}

public sealed record PostalAddress
{
    public string? Street { get; init; }
    public string? HouseNumber { get; init; }
    public string? PostalCode { get; init; }
    public string? City { get; init; }
    /// <summary>ISO 3166-1 alpha-2.</summary>
    public string? Country { get; init; }
}

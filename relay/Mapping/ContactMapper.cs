using System.Globalization;

namespace Relay.Mapping;

/// <summary>A record the mapping cannot turn into a contact (no unique key): retrying will not help.</summary>
public sealed class MappingException(string message) : Exception(message);

/// <summary>
/// Turns a shop record into the canonical <see cref="Contact"/> through a shop's field rules.
/// Pure: whether the contact is new in the target is the caller's knowledge, passed in, because
/// rules with OverwriteOnUpdate=false are written only then and the target keeps its own data
/// (enriched fields survive every later update).
/// </summary>
public static class ContactMapper
{
    /// <summary>The contact's unique key, or null when the record lacks the chosen field. Emails are case-insensitive, so they are lower-cased.</summary>
    public static string? KeyOf(ShopRecord record, UniqueKeyKind uniqueKey) => uniqueKey switch
    {
        UniqueKeyKind.Email => NormalizeEmail(record.Email),
        UniqueKeyKind.CustomerNumber => record.Field(ShopFields.CustomerNumber)?.Trim(),
        UniqueKeyKind.ShopId => record.Field(ShopFields.Id),
        _ => null,
    };

    public static string? NormalizeEmail(string? email) =>
        string.IsNullOrWhiteSpace(email) ? null : email.Trim().ToLowerInvariant();

    public static Contact Map(ShopRecord record, FieldMapping mapping, UniqueKeyKind uniqueKey, bool isCreate)
    {
        var key = KeyOf(record, uniqueKey)
            ?? throw new MappingException($"The {record.Kind.ToString().ToLowerInvariant()} has no {Describe(uniqueKey)}, the configured unique key.");

        // The address travels with every contact: targets without a key match by it, and without it
        // no target can mail anyone. A rule for "email" may still transform it.
        var values = new Dictionary<string, string?>(StringComparer.Ordinal) { [ContactFields.Email] = NormalizeEmail(record.Email) };
        foreach (var rule in mapping.Rules)
        {
            if (!isCreate && !rule.OverwriteOnUpdate) continue;
            // An empty value is left out, not sent: a shop that does not know a field must not blank
            // what the target knows.
            if (ValueOf(rule, record) is { Length: > 0 } value) values[rule.Target] = value;
        }

        string? Take(string name) => values.Remove(name, out var v) ? v : null;
        var address = new PostalAddress
        {
            Street = Take(ContactFields.Street),
            HouseNumber = Take(ContactFields.HouseNumber),
            PostalCode = Take(ContactFields.PostalCode),
            City = Take(ContactFields.City),
            Country = Take(ContactFields.Country),
        };
        return new Contact
        {
            Key = key,
            Email = Take(ContactFields.Email),
            FirstName = Take(ContactFields.FirstName),
            LastName = Take(ContactFields.LastName),
            Phone = Take(ContactFields.Phone),
            Company = Take(ContactFields.Company),
            Language = Take(ContactFields.Language),
            CustomerNumber = Take(ContactFields.CustomerNumber),
            Address = address is { Street: null, HouseNumber: null, PostalCode: null, City: null, Country: null } ? null : address,
            Fields = values,
        };
    }

    /// <summary>The constant, or the non-empty sources joined by the separator, put through the transforms in order.</summary>
    public static string? ValueOf(FieldRule rule, ShopRecord record) => ValueOf(rule, record.Field);

    /// <summary>The same for any record whose fields <paramref name="field"/> reads (null or blank: absent).</summary>
    public static string? ValueOf(FieldRule rule, Func<string, string?> field)
    {
        string? value = rule.Constant ?? (rule.Sources.Count == 0
            ? null
            : string.Join(rule.Separator, rule.Sources.Select(field).Where(v => v is not null)));
        if (string.IsNullOrEmpty(value)) return null;
        foreach (var transform in rule.Transforms)
        {
            value = Apply(transform, value);
            if (value is null) return null;
        }
        return value;
    }

    /// <summary>Null when a date cannot be read: a wrong date is worse than none.</summary>
    public static string? Apply(string transform, string value)
    {
        switch (transform)
        {
            case "trim": return value.Trim();
            case "lower": return value.ToLowerInvariant();
            case "upper": return value.ToUpperInvariant();
        }
        if (DateFormat(transform) is { } format)
            return DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var date)
                ? date.ToString(format, CultureInfo.InvariantCulture)
                : null;
        throw new MappingException($"Unknown transform '{transform}'.");
    }

    /// <summary>"date:yyyy-MM-dd" → "yyyy-MM-dd"; null when <paramref name="transform"/> is no date transform.</summary>
    public static string? DateFormat(string transform) =>
        transform.StartsWith("date:", StringComparison.Ordinal) && transform.Length > 5 ? transform[5..] : null;

    public static bool IsValidTransform(string transform)
    {
        if (transform is "trim" or "lower" or "upper") return true;
        if (DateFormat(transform) is not { } format) return false;
        try
        {
            _ = DateTimeOffset.UnixEpoch.ToString(format, CultureInfo.InvariantCulture);
            return true;
        }
        catch (FormatException)
        {
            return false;
        }
    }

    private static string Describe(UniqueKeyKind key) => key switch
    {
        UniqueKeyKind.Email => "e-mail address",
        UniqueKeyKind.CustomerNumber => "customer number",
        _ => "shop id",
    };
}

namespace Relay.Mapping;

// The canonical records of the point-of-sale flows, independent of till and shop: products and stock
// travel till → shop (orders shop → till are the shared Orders.ShopOrder). Money is in whole cents, as tills count it.

/// <summary>
/// An article as the shop should show it. A product with <see cref="Variants"/> is a parent whose
/// variants differ by <see cref="PosVariant.Options"/> (size, colour…); a simple product has none.
/// </summary>
/// <param name="Sku">The shop's product number; the key of create versus update.</param>
/// <param name="PriceInclCents">Gross price; <see cref="PriceExclCents"/> net. Both, because shops store both.</param>
/// <param name="TaxPercent">Whole percent (21, 9, 0).</param>
public sealed record PosProduct(
    string Sku,
    string Name,
    string? Description,
    string? ShortDescription,
    long PriceInclCents,
    long PriceExclCents,
    int TaxPercent,
    string? Ean,
    bool Active,
    IReadOnlyList<string> CategoryIds,
    IReadOnlyList<PosVariant> Variants)
{
    public IEnumerable<string> AllSkus => Variants.Count == 0 ? [Sku] : Variants.Select(v => v.Sku);

    /// <summary>The till's further fields (brand, supplier's number…), by the names its provider offers the mapping.</summary>
    public IReadOnlyDictionary<string, string?> Fields { get; init; } = new Dictionary<string, string?>();

    /// <summary>What the shop's product mapping made of <see cref="Fields"/>: shop product field → value.</summary>
    public IReadOnlyList<MappedField> Mapped { get; init; } = [];

    public string? Field(string name) => Fields.TryGetValue(name, out var value) && !string.IsNullOrWhiteSpace(value) ? value : null;
}

/// <param name="Target">A shop product field the catalog offers, or "customFields.{name}".</param>
/// <param name="OverwriteOnUpdate">Off: written when the product is created, then left to the merchant.</param>
public sealed record MappedField(string Target, string Value, bool OverwriteOnUpdate);

/// <summary>
/// Further till fields onto shop product fields, through the same <see cref="FieldRule"/>s (sources, constant,
/// separator, transforms, overwrite on update) the contact mapping uses.
/// </summary>
public static class ProductMapper
{
    public static PosProduct Apply(PosProduct product, FieldMapping mapping) => mapping.Rules.Count == 0 ? product : product with
    {
        Mapped = mapping.Rules
            .Select(rule => ContactMapper.ValueOf(rule, product.Field) is { Length: > 0 } value ? new MappedField(rule.Target, value, rule.OverwriteOnUpdate) : null)
            .OfType<MappedField>().ToList(),
    };
}

/// <param name="Options">Property group → value, e.g. Size → M, Colour → Red.</param>
public sealed record PosVariant(string Sku, IReadOnlyDictionary<string, string> Options, long PriceInclCents, long PriceExclCents, string? Ean, bool Active);

/// <summary>A till's article group, as a shop category. <see cref="ParentId"/> null: a top-level one.</summary>
public sealed record PosCategory(string Id, string Name, string? ParentId);

/// <summary>One article's stock as the till counts it (whole units).</summary>
public sealed record StockLevel(string Sku, long Free, long Reserved, long Incoming);

/// <summary>How the number the shop shows is made from a <see cref="StockLevel"/>.</summary>
public enum StockCalculation
{
    /// <summary>Free stock minus what sales have reserved: what can still be sold. The default.</summary>
    FreeMinusReserved,
    Free,
    FreeMinusReservedPlusIncoming,
    FreePlusIncoming,
}

public static class StockCalculations
{
    /// <summary>Never negative: a shop shows an oversold article as out of stock.</summary>
    public static long Apply(this StockCalculation calculation, StockLevel level) => Math.Max(0, calculation switch
    {
        StockCalculation.Free => level.Free,
        StockCalculation.FreeMinusReservedPlusIncoming => level.Free - level.Reserved + level.Incoming,
        StockCalculation.FreePlusIncoming => level.Free + level.Incoming,
        _ => level.Free - level.Reserved,
    });
}

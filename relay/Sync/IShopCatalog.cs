using Relay.Mapping;

namespace Relay.Sync;

/// <summary>
/// The shop side of the point-of-sale flows, one implementation per platform that has one
/// (<see cref="Platforms.IPlatform.Catalog"/>): write products, categories and stock in bulk (orders are
/// read through the platform's <see cref="Orders.IShopOrders"/>). Platform API failures surface as the platform's <see cref="Platforms.ShopApiException"/>s.
/// </summary>
public interface IShopCatalog
{
    /// <summary>Products written per bulk call: a batch costs one call (or a few), never one per product.</summary>
    int BatchSize { get; }

    /// <summary>Product fields a product mapping may fill besides "customFields.{name}" (<see cref="PosProduct.Mapped"/>).</summary>
    IReadOnlyList<string> ProductFields { get; }

    Task UpsertCategoriesAsync(string shopKey, IReadOnlyList<PosCategory> categories, CancellationToken ct);

    /// <summary>
    /// Creates or updates the products by SKU, in bulk. A product that exists is updated only in the field
    /// groups <paramref name="overwrite"/> allows (the merchant's enrichments stay); a new one gets every
    /// field. One outcome per product, in input order.
    /// </summary>
    Task<IReadOnlyList<CatalogOutcome>> UpsertProductsAsync(string shopKey, IReadOnlyList<PosProduct> products, OverwriteOnUpdate overwrite, bool manageStock, CancellationToken ct);

    /// <summary>Sets the stock of the articles with these SKUs; SKUs the shop does not have are returned.</summary>
    Task<IReadOnlyList<string>> SetStockAsync(string shopKey, IReadOnlyList<(string Sku, long Stock)> levels, bool manageStock, CancellationToken ct);
}

/// <param name="Rejected">Why the shop cannot take it (a SKU that belongs to another product…); null: written.</param>
public sealed record CatalogOutcome(string Sku, bool Created, string? Rejected = null);

/// <summary>
/// Which field groups an update of an existing product overwrites. Off: written when the product is
/// created, then left to the merchant (a longer description, a nicer name). Stock is not a field group:
/// it always follows the till.
/// </summary>
public sealed record OverwriteOnUpdate
{
    public bool Name { get; init; }
    public bool Descriptions { get; init; }
    public bool Prices { get; init; } = true;
    public bool Ean { get; init; } = true;
    public bool Categories { get; init; }
    public bool Active { get; init; } = true;
}

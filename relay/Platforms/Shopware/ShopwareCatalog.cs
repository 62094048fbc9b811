using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Relay.Mapping;
using Relay.Sync;

namespace Relay.Platforms.Shopware;

/// <summary>
/// Shopware's Admin API as the shop side of the point-of-sale flows. Products, variants, property groups,
/// categories and taxes are written with <c>_action/sync</c> upserts, a batch of products per call; existing
/// products are found by product number (one search per batch) and updated in place, new ones get ids
/// derived from their SKU, so a repeated write updates rather than duplicates. A variant is a product with
/// <c>parentId</c> and <c>options</c>; its parent lists the options in <c>configuratorSettings</c>.
/// </summary>
public sealed class ShopwareCatalog(IServiceProvider services, IOptions<ShopwareOptions> options, TimeProvider time) : IShopCatalog
{
    /// <summary>Shopware's system currency (Defaults::CURRENCY): every product price must carry it.</summary>
    public const string SystemCurrencyId = "b7d2554b0ce847cd82f3ac9bd1c0dfca";

    /// <summary>Shopware's product visibility "all" (search and listing).</summary>
    private const int VisibleEverywhere = 30;

    private readonly ConcurrentDictionary<string, ShopCatalogCache> _caches = new(StringComparer.Ordinal);

    public int BatchSize => options.Value.CatalogBatchSize;

    /// <summary>Product fields of Shopware's that a mapping may fill: text ones as they are, the dimensions as numbers (mm, kg).</summary>
    private static readonly IReadOnlyList<string> TextFields = ["manufacturerNumber", "metaTitle", "keywords", "packUnit", "packUnitPlural"];
    private static readonly IReadOnlyList<string> NumberFields = ["weight", "width", "height", "length"];

    public IReadOnlyList<string> ProductFields { get; } = [.. TextFields, .. NumberFields];

    private ShopwareAdminClient Client => services.GetRequiredService<ShopwareAdminClient>();

    /// <summary>Ids of rows the relay writes, derived from what they are, so the same till row is always the same shop row.</summary>
    public static string IdOf(string kind, string key) =>
        Convert.ToHexStringLower(MD5.HashData(Encoding.UTF8.GetBytes($"relay-pos/{kind}/{key}")));

    private async Task<(ShopwareAdminClient Client, ShopwareApiAccess Access)> AccessAsync(string shopKey)
    {
        var client = Client;
        var access = await client.AccessForAsync(ShopPlatforms.ShopIdOf(shopKey))
            ?? throw new ShopNotReachableException($"The Shopware shop {shopKey} has no confirmed Admin API access; the app may need a reinstall.");
        return (client, access);
    }

    public async Task UpsertCategoriesAsync(string shopKey, IReadOnlyList<PosCategory> categories, CancellationToken ct)
    {
        if (categories.Count == 0) return;
        var (client, access) = await AccessAsync(shopKey);
        var cache = await CacheAsync(client, access, ct);
        // Parents before children, so a new child never points at a category that is not there yet.
        var ordered = new List<PosCategory>();
        var pending = categories.ToList();
        while (pending.Count > 0)
        {
            var ready = pending.Where(c => c.ParentId is null || ordered.Any(o => o.Id == c.ParentId) || categories.All(o => o.Id != c.ParentId)).ToList();
            if (ready.Count == 0) ready = pending;
            ordered.AddRange(ready);
            pending.RemoveAll(ready.Contains);
        }
        var rows = ordered.Select(c => (object)new Dictionary<string, object?>
        {
            ["id"] = IdOf("category", c.Id),
            ["name"] = c.Name,
            ["parentId"] = c.ParentId is { } parent ? IdOf("category", parent) : cache.NavigationCategoryId,
            ["active"] = true,
        }).ToList();
        foreach (var chunk in rows.Chunk(500))
            await client.SyncAsync(access, [new ShopwareSyncOperation("relay-categories", "category", "upsert", chunk)], ct);
    }

    public async Task<IReadOnlyList<CatalogOutcome>> UpsertProductsAsync(string shopKey, IReadOnlyList<PosProduct> products, OverwriteOnUpdate overwrite, bool manageStock, CancellationToken ct)
    {
        if (products.Count == 0) return [];
        var (client, access) = await AccessAsync(shopKey);
        var cache = await CacheAsync(client, access, ct);
        var existing = await FindBySkuAsync(client, access, products.SelectMany(p => p.Variants.Count == 0 ? [p.Sku] : p.AllSkus.Prepend(p.Sku)).ToList(), ct);

        // Taxes and property options first: the product rows refer to them.
        var setup = SetupOperations(cache, products);
        var outcomes = new CatalogOutcome?[products.Count];
        var writes = new List<(int Index, PosProduct Product, List<object> Rows, bool Created)>();
        foreach (var (product, index) in products.Select((p, i) => (p, i)))
        {
            if (Clash(product, existing) is { } clash)
            {
                outcomes[index] = new CatalogOutcome(product.Sku, false, clash);
                continue;
            }
            var rows = Rows(product, existing, cache, overwrite, manageStock, out var created);
            writes.Add((index, product, rows, created));
        }

        try
        {
            await client.SyncAsync(access, [.. setup, new ShopwareSyncOperation("relay-products", "product", "upsert", writes.SelectMany(w => w.Rows).ToList())], ct);
            foreach (var w in writes) outcomes[w.Index] = new CatalogOutcome(w.Product.Sku, w.Created);
        }
        catch (ShopwareSyncException) when (writes.Count > 1)
        {
            // One refused row fails the whole transaction: write them one by one to find it, and keep the rest.
            if (setup.Count > 0) await client.SyncAsync(access, setup, ct);
            foreach (var w in writes)
            {
                try
                {
                    await client.SyncAsync(access, [new ShopwareSyncOperation("relay-product", "product", "upsert", w.Rows)], ct);
                    outcomes[w.Index] = new CatalogOutcome(w.Product.Sku, w.Created);
                }
                catch (ShopwareSyncException e)
                {
                    outcomes[w.Index] = new CatalogOutcome(w.Product.Sku, false, e.Message);
                }
            }
        }
        catch (ShopwareSyncException e)
        {
            outcomes[writes[0].Index] = new CatalogOutcome(writes[0].Product.Sku, false, e.Message);
        }
        catch (Exception) when (setup.Count > 0)
        {
            // The taxes and options of this call may not be in the shop: the next batch looks again rather than trust the cache.
            cache.Forget();
            throw;
        }
        foreach (var w in writes)
            foreach (var sku in w.Product.AllSkus.Append(w.Product.Sku))
                cache.ProductIds[sku] = ProductId(sku, existing);
        return outcomes.Select(o => o!).ToList();
    }

    /// <summary>
    /// The shop has the SKU on a product of another shape: a variant of some other product where the till has a
    /// product of its own, or a standalone product (or another product's variant) where the till has a variant.
    /// Writing would take that product over, so the till's product waits for the merchant instead.
    /// </summary>
    private static string? Clash(PosProduct product, Dictionary<string, ExistingProduct> existing)
    {
        if (existing.TryGetValue(product.Sku, out var own) && own.ParentId is not null)
            return $"SKU {product.Sku} belongs to a variant of another product in the shop; rename one of them.";
        var parentId = ProductId(product.Sku, existing);
        foreach (var variant in product.Variants)
            if (existing.TryGetValue(variant.Sku, out var row) && row.ParentId != parentId)
                return $"SKU {variant.Sku} belongs to {(row.ParentId is null ? "a product of its own" : "a variant of another product")} in the shop, not to {product.Sku}; rename one of them.";
        return null;
    }

    /// <summary>The mapped fields (a custom field per key, merged by Shopware into the stored ones); a number that is none is left out.</summary>
    private static void WriteMapped(Dictionary<string, object?> row, IReadOnlyList<MappedField> mapped, bool isNew)
    {
        var customFields = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var field in mapped.Where(f => isNew || f.OverwriteOnUpdate))
        {
            if (ShopFields.IsCustomField(field.Target)) customFields[field.Target[ShopFields.CustomFieldPrefix.Length..]] = field.Value;
            else if (TextFields.Contains(field.Target)) row[field.Target] = field.Value;
            else if (NumberFields.Contains(field.Target) && decimal.TryParse(field.Value, NumberStyles.Number, CultureInfo.InvariantCulture, out var number)) row[field.Target] = number;
        }
        if (customFields.Count > 0) row["customFields"] = customFields;
    }

    private static string ProductId(string sku, Dictionary<string, ExistingProduct> existing) =>
        existing.TryGetValue(sku, out var row) ? row.Id : IdOf("product", sku);

    private static List<object> Rows(PosProduct product, Dictionary<string, ExistingProduct> existing, ShopCatalogCache cache, OverwriteOnUpdate overwrite, bool manageStock, out bool created)
    {
        var id = ProductId(product.Sku, existing);
        created = !existing.ContainsKey(product.Sku);
        var isNew = created;
        var row = new Dictionary<string, object?> { ["id"] = id, ["productNumber"] = product.Sku };
        if (isNew || overwrite.Name) row["name"] = product.Name;
        if (isNew || overwrite.Descriptions)
        {
            row["description"] = product.Description;
            // Shopware has no short description of its own; the meta description is what listings and search engines show.
            row["metaDescription"] = product.ShortDescription;
        }
        if (isNew || overwrite.Prices)
        {
            row["taxId"] = cache.TaxIds[product.TaxPercent];
            row["price"] = Price(product.PriceInclCents, product.PriceExclCents);
        }
        if ((isNew || overwrite.Ean) && product.Variants.Count == 0) row["ean"] = product.Ean;
        if (isNew || overwrite.Active) row["active"] = product.Active;
        if ((isNew || overwrite.Categories) && product.CategoryIds.Count > 0)
            row["categories"] = product.CategoryIds.Select(c => new { id = IdOf("category", c) }).ToList();
        WriteMapped(row, product.Mapped, isNew);
        if (isNew)
        {
            // Stock follows the till through the stock flow; a new product starts empty until its first stock arrives.
            row["stock"] = 0;
            row["isCloseout"] = manageStock;
            row["visibilities"] = cache.SalesChannelIds.Select(sc => new { id = IdOf("visibility", id + sc), salesChannelId = sc, visibility = VisibleEverywhere }).ToList();
        }
        if (product.Variants.Count > 0)
            row["configuratorSettings"] = product.Variants.SelectMany(v => v.Options).Distinct()
                .Select(o => new { id = IdOf("configurator", id + OptionId(o.Key, o.Value)), optionId = OptionId(o.Key, o.Value) }).ToList();
        var rows = new List<object> { row };
        foreach (var variant in product.Variants)
        {
            var variantIsNew = !existing.ContainsKey(variant.Sku);
            var v = new Dictionary<string, object?>
            {
                ["id"] = ProductId(variant.Sku, existing),
                ["parentId"] = id,
                ["productNumber"] = variant.Sku,
                ["options"] = variant.Options.Select(o => new { id = OptionId(o.Key, o.Value) }).ToList(),
            };
            if (variantIsNew || overwrite.Prices) v["price"] = Price(variant.PriceInclCents, variant.PriceExclCents);
            if (variantIsNew || overwrite.Ean) v["ean"] = variant.Ean;
            if (variantIsNew || overwrite.Active) v["active"] = variant.Active;
            if (variantIsNew)
            {
                v["stock"] = 0;
                v["isCloseout"] = manageStock;
            }
            rows.Add(v);
        }
        return rows;
    }

    private static object[] Price(long inclCents, long exclCents) =>
        [new { currencyId = SystemCurrencyId, gross = inclCents / 100m, net = exclCents / 100m, linked = false }];

    private static string OptionId(string group, string value) => IdOf("property-option", group + "\n" + value);

    /// <summary>Taxes and property groups the batch needs and the shop does not have yet, written in the same call, first.</summary>
    private static List<ShopwareSyncOperation> SetupOperations(ShopCatalogCache cache, IReadOnlyList<PosProduct> products)
    {
        var groups = products.SelectMany(p => p.Variants).SelectMany(v => v.Options)
            .GroupBy(o => o.Key, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Select(o => o.Value).ToHashSet(StringComparer.Ordinal), StringComparer.Ordinal);
        var operations = new List<ShopwareSyncOperation>();
        var taxes = products.Select(p => p.TaxPercent).Distinct().Where(rate => !cache.TaxIds.ContainsKey(rate)).ToList();
        if (taxes.Count > 0)
        {
            foreach (var rate in taxes) cache.TaxIds[rate] = IdOf("tax", rate.ToString(CultureInfo.InvariantCulture));
            operations.Add(new ShopwareSyncOperation("relay-taxes", "tax", "upsert",
                taxes.Select(rate => (object)new { id = cache.TaxIds[rate], name = $"{rate} %", taxRate = rate }).ToList()));
        }
        var newGroups = groups.Select(g => (Group: g.Key, Options: g.Value.Where(v => !cache.KnownOptions.ContainsKey(OptionId(g.Key, v))).ToList()))
            .Where(g => g.Options.Count > 0).ToList();
        if (newGroups.Count > 0)
        {
            operations.Add(new ShopwareSyncOperation("relay-properties", "property_group", "upsert", newGroups.Select(g => (object)new
            {
                id = IdOf("property-group", g.Group),
                name = g.Group,
                displayType = "text",
                sortingType = "alphanumeric",
                options = g.Options.Select(v => new { id = OptionId(g.Group, v), name = v }).ToList(),
            }).ToList()));
            foreach (var g in newGroups)
                foreach (var v in g.Options) cache.KnownOptions[OptionId(g.Group, v)] = 0;
        }
        return operations;
    }

    private sealed record ExistingProduct(string Id, string ProductNumber, string? ParentId);

    private async Task<Dictionary<string, ExistingProduct>> FindBySkuAsync(ShopwareAdminClient client, ShopwareApiAccess access, IReadOnlyList<string> skus, CancellationToken ct)
    {
        var found = new Dictionary<string, ExistingProduct>(StringComparer.Ordinal);
        foreach (var chunk in skus.Distinct().Chunk(options.Value.SearchPageSize))
        {
            var result = await client.SearchAsync<ExistingProduct>(access, "product", new ShopwareCriteria
            {
                Limit = chunk.Length,
                TotalCountMode = 0,
                Filter = [ShopwareFilter.EqualsAny("productNumber", chunk)],
                Includes = new Dictionary<string, string[]> { ["product"] = ["id", "productNumber", "parentId"] },
            }, ct);
            foreach (var row in result.Data) found[row.ProductNumber] = row;
        }
        return found;
    }

    public async Task<IReadOnlyList<string>> SetStockAsync(string shopKey, IReadOnlyList<(string Sku, long Stock)> levels, bool manageStock, CancellationToken ct)
    {
        if (levels.Count == 0) return [];
        var (client, access) = await AccessAsync(shopKey);
        var cache = await CacheAsync(client, access, ct);
        var unknown = levels.Select(l => l.Sku).Where(s => !cache.ProductIds.ContainsKey(s)).ToList();
        if (unknown.Count > 0)
            foreach (var (sku, row) in await FindBySkuAsync(client, access, unknown, ct))
                cache.ProductIds[sku] = row.Id;
        var missing = levels.Where(l => !cache.ProductIds.ContainsKey(l.Sku)).Select(l => l.Sku).ToList();
        var rows = levels.Where(l => cache.ProductIds.ContainsKey(l.Sku))
            .Select(l => (object)new { id = cache.ProductIds[l.Sku], stock = l.Stock, isCloseout = manageStock }).ToList();
        foreach (var chunk in rows.Chunk(500))
            await client.SyncAsync(access, [new ShopwareSyncOperation("relay-stock", "product", "upsert", chunk)], ct);
        return missing;
    }

    /// <summary>What a shop's catalog writes look up again and again: tax ids by rate, sales channels, options written, product ids by SKU.</summary>
    private sealed class ShopCatalogCache
    {
        public ConcurrentDictionary<int, string> TaxIds { get; } = new();
        /// <summary>Property options written (or found) already, as a set.</summary>
        public ConcurrentDictionary<string, byte> KnownOptions { get; } = new(StringComparer.Ordinal);
        public ConcurrentDictionary<string, string> ProductIds { get; } = new(StringComparer.Ordinal);
        public IReadOnlyList<string> SalesChannelIds { get; set; } = [];
        public string? NavigationCategoryId { get; set; }
        public DateTimeOffset LoadedAt { get; set; }

        public void Forget()
        {
            KnownOptions.Clear();
            TaxIds.Clear();
            LoadedAt = default;
        }
    }

    private sealed record SalesChannelRow(string Id, string? NavigationCategoryId);
    private sealed record TaxRow(string Id, decimal TaxRate);

    /// <summary>Loaded once per shop and kept a while: the tax ids and sales channels change rarely, and a till writes often.</summary>
    private async Task<ShopCatalogCache> CacheAsync(ShopwareAdminClient client, ShopwareApiAccess access, CancellationToken ct)
    {
        var cache = _caches.GetOrAdd(access.ShopKey, _ => new ShopCatalogCache());
        if (cache.LoadedAt != default && time.GetUtcNow() - cache.LoadedAt < TimeSpan.FromMinutes(10)) return cache;
        var taxes = await client.SearchAsync<TaxRow>(access, "tax", new ShopwareCriteria { Limit = 100, TotalCountMode = 0 }, ct);
        foreach (var tax in taxes.Data) cache.TaxIds.TryAdd((int)Math.Round(tax.TaxRate), tax.Id);
        var channels = await client.SearchAsync<SalesChannelRow>(access, "sales-channel", new ShopwareCriteria { Limit = 100, TotalCountMode = 0 }, ct);
        cache.SalesChannelIds = channels.Data.Select(c => c.Id).ToList();
        cache.NavigationCategoryId = channels.Data.Select(c => c.NavigationCategoryId).FirstOrDefault(n => n is not null);
        cache.LoadedAt = time.GetUtcNow();
        return cache;
    }
}

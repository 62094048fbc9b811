using System.Globalization;
using System.Text.Json;
using Relay.Orders;

namespace Relay.Platforms.Shoper;

/// <summary>
/// Shoper's orders (shoper.md §4 "Orders"): <c>orders</c> with its <c>order-products</c> (lines),
/// <c>statuses</c> for the pairing and <c>currencies</c> for the ISO code. Times are zone-less in the shop's
/// zone. There is no "modified since" primitive: a changed order is found by its <c>status_date</c> (a
/// status change) and edits arrive through the webhooks. A coupon is the order's <c>promo_code</c>, worth
/// what the lines and shipping come to above the order's sum.
/// </summary>
public sealed class ShoperOrders(IServiceProvider services, ShoperContacts contacts, TimeProvider time) : IShopOrders
{
    /// <summary>How long a shop's currencies and statuses are used before they are read again (a name not among them is read at once).</summary>
    private static readonly TimeSpan LookupsKept = TimeSpan.FromMinutes(5);

    /// <summary>A shop's currency ids → ISO codes, its status ids, and those of type 4 ("not completed": cancelled, rejected, returned).</summary>
    private sealed record Lookups(IReadOnlyDictionary<string, string> Currencies, IReadOnlySet<string> Statuses, IReadOnlySet<string> Voided, DateTimeOffset ReadAt);

    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, Lookups> _lookups = new(StringComparer.Ordinal);

    private ShoperClient Client => services.GetRequiredService<ShoperClient>();

    public async Task<IReadOnlyList<OrderStatus>> ListStatusesAsync(string shopKey, CancellationToken ct)
    {
        var statuses = new List<OrderStatus>();
        await foreach (var status in Client.ListAllAsync(shopKey, "statuses", null, ct))
            if (JsonFields.Str(status, "status_id") is { } id)
                statuses.Add(new OrderStatus(id, NameOf(status) ?? $"Status {id}"));
        return statuses;
    }

    /// <summary>A status's name: its own, or the first translation's (statuses are translated per language).</summary>
    private static string? NameOf(JsonElement status) =>
        JsonFields.Str(status, "name") ?? (status.TryGetProperty("translations", out var t) && t.ValueKind == JsonValueKind.Object
            ? t.EnumerateObject().Select(l => JsonFields.Str(l.Value, "name")).FirstOrDefault(n => n is not null)
            : null);

    public async Task<ShopOrder?> GetAsync(string shopKey, string orderId, CancellationToken ct)
    {
        var page = await Client.ListAsync<JsonElement>(shopKey, "orders", 1, 1, new Dictionary<string, object?> { ["order_id"] = orderId }, ct);
        return page.List.Count == 0 ? null : (await ToOrdersAsync(shopKey, page.List, withLines: true, ct))[0];
    }

    public Task<OrderPage> ReadChangedAsync(string shopKey, DateTimeOffset? since, string? position, CancellationToken ct) =>
        ReadAsync(shopKey, since, position, withLines: true, ct);

    /// <summary>Without order-products: a page of 50 orders is then one call (its lines would be a few more) in Shoper's small bucket.</summary>
    public Task<OrderPage> ReadSummariesAsync(string shopKey, string? position, CancellationToken ct) =>
        ReadAsync(shopKey, null, position, withLines: false, ct);

    private async Task<OrderPage> ReadAsync(string shopKey, DateTimeOffset? since, string? position, bool withLines, CancellationToken ct)
    {
        var number = position is null ? 1 : int.Parse(position, CultureInfo.InvariantCulture);
        Dictionary<string, object?>? filters = null;
        if (since is { } from)
            filters = new() { ["status_date"] = new Dictionary<string, object?> { [">="] = ZonelessTime.Write(from, await contacts.ZoneOfAsync(shopKey), "yyyy-MM-dd HH:mm:ss") } };
        var page = await Client.ListAsync<JsonElement>(shopKey, "orders", number, ShoperClient.MaxPageSize, filters, ct);
        var orders = await ToOrdersAsync(shopKey, page.List, withLines, ct);
        return new OrderPage(orders, number >= page.Pages || page.List.Count < ShoperClient.MaxPageSize ? null : (number + 1).ToString(CultureInfo.InvariantCulture), page.Count);
    }

    private async Task<List<ShopOrder>> ToOrdersAsync(string shopKey, IReadOnlyList<JsonElement> rows, bool withLines, CancellationToken ct)
    {
        if (rows.Count == 0) return [];
        var zone = await contacts.ZoneOfAsync(shopKey);
        var lookups = await LookupsAsync(shopKey, rows, ct);
        var byOrder = Enumerable.Empty<JsonElement>().ToLookup(l => JsonFields.Str(l, "order_id"));
        if (withLines)
        {
            var ids = rows.Select(r => JsonFields.Str(r, "order_id")).OfType<string>().ToArray();
            var lines = new List<JsonElement>();
            await foreach (var line in Client.ListAllAsync(shopKey, "order-products", new Dictionary<string, object?> { ["order_id"] = new Dictionary<string, object?> { ["in"] = ids } }, ct))
                lines.Add(line);
            byOrder = lines.ToLookup(l => JsonFields.Str(l, "order_id"));
        }
        // Status type 4 is "not completed" (cancelled, rejected, returned): such an order counts in no purchase figures.
        return rows.Select(r => ToOrder(r, byOrder[JsonFields.Str(r, "order_id")], lookups.Currencies, zone))
            .Select(o => lookups.Voided.Contains(o.StatusId) ? o with { Voided = true } : o).ToList();
    }

    /// <summary>
    /// The shop's currencies and statuses, read once for a run of pages (two calls of Shoper's small bucket each
    /// time otherwise), again after a few minutes or as soon as an order names a currency or status not among them.
    /// </summary>
    private async Task<Lookups> LookupsAsync(string shopKey, IReadOnlyList<JsonElement> rows, CancellationToken ct)
    {
        if (_lookups.TryGetValue(shopKey, out var kept) && time.GetUtcNow() - kept.ReadAt < LookupsKept
            && rows.All(r => (JsonFields.Str(r, "currency_id") is not { } c || kept.Currencies.ContainsKey(c)) && (JsonFields.Str(r, "status_id") is not { } s || kept.Statuses.Contains(s))))
            return kept;
        var currencies = new Dictionary<string, string>(StringComparer.Ordinal);
        await foreach (var currency in Client.ListAllAsync(shopKey, "currencies", null, ct))
            if (JsonFields.Str(currency, "currency_id") is { } id && JsonFields.Str(currency, "name") is { } code) currencies[id] = code;
        var statuses = new HashSet<string>(StringComparer.Ordinal);
        var voided = new HashSet<string>(StringComparer.Ordinal);
        await foreach (var status in Client.ListAllAsync(shopKey, "statuses", null, ct))
        {
            if (JsonFields.Str(status, "status_id") is not { } id) continue;
            statuses.Add(id);
            if (JsonFields.Str(status, "type") == "4") voided.Add(id);
        }
        return _lookups[shopKey] = new Lookups(currencies, statuses, voided, time.GetUtcNow());
    }

    public static ShopOrder ToOrder(JsonElement row, IEnumerable<JsonElement> products, IReadOnlyDictionary<string, string> currencies, TimeZoneInfo zone)
    {
        var billing = row.TryGetProperty("billing_address", out var b) && b.ValueKind == JsonValueKind.Object ? b : default;
        var lines = new List<OrderLine>();
        decimal gross = 0, lastRate = 0;
        foreach (var product in products)
        {
            var quantity = Dec(product, "quantity") is var q and > 0 ? q : 1;
            var unitGross = Dec(product, "price");
            var rate = Dec(product, "tax_value");
            gross += unitGross * quantity;
            lastRate = rate;
            lines.Add(new OrderLine(OrderLineKind.Product, JsonFields.Str(product, "name") ?? "", quantity, Net(unitGross, rate), rate,
                JsonFields.Str(product, "code"), JsonFields.Str(product, "unit")));
        }
        var shipping = Dec(row, "shipping_cost");
        if (shipping != 0)
        {
            lines.Add(new OrderLine(OrderLineKind.Shipping, "Shipping", 1, Net(shipping, lastRate), lastRate));
            gross += shipping;
        }
        var sum = Dec(row, "sum");
        if (JsonFields.Str(row, "promo_code") is { Length: > 0 } code && gross - sum is var off and > 0)
            lines.Add(new OrderLine(OrderLineKind.Coupon, code, 1, -Net(off, lastRate), lastRate));

        return new ShopOrder
        {
            Id = JsonFields.Str(row, "order_id") ?? "",
            Number = JsonFields.Str(row, "order_id") ?? "",
            StatusId = JsonFields.Str(row, "status_id") ?? "",
            Email = JsonFields.Str(row, "email"),
            CustomerId = JsonFields.Str(row, "user_id") is { } user and not "0" ? user : null,
            FirstName = billing.ValueKind == JsonValueKind.Object ? JsonFields.Str(billing, "firstname") : null,
            LastName = billing.ValueKind == JsonValueKind.Object ? JsonFields.Str(billing, "lastname") : null,
            Company = billing.ValueKind == JsonValueKind.Object ? JsonFields.Str(billing, "company") : null,
            Phone = billing.ValueKind == JsonValueKind.Object ? JsonFields.Str(billing, "phone") : null,
            Currency = JsonFields.Str(row, "currency_id") is { } currencyId && currencies.TryGetValue(currencyId, out var iso) ? iso : "",
            PlacedAt = ZonelessTime.Read(JsonFields.Str(row, "date"), zone) ?? DateTimeOffset.UnixEpoch,
            Total = sum,
            Lines = lines,
        };
    }

    /// <summary>Shoper prices are gross; the net unit price at the line's tax rate.</summary>
    private static decimal Net(decimal gross, decimal ratePercent) => Math.Round(gross / (1 + ratePercent / 100), 4);

    private static decimal Dec(JsonElement e, string name) =>
        JsonFields.Str(e, name) is { } text && decimal.TryParse(text, NumberStyles.Number, CultureInfo.InvariantCulture, out var d) ? d : 0;
}

using System.Globalization;
using System.Text;
using System.Text.Json;
using Relay.Orders;

namespace Relay.Platforms.Shoprenter;

/// <summary>
/// Shoprenter's orders: <c>orderExtend</c> (the order with its orderProducts, orderTotals, currency and
/// coupon in one read), found by <c>updatedAtMin</c> in the shop's zone, abandoned carts left out; the
/// statuses for the pairing are <c>orderStatuses</c>, named per language by <c>orderStatusDescriptions</c>.
/// Product prices are net with their tax rate; the totals (shipping, payment fee, coupon) are gross.
/// </summary>
public sealed class ShoprenterOrders(IServiceProvider services, ShoprenterContacts contacts) : IShopOrders
{
    public const string Resource = "orderExtend";

    private ShoprenterClient Client => services.GetRequiredService<ShoprenterClient>();

    /// <summary>The REST id of an order from a webhook's innerId: base64 of "order-order_id={innerId}".</summary>
    public static string OrderId(string innerId) => Convert.ToBase64String(Encoding.UTF8.GetBytes("order-order_id=" + innerId));

    public async Task<IReadOnlyList<OrderStatus>> ListStatusesAsync(string shopKey, CancellationToken ct)
    {
        var client = Client;
        // One name per status: the first description the shop lists (one per language; the admin's own comes first).
        var names = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var page = 0; ; page++)
        {
            var result = await client.ListAsync(shopKey, "orderStatusDescriptions", page, ct: ct);
            foreach (var description in result.Items)
                if (IdOf(description, "orderStatus") is { } statusId && JsonFields.Str(description, "name") is { } name)
                    names.TryAdd(statusId, name);
            if (!result.HasNext || result.Items.Count == 0) break;
        }
        var statuses = new List<OrderStatus>();
        for (var page = 0; ; page++)
        {
            var result = await client.ListAsync(shopKey, "orderStatuses", page, ct: ct);
            foreach (var status in result.Items)
                if (JsonFields.Str(status, "id") is { } id)
                    statuses.Add(new OrderStatus(id, names.GetValueOrDefault(id) ?? $"Status {InnerIdOf(id) ?? id}"));
            if (!result.HasNext || result.Items.Count == 0) break;
        }
        return statuses;
    }

    public async Task<ShopOrder?> GetAsync(string shopKey, string orderId, CancellationToken ct)
    {
        var rows = await Client.GetManyAsync(shopKey, Resource, [orderId], ct);
        return rows.Count == 0 ? null : ToOrder(rows[0], await contacts.ZoneOfAsync(shopKey));
    }

    public async Task<OrderPage> ReadChangedAsync(string shopKey, DateTimeOffset? since, string? position, CancellationToken ct)
    {
        var page = position is null ? 0 : int.Parse(position, CultureInfo.InvariantCulture);
        var zone = await contacts.ZoneOfAsync(shopKey);
        var filters = new Dictionary<string, string> { ["excludeAbandonedCart"] = "1" };
        if (since is { } from) filters["updatedAtMin"] = ZonelessTime.Write(from, zone);
        var result = await Client.ListAsync(shopKey, Resource, page, filters: filters, ct: ct);
        return new OrderPage(result.Items.Select(row => ToOrder(row, zone)).ToList(),
            result.HasNext && result.Items.Count > 0 ? (page + 1).ToString(CultureInfo.InvariantCulture) : null, null);
    }

    public static ShopOrder ToOrder(JsonElement row, TimeZoneInfo zone)
    {
        var lines = new List<OrderLine>();
        decimal lastRate = 0;
        if (row.TryGetProperty("orderProducts", out var products) && products.ValueKind == JsonValueKind.Array)
            foreach (var product in products.EnumerateArray())
            {
                var rate = Dec(product, "taxRate");
                lastRate = rate;
                var stock = Dec(product, "stock1") + Dec(product, "stock2") + Dec(product, "stock3") + Dec(product, "stock4");
                var unit = JsonFields.Str(product, "priceCurrency") is not null ? Dec(product, "priceCurrency") : Dec(product, "price");
                var quantity = stock > 0 ? stock : unit != 0 ? Dec(product, "total") / unit : 1;
                lines.Add(new OrderLine(OrderLineKind.Product, JsonFields.Str(product, "name") ?? "", quantity, unit, rate, JsonFields.Str(product, "sku")));
            }
        decimal? total = null;
        if (row.TryGetProperty("orderTotals", out var totals) && totals.ValueKind == JsonValueKind.Array)
            foreach (var item in totals.EnumerateArray())
            {
                var value = Dec(item, "value");
                switch (JsonFields.Str(item, "type"))
                {
                    case "TOTAL":
                        total = value;
                        break;
                    case "SHIPPING" when value != 0:
                        var shippingRate = Rate(row, "shippingMethodTaxRate", lastRate);
                        lines.Add(new OrderLine(OrderLineKind.Shipping, JsonFields.Str(row, "shippingMethodName") ?? "Shipping", 1, Net(value, shippingRate), shippingRate));
                        break;
                    case "PAYMENT" when value != 0:
                        var paymentRate = Rate(row, "paymentMethodTaxRate", lastRate);
                        lines.Add(new OrderLine(OrderLineKind.Fee, JsonFields.Str(row, "paymentMethodName") ?? "Payment fee", 1, Net(value, paymentRate), paymentRate));
                        break;
                    case "COUPON" when value != 0:
                        var couponRate = Rate(row, "couponTaxRate", lastRate);
                        var code = row.TryGetProperty("coupon", out var coupon) && coupon.ValueKind == JsonValueKind.Object ? JsonFields.Str(coupon, "code") : null;
                        lines.Add(new OrderLine(OrderLineKind.Coupon, code ?? JsonFields.Str(item, "name") ?? "Coupon", 1, -Net(Math.Abs(value), couponRate), couponRate));
                        break;
                }
            }
        var currency = row.TryGetProperty("currency", out var c) && c.ValueKind == JsonValueKind.Object ? JsonFields.Str(c, "code") ?? JsonFields.Str(c, "name") : null;
        return new ShopOrder
        {
            Id = JsonFields.Str(row, "id") ?? "",
            Number = JsonFields.Str(row, "innerId") ?? JsonFields.Str(row, "id") ?? "",
            StatusId = IdOf(row, "orderStatus") ?? "",
            Email = JsonFields.Str(row, "email"),
            CustomerId = IdOf(row, "customer"),
            FirstName = JsonFields.Str(row, "firstname"),
            LastName = JsonFields.Str(row, "lastname"),
            Company = JsonFields.Str(row, "paymentCompany") is { Length: > 0 } company ? company : null,
            Phone = JsonFields.Str(row, "phone"),
            Currency = currency ?? "",
            PlacedAt = ZonelessTime.Read(JsonFields.Str(row, "dateCreated"), zone) ?? DateTimeOffset.UnixEpoch,
            Total = total ?? Dec(row, "total"),
            PaymentMethod = JsonFields.Str(row, "paymentMethodName"),
            ShippingMethod = JsonFields.Str(row, "shippingMethodName"),
            Lines = lines,
        };
    }

    /// <summary>A linked resource's id: its "id", else the last segment of its href.</summary>
    private static string? IdOf(JsonElement row, string link) =>
        row.TryGetProperty(link, out var l) && l.ValueKind == JsonValueKind.Object
            ? JsonFields.Str(l, "id") ?? (JsonFields.Str(l, "href") is { } href ? Uri.UnescapeDataString(href[(href.LastIndexOf('/') + 1)..]) : null)
            : null;

    /// <summary>The number in a base64 id ("orderStatus-order_status_id=5" → 5), for a label.</summary>
    private static string? InnerIdOf(string id)
    {
        try
        {
            var text = Encoding.UTF8.GetString(Convert.FromBase64String(id));
            return text[(text.LastIndexOf('=') + 1)..];
        }
        catch (FormatException)
        {
            return null;
        }
    }

    /// <summary>A tax rate the order states (Shoprenter writes -1 for none), else the products'.</summary>
    private static decimal Rate(JsonElement row, string name, decimal fallback) => Dec(row, name) is var rate and >= 0 && JsonFields.Str(row, name) is not null ? rate : fallback;

    private static decimal Net(decimal gross, decimal ratePercent) => Math.Round(gross / (1 + ratePercent / 100), 4);

    private static decimal Dec(JsonElement e, string name) =>
        JsonFields.Str(e, name) is { } text && decimal.TryParse(text, NumberStyles.Number, CultureInfo.InvariantCulture, out var d) ? d : 0;
}

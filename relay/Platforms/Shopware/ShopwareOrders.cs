using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Relay.Orders;
using Relay.Sync;

namespace Relay.Platforms.Shopware;

/// <summary>
/// Shopware's orders through the Admin API search (<c>order</c> with lineItems, deliveries, transactions,
/// orderCustomer, currency and stateMachineState; <c>state-machine-state</c> for the statuses). An order
/// lives in three state machines; the status the merchant pairs is one of two: the order's own
/// (<c>order:…</c>) once it is completed or cancelled, before that its latest payment's
/// (<c>payment:…</c>), so "paid" and "refunded" can be paired as MiniCRM's webshop integrations do.
/// </summary>
public sealed class ShopwareOrders(IServiceProvider services, IOptions<ShopwareOptions> options) : IShopOrders
{
    public const string OrderMachine = "order.state", PaymentMachine = "order_transaction.state";

    private static readonly Dictionary<string, string[]> Associations = new()
    {
        ["lineItems"] = [], ["deliveries"] = [], ["transactions"] = [], ["orderCustomer"] = [], ["currency"] = [], ["stateMachineState"] = [],
        ["billingAddress"] = ["country"],
    };

    /// <summary>What an order's status, buyer and total need: no lines or deliveries, so pages as large as the shop allows.</summary>
    private static readonly string[] SummaryAssociations = ["transactions", "orderCustomer", "currency", "stateMachineState"];

    private ShopwareAdminClient Client => services.GetRequiredService<ShopwareAdminClient>();

    private static async Task<ShopwareApiAccess> AccessAsync(ShopwareAdminClient client, string shopKey) =>
        await client.AccessForAsync(ShopPlatforms.ShopIdOf(shopKey))
        ?? throw new ShopNotReachableException($"The Shopware shop {shopKey} has no confirmed Admin API access; the app may need a reinstall.");

    public async Task<IReadOnlyList<OrderStatus>> ListStatusesAsync(string shopKey, CancellationToken ct)
    {
        var client = Client;
        var access = await AccessAsync(client, shopKey);
        var result = await client.SearchAsync<JsonElement>(access, "state-machine-state", new ShopwareCriteria
        {
            Limit = 100,
            Filter = [ShopwareFilter.EqualsAny("stateMachine.technicalName", OrderMachine, PaymentMachine)],
            Sort = [new ShopwareSort("technicalName")],
            Associations = new Dictionary<string, object> { ["stateMachine"] = new { } },
        }, ct);
        return result.Data
            .Select(s => (Machine: s.TryGetProperty("stateMachine", out var m) ? JsonFields.Str(m, "technicalName") : null, Name: JsonFields.Str(s, "technicalName"), Label: JsonFields.Str(s, "name")))
            .Where(s => s.Name is not null && s.Machine is OrderMachine or PaymentMachine)
            .Select(s => s.Machine == OrderMachine
                ? new OrderStatus("order:" + s.Name, $"Order: {s.Label ?? s.Name}")
                : new OrderStatus("payment:" + s.Name, $"Payment: {s.Label ?? s.Name}"))
            .OrderBy(s => s.Id, StringComparer.Ordinal)
            .ToList();
    }

    public async Task<ShopOrder?> GetAsync(string shopKey, string orderId, CancellationToken ct)
    {
        var client = Client;
        var access = await AccessAsync(client, shopKey);
        var result = await client.SearchAsync<JsonElement>(access, "order", new ShopwareCriteria
        {
            Limit = 1,
            Filter = [ShopwareFilter.EqualTo("id", orderId)],
            Associations = Criteria(Associations),
        }, ct);
        return result.Data.Count == 0 ? null : ToOrder(result.Data[0]);
    }

    // Line items come with each order: a page of 500 orders of many lines is a large answer, so pages are smaller than for contacts.
    public Task<OrderPage> ReadChangedAsync(string shopKey, DateTimeOffset? since, string? position, CancellationToken ct) =>
        ReadAsync(shopKey, since, position, Math.Min(options.Value.SearchPageSize, 100), Associations, ct);

    public Task<OrderPage> ReadSummariesAsync(string shopKey, string? position, CancellationToken ct) =>
        ReadAsync(shopKey, null, position, options.Value.SearchPageSize, SummaryAssociations.ToDictionary(a => a, _ => Array.Empty<string>()), ct);

    /// <summary>Each association with the ones it needs loaded in turn (the billing address's country).</summary>
    private static Dictionary<string, object> Criteria(IReadOnlyDictionary<string, string[]> associations) =>
        associations.ToDictionary(a => a.Key, object (a) => a.Value.Length == 0
            ? new { }
            : new { associations = a.Value.ToDictionary(n => n, object (_) => new { }) });

    private async Task<OrderPage> ReadAsync(string shopKey, DateTimeOffset? since, string? position, int limit, IReadOnlyDictionary<string, string[]> associations, CancellationToken ct)
    {
        var client = Client;
        var access = await AccessAsync(client, shopKey);
        var page = position is null ? 1 : int.Parse(position, CultureInfo.InvariantCulture);
        // Shopware leaves updatedAt empty until the first change: new orders are found by createdAt.
        IReadOnlyList<ShopwareFilter>? filter = since is { } from
            ? [ShopwareFilter.Any(ShopwareFilter.Since("createdAt", from), ShopwareFilter.Since("updatedAt", from))]
            : null;
        var result = await client.SearchAsync<JsonElement>(access, "order", new ShopwareCriteria
        {
            Page = page,
            Limit = limit,
            Filter = filter,
            // Sorted by creation: an order changed while the sync runs keeps its place.
            Sort = [new ShopwareSort("createdAt"), new ShopwareSort("id")],
            Associations = Criteria(associations),
        }, ct);
        var orders = result.Data.Select(ToOrder).ToList();
        return new OrderPage(orders, orders.Count < limit ? null : (page + 1).ToString(CultureInfo.InvariantCulture), result.Total);
    }

    public static ShopOrder ToOrder(JsonElement row)
    {
        var customer = Obj(row, "orderCustomer");
        var billing = Obj(row, "billingAddress");
        var gross = JsonFields.Str(row, "taxStatus") is not ("net" or "tax-free");
        var lines = new List<OrderLine>();
        foreach (var item in Arr(row, "lineItems"))
        {
            var kind = JsonFields.Str(item, "type") switch
            {
                "promotion" => OrderLineKind.Coupon,
                "product" => OrderLineKind.Product,
                _ => OrderLineKind.Fee,
            };
            var payload = Obj(item, "payload");
            var name = kind == OrderLineKind.Coupon
                ? (payload is { } p ? JsonFields.Str(p, "code") : null) is { Length: > 0 } code ? code : JsonFields.Str(item, "label") ?? "promotion"
                : JsonFields.Str(item, "label") ?? "";
            lines.Add(Line(kind, name, item, gross, payload is { } pl ? JsonFields.Str(pl, "productNumber") : null));
        }
        foreach (var delivery in Arr(row, "deliveries"))
        {
            if (Obj(delivery, "shippingCosts") is not { } costs || Dec(costs, "totalPrice") == 0) continue;
            var method = Obj(delivery, "shippingMethod") is { } m ? JsonFields.Str(m, "name") : null;
            lines.Add(Line(OrderLineKind.Shipping, method is null ? "Shipping" : $"Shipping: {method}", costs, gross, null));
        }
        var latestPayment = Arr(row, "transactions")
            .OrderBy(t => JsonFields.Str(t, "createdAt"), StringComparer.Ordinal)
            .LastOrDefault();
        var orderState = Obj(row, "stateMachineState") is { } s ? JsonFields.Str(s, "technicalName") : null;
        var paymentState = latestPayment.ValueKind == JsonValueKind.Object && Obj(latestPayment, "stateMachineState") is { } ps ? JsonFields.Str(ps, "technicalName") : null;
        var status = orderState is "completed" or "cancelled" || paymentState is null ? "order:" + (orderState ?? "open") : "payment:" + paymentState;

        return new ShopOrder
        {
            Id = JsonFields.Str(row, "id") ?? "",
            Number = JsonFields.Str(row, "orderNumber") ?? JsonFields.Str(row, "id") ?? "",
            StatusId = status,
            Email = customer is { } c1 ? JsonFields.Str(c1, "email") : null,
            CustomerId = customer is { } c2 ? JsonFields.Str(c2, "customerId") : null,
            FirstName = customer is { } c3 ? JsonFields.Str(c3, "firstName") : null,
            LastName = customer is { } c4 ? JsonFields.Str(c4, "lastName") : null,
            Company = (customer is { } c5 ? JsonFields.Str(c5, "company") : null) ?? (billing is { } b1 ? JsonFields.Str(b1, "company") : null),
            Phone = billing is { } b2 ? JsonFields.Str(b2, "phoneNumber") : null,
            BillingAddress = billing is { } b3
                ? new Mapping.PostalAddress
                {
                    Street = JsonFields.Str(b3, "street"), PostalCode = JsonFields.Str(b3, "zipcode"), City = JsonFields.Str(b3, "city"),
                    Country = Obj(b3, "country") is { } country ? JsonFields.Str(country, "iso") : null,
                }
                : null,
            Currency = Obj(row, "currency") is { } cur ? JsonFields.Str(cur, "isoCode") ?? "" : "",
            PlacedAt = Time(row, "orderDateTime") ?? Time(row, "createdAt") ?? DateTimeOffset.UnixEpoch,
            Total = Dec(row, "amountTotal"),
            Voided = orderState is "cancelled" || paymentState is "refunded" or "cancelled",
            PaymentMethod = latestPayment.ValueKind == JsonValueKind.Object && Obj(latestPayment, "paymentMethod") is { } pm ? JsonFields.Str(pm, "name") : null,
            ShippingMethod = Arr(row, "deliveries").Select(d => Obj(d, "shippingMethod") is { } m ? JsonFields.Str(m, "name") : null).FirstOrDefault(n => n is not null),
            Lines = lines,
        };
    }

    /// <summary>Net unit price from a calculated price: Shopware shows gross prices unless the order's tax status is net.</summary>
    private static OrderLine Line(OrderLineKind kind, string name, JsonElement priced, bool gross, string? sku)
    {
        var price = Obj(priced, "price") ?? priced;
        var quantity = Dec(priced, "quantity") is var q and > 0 ? q : 1;
        var total = Dec(priced, "totalPrice") is var t and not 0 ? t : Dec(price, "totalPrice");
        var taxes = Arr(price, "calculatedTaxes").ToList();
        var tax = taxes.Sum(x => Dec(x, "tax"));
        var rate = taxes.Count > 0 ? Dec(taxes[0], "taxRate") : 0;
        var net = gross ? total - tax : total;
        return new OrderLine(kind, name, quantity, Math.Round(net / quantity, 4), rate, sku);
    }

    private static JsonElement? Obj(JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Object ? v : null;

    private static IEnumerable<JsonElement> Arr(JsonElement? e, string name) =>
        e is { ValueKind: JsonValueKind.Object } o && o.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Array ? v.EnumerateArray() : [];

    private static decimal Dec(JsonElement? e, string name) =>
        e is { ValueKind: JsonValueKind.Object } o && o.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetDecimal() : 0;

    private static DateTimeOffset? Time(JsonElement row, string name) =>
        JsonFields.Str(row, name) is { } text && DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t) ? t : null;
}

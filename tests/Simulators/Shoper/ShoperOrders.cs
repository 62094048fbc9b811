using System.Globalization;
using System.Text.Json.Nodes;

namespace Simulators.Shoper;

/// <summary>An order as REST returns it (shoper.md §4): gross prices, zone-less times of the shop's zone, the coupon as promo_code.</summary>
public sealed record SimOrder(
    string OrderId, string Email, string StatusId, DateTimeOffset Date, decimal Sum, decimal ShippingCost, string CurrencyId = "1",
    string? PromoCode = null, string UserId = "0", string Firstname = "Jan", string Lastname = "Kowalski")
{
    public DateTimeOffset StatusDate { get; init; } = Date;
}

/// <summary>An order line (order-products): gross unit price, tax rate in percent.</summary>
public sealed record SimOrderProduct(string Id, string OrderId, string Name, string Code, decimal Price, decimal Quantity, decimal TaxValue, string Unit = "szt.");

/// <summary>A status (type 1 new, 2 opened, 3 closed, 4 not completed) with its Polish name as a translation.</summary>
public sealed record SimStatus(string StatusId, string Name, int Type);

public sealed partial class ShoperShopSimulator
{
    public Dictionary<string, SimOrder> Orders { get; } = new();
    public List<SimOrderProduct> OrderProducts { get; } = new();
    public Dictionary<string, SimStatus> Statuses { get; } = new()
    {
        ["1"] = new("1", "Złożone", 1),
        ["2"] = new("2", "Opłacone", 2),
        ["3"] = new("3", "Wysłane", 3),
        ["4"] = new("4", "Anulowane", 4),
    };
    /// <summary>currency_id → ISO code (the currencies resource's name).</summary>
    public Dictionary<string, string> Currencies { get; } = new() { ["1"] = "PLN", ["2"] = "EUR" };

    private void MapOrders(RouteGroupBuilder rest)
    {
        rest.MapGet("/orders", (HttpRequest r) => List(r, () => Orders.Values.OrderBy(o => int.Parse(o.OrderId, CultureInfo.InvariantCulture)).Select(OrderJson).ToList()));
        rest.MapGet("/order-products", (HttpRequest r) => List(r, () => OrderProducts.Select(ProductJson).ToList()));
        rest.MapGet("/statuses", (HttpRequest r) => List(r, () => Statuses.Values.Select(s => new JsonObject
        {
            ["status_id"] = s.StatusId, ["type"] = s.Type.ToString(CultureInfo.InvariantCulture), ["active"] = "1",
            ["translations"] = new JsonObject { ["pl_PL"] = new JsonObject { ["name"] = s.Name } },
        }).ToList()));
        rest.MapGet("/currencies", (HttpRequest r) => List(r, () => Currencies.Select(c => new JsonObject { ["currency_id"] = c.Key, ["name"] = c.Value }).ToList()));
    }

    private string Local(DateTimeOffset at) =>
        TimeZoneInfo.ConvertTime(at, TimeZoneInfo.FindSystemTimeZoneById(Options.TimeZone)).ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture);

    private JsonObject OrderJson(SimOrder o) => new()
    {
        ["order_id"] = o.OrderId, ["user_id"] = o.UserId, ["email"] = o.Email, ["date"] = Local(o.Date),
        ["status_id"] = o.StatusId, ["status_date"] = Local(o.StatusDate), ["sum"] = o.Sum.ToString(CultureInfo.InvariantCulture),
        ["shipping_cost"] = o.ShippingCost.ToString(CultureInfo.InvariantCulture), ["currency_id"] = o.CurrencyId, ["promo_code"] = o.PromoCode ?? "",
        ["billing_address"] = new JsonObject { ["firstname"] = o.Firstname, ["lastname"] = o.Lastname, ["phone"] = "", ["company"] = "" },
    };

    private static JsonObject ProductJson(SimOrderProduct p) => new()
    {
        ["id"] = p.Id, ["order_id"] = p.OrderId, ["name"] = p.Name, ["code"] = p.Code, ["price"] = p.Price.ToString(CultureInfo.InvariantCulture),
        ["quantity"] = p.Quantity.ToString(CultureInfo.InvariantCulture), ["tax_value"] = p.TaxValue.ToString(CultureInfo.InvariantCulture), ["unit"] = p.Unit,
    };

    /// <summary>An order webhook body as Shoper sends it: camelCase keys unlike REST (shoper.md §5), order_id as is.</summary>
    public string OrderWebhookBody(SimOrder o) => new JsonObject
    {
        ["order_id"] = o.OrderId, ["email"] = o.Email, ["sum"] = o.Sum.ToString(CultureInfo.InvariantCulture),
        ["currency_name"] = Currencies.GetValueOrDefault(o.CurrencyId), ["status"] = new JsonObject { ["status_id"] = o.StatusId },
        ["billingAddress"] = new JsonObject { ["firstname"] = o.Firstname, ["lastname"] = o.Lastname },
    }.ToJsonString();
}

using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json.Nodes;

namespace Simulators.MiniCrm;

/// <summary>
/// MiniCRM's Orders API (protocol §3.2, not under /R3): POST /Api/Order creates a Draft order of a
/// Person (CustomerId) with CurrencyCode and Items; GET /Api/Order/{id}/{Finalize|Complete|Paid|Storno}
/// moves it (Draft → InProgress → Completed → Successful; Completed/Successful → Failed; Failed → Successful);
/// GET /Api/Order/{id}; GET /Api/Order/List?UpdatedSince=. Errors are plain text, as on /R3; every call
/// counts against the same per-minute limit.
/// </summary>
public sealed partial class MiniCrmSimulator
{
    private readonly ConcurrentDictionary<int, MiniCrmOrder> _orders = new();
    private int _nextOrderId = 5000;

    /// <summary>Currencies the system accepts; an order in another one is refused (400), as MiniCRM refuses invalid field values.</summary>
    public HashSet<string> Currencies { get; } = new(StringComparer.Ordinal) { "HUF", "EUR", "USD", "RON", "PLN", "CZK", "GBP", "CHF" };

    public IReadOnlyDictionary<int, MiniCrmOrder> Orders => _orders;

    private static readonly Dictionary<(string From, string Step), string> Transitions = new()
    {
        [("Draft", "Finalize")] = "InProgress",
        [("InProgress", "Complete")] = "Completed",
        [("Completed", "Paid")] = "Successful",
        [("Failed", "Paid")] = "Successful",
        [("Completed", "Storno")] = "Failed",
        [("Successful", "Storno")] = "Failed",
    };

    private void MapOrders(RouteGroupBuilder orders)
    {
        orders.MapPost("", CreateOrder);
        orders.MapGet("/List", (HttpContext c) =>
        {
            var since = c.Request.Query["UpdatedSince"].ToString();
            if (since.Length > 0 && !DateTime.TryParseExact(since, "yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture, DateTimeStyles.None, out _))
                return Text(c, 400, "Invalid UpdatedSince, expected yyyy-mm-dd hh:mm:ss");
            JsonNode results = _orders.IsEmpty ? new JsonArray() : new JsonObject(_orders.Values.Select(o => KeyValuePair.Create(o.Id.ToString(CultureInfo.InvariantCulture), (JsonNode?)new JsonObject { ["Id"] = o.Id })));
            return Json(c, new JsonObject { ["Count"] = _orders.Count, ["Results"] = results });
        });
        orders.MapGet("/{id:int}", (HttpContext c, int id) => _orders.TryGetValue(id, out var order) ? Json(c, order.ToJson()) : Text(c, 404, "Order not found"));
        orders.MapGet("/{id:int}/{step}", (HttpContext c, int id, string step) =>
        {
            if (!_orders.TryGetValue(id, out var order)) return Text(c, 404, "Order not found");
            lock (order)
            {
                if (step is not ("Finalize" or "Complete" or "Paid" or "Storno")) return Text(c, 404, "Unknown action");
                if (!Transitions.TryGetValue((order.Status, step), out var next)) return Text(c, 400, $"{step} is not allowed in status {order.Status}");
                order.Status = next;
                order.Steps.Add(step);
            }
            return Json(c, new JsonObject { ["Id"] = id });
        });
    }

    private async Task CreateOrder(HttpContext context)
    {
        var body = await ReadJson(context);
        if (body is null) { await Text(context, 400, "Invalid JSON"); return; }
        if (body["CustomerId"] is not JsonValue customer || !customer.TryGetValue<int>(out var customerId))
        {
            await Text(context, 400, "CustomerId or ReferenceId is required");
            return;
        }
        if (!_contacts.TryGetValue(customerId, out var person)) { await Text(context, 400, $"Unknown CustomerId: {customerId}"); return; }
        var currency = body["CurrencyCode"]?.ToString();
        if (string.IsNullOrEmpty(currency) || !Currencies.Contains(currency)) { await Text(context, 400, $"Invalid value for field CurrencyCode: {currency}"); return; }
        if (body["Items"] is not JsonArray items || items.Count == 0) { await Text(context, 400, "Items is required"); return; }
        foreach (var item in items)
        {
            if (item is not JsonObject line || string.IsNullOrWhiteSpace(line["Name"]?.ToString())) { await Text(context, 400, "Every item needs a Name"); return; }
            if (line["PriceNet"] is not JsonValue price || !price.TryGetValue<decimal>(out _)) { await Text(context, 400, "Invalid value for field PriceNet"); return; }
            if (line["Quantity"] is not JsonValue quantity || !quantity.TryGetValue<decimal>(out var q) || q <= 0) { await Text(context, 400, "Invalid value for field Quantity"); return; }
        }
        var order = new MiniCrmOrder(Interlocked.Increment(ref _nextOrderId), person.Id, currency, (JsonArray)items.DeepClone());
        _orders[order.Id] = order;
        await Json(context, new JsonObject { ["Id"] = order.Id });
    }
}

public sealed class MiniCrmOrder(int id, int customerId, string currency, JsonArray items)
{
    public int Id { get; } = id;
    public int CustomerId { get; } = customerId;
    public string CurrencyCode { get; } = currency;
    public JsonArray Items { get; } = items;
    public string Status { get; set; } = "Draft";
    /// <summary>The status steps taken, in order.</summary>
    public List<string> Steps { get; } = [];

    public IEnumerable<string> ItemNames => Items.Select(i => i!["Name"]!.ToString());

    public JsonObject ToJson() => new()
    {
        ["Id"] = Id, ["CustomerId"] = CustomerId, ["CurrencyCode"] = CurrencyCode, ["Status"] = Status, ["Items"] = Items.DeepClone(),
    };
}

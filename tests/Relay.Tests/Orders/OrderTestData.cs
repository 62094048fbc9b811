using System.Text.Json.Nodes;
using Relay.Mapping;
using Relay.Orders;
using Relay.Settings;
using Simulators.Shopware;

namespace Relay.Tests.Orders;

/// <summary>Orders as a Shopware shop holds them, and the MiniCRM settings the order tests save.</summary>
public static class OrderTestData
{
    /// <summary>The purchase fields onto Spotler properties: dates as days, the total with its currency ("58.42 HUF").</summary>
    public static readonly FieldMapping PurchaseMapping = new()
    {
        Rules =
        [
            new FieldRule { Target = "firstPurchaseDate", Sources = [ShopFields.FirstOrderAt], Transforms = ["date:yyyy-MM-dd"] },
            new FieldRule { Target = "lastPurchaseDate", Sources = [ShopFields.LastOrderAt], Transforms = ["date:yyyy-MM-dd"] },
            new FieldRule { Target = "profileField2", Sources = [ShopFields.OrderCount] },
            new FieldRule { Target = "profileField3", Sources = [ShopFields.TotalSpent, ShopFields.TotalSpentCurrency] },
        ],
    };

    /// <summary>Paid orders go as Successful, refunded or cancelled ones as Failed, open ones as Draft.</summary>
    public static OrderSettings Pairing(params string[] sendFrom) => new()
    {
        Enabled = true,
        StatusPairs = new Dictionary<string, string>
        {
            ["payment:open"] = "Draft",
            ["payment:paid"] = "Successful",
            ["payment:refunded"] = "Failed",
            ["order:completed"] = "Successful",
            ["order:cancelled"] = "Failed",
        },
        SendFrom = sendFrom,
    };

    public static TargetSettings MiniCrm(string baseUrl, string systemId = "12345", int requestsPerMinute = 6000) => new()
    {
        Kind = "minicrm",
        BaseUrl = baseUrl,
        Credentials = new Dictionary<string, string> { ["systemId"] = systemId, ["apiKey"] = "minicrm-api-key" },
        Options = new Dictionary<string, string> { ["requestsPerMinute"] = requestsPerMinute.ToString(System.Globalization.CultureInfo.InvariantCulture) },
    };

    /// <summary>
    /// A gross-priced order of 27 % VAT: two mugs at 12.70, the coupon SUMMER10 taking 2.54 off, shipping 6.35,
    /// paid by card (or in <paramref name="payment"/>).
    /// </summary>
    public static SimulatedOrder Order(string number, string? email = "eva.kiss@example.hu", string payment = "paid", string currency = "HUF") => new()
    {
        OrderNumber = number,
        Currency = new SimulatedCurrency(currency),
        OrderCustomer = new SimulatedOrderCustomer(email, "Éva", "Kiss"),
        AmountTotal = 29.21m,
        LineItems =
        [
            SimulatedLineItem.Gross("product", "Mug", 2, 12.70m, 27, new Dictionary<string, object?> { ["productNumber"] = "MUG-1" }, productId: ShopwareIds.New()),
            SimulatedLineItem.Gross("promotion", "Summer sale", 1, -2.54m, 27, new Dictionary<string, object?> { ["code"] = "SUMMER10" }),
        ],
        Deliveries = [new SimulatedDelivery(new SimulatedPrice(6.35m, 6.35m, 1, [new SimulatedTax(1.35m, 27, 6.35m)]), new SimulatedShippingMethod("Standard"))],
        Transactions = [new SimulatedTransaction(SimulatedState.Payment(payment), new SimulatedPaymentMethod("Card"), DateTimeOffset.UnixEpoch)],
    };

    /// <summary>checkout.order.placed as Shopware sends it: the order encoded for the Store API (its id as _uniqueIdentifier).</summary>
    public static JsonObject Placed(string orderId) => new() { ["order"] = new JsonObject { ["_uniqueIdentifier"] = orderId, ["apiAlias"] = "order" } };

    public static JsonArray Written(string orderId) =>
        [new JsonObject { ["entity"] = "order", ["operation"] = "update", ["primaryKey"] = orderId, ["updatedFields"] = new JsonArray("stateId") }];
}

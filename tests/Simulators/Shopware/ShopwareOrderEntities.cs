using System.Text.Json.Serialization;

namespace Simulators.Shopware;

/// <summary>
/// An order as the Admin API returns it with its associations (lineItems, deliveries, transactions,
/// orderCustomer, currency, stateMachineState). Prices are gross unless <see cref="TaxStatus"/> is "net";
/// each price carries its calculated taxes. Associations are returned only when the search asks for them.
/// </summary>
public sealed class SimulatedOrder
{
    public string Id { get; init; } = ShopwareIds.New();
    public required string OrderNumber { get; init; }
    public DateTimeOffset OrderDateTime { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset? UpdatedAt { get; set; }
    public decimal AmountTotal { get; set; }
    public string TaxStatus { get; set; } = "gross";
    public SimulatedCurrency Currency { get; set; } = new("EUR");
    public SimulatedState StateMachineState { get; set; } = SimulatedState.Order("open");
    public required SimulatedOrderCustomer OrderCustomer { get; set; }
    public List<SimulatedLineItem> LineItems { get; set; } = [];
    public List<SimulatedDelivery> Deliveries { get; set; } = [];
    public List<SimulatedTransaction> Transactions { get; set; } = [];
    public SimulatedOrderAddress? BillingAddress { get; set; }
    [JsonPropertyName("apiAlias")] public string ApiAlias => "order";

    /// <summary>The names of the associations above: left out of a row unless the criteria name them.</summary>
    public static readonly string[] AssociationNames = ["currency", "stateMachineState", "orderCustomer", "lineItems", "deliveries", "transactions", "billingAddress"];
}

public sealed record SimulatedCurrency(string IsoCode);

/// <summary>An order address (order_address), as the billingAddress association carries it.</summary>
public sealed record SimulatedOrderAddress(string? Street, string? Zipcode, string? City, SimulatedCountry? Country = null, string? Company = null, string? PhoneNumber = null);

public sealed record SimulatedCountry(string Iso);

public sealed record SimulatedOrderCustomer(string? Email, string? FirstName, string? LastName, string? CustomerId = null, string? Company = null);

/// <summary>A state of one of Shopware's state machines (order.state, order_transaction.state, order_delivery.state).</summary>
public sealed record SimulatedState(string TechnicalName, string Name, SimulatedStateMachine StateMachine)
{
    public string Id { get; init; } = ShopwareIds.New();
    public static SimulatedState Order(string name) => new(name, Label(name), new SimulatedStateMachine("order.state"));
    public static SimulatedState Payment(string name) => new(name, Label(name), new SimulatedStateMachine("order_transaction.state"));
    private static string Label(string name) => char.ToUpperInvariant(name[0]) + name[1..].Replace('_', ' ');
}

public sealed record SimulatedStateMachine(string TechnicalName);

public sealed record SimulatedTax(decimal Tax, decimal TaxRate, decimal Price);

public sealed record SimulatedPrice(decimal UnitPrice, decimal TotalPrice, decimal Quantity, IReadOnlyList<SimulatedTax> CalculatedTaxes);

/// <summary>type: product, promotion (payload.code = the coupon code), custom, credit. productId is null once the product is deleted.</summary>
public sealed record SimulatedLineItem(string Type, string Label, decimal Quantity, decimal UnitPrice, decimal TotalPrice, SimulatedPrice Price, IReadOnlyDictionary<string, object?> Payload, string? ProductId = null)
{
    public string Id { get; init; } = ShopwareIds.New();

    /// <summary>A gross-priced line with one tax rate.</summary>
    public static SimulatedLineItem Gross(string type, string label, decimal quantity, decimal unitGross, decimal taxRate, IReadOnlyDictionary<string, object?>? payload = null, string? productId = null)
    {
        var total = unitGross * quantity;
        var tax = Math.Round(total - total / (1 + taxRate / 100), 2);
        return new SimulatedLineItem(type, label, quantity, unitGross, total, new SimulatedPrice(unitGross, total, quantity, [new SimulatedTax(tax, taxRate, total)]),
            payload ?? new Dictionary<string, object?>(), productId);
    }
}

public sealed record SimulatedShippingMethod(string Name);

public sealed record SimulatedDelivery(SimulatedPrice ShippingCosts, SimulatedShippingMethod ShippingMethod);

public sealed record SimulatedPaymentMethod(string Name);

public sealed record SimulatedTransaction(SimulatedState StateMachineState, SimulatedPaymentMethod PaymentMethod, DateTimeOffset CreatedAt);

namespace Relay.Orders;

/// <summary>What a line of an order is: the goods, or what the order adds to or takes off them.</summary>
public enum OrderLineKind { Product, Shipping, Fee, Coupon }

/// <summary>
/// One line as the shop charged it. Prices are net unit prices in the order's currency; a coupon's
/// is negative (what it takes off). <paramref name="Name"/> is the line's label, or the coupon code for a
/// coupon. The label is the shop's copy at the time of the order, so a product deleted since still has one.
/// </summary>
public sealed record OrderLine(
    OrderLineKind Kind,
    string Name,
    decimal Quantity,
    decimal UnitPriceNet,
    decimal VatPercent,
    string? Sku = null,
    string? Unit = null);

/// <summary>
/// A shop order in the relay's own terms, whatever platform it came from. <see cref="StatusId"/> is the
/// shop's own status id (a state name on Shopware, a number on Shoper); the merchant pairs it with a
/// target status (<see cref="OrderSettings.StatusPairs"/>).
/// </summary>
public sealed record ShopOrder
{
    public required string Id { get; init; }
    /// <summary>The number the merchant and the customer see (order number), else the id.</summary>
    public required string Number { get; init; }
    public required string StatusId { get; init; }
    public string? Email { get; init; }
    /// <summary>The shop's customer id; null for a guest order.</summary>
    public string? CustomerId { get; init; }
    public string? FirstName { get; init; }
    public string? LastName { get; init; }
    public string? Company { get; init; }
    public string? Phone { get; init; }
    /// <summary>The billing address, where the platform gives one (a till books a new customer with it).</summary>
    public Mapping.PostalAddress? BillingAddress { get; init; }
    /// <summary>ISO 4217 code, as the shop wrote it.</summary>
    public required string Currency { get; init; }
    public DateTimeOffset PlacedAt { get; init; }
    /// <summary>The gross total the customer paid (or owes), in <see cref="Currency"/>.</summary>
    public decimal Total { get; init; }
    /// <summary>Cancelled or refunded: it counts in no purchase figures (<see cref="PurchaseFigures"/>).</summary>
    public bool Voided { get; init; }
    /// <summary>The shop's payment method name, as shown to the customer.</summary>
    public string? PaymentMethod { get; init; }
    public string? ShippingMethod { get; init; }
    public IReadOnlyList<OrderLine> Lines { get; init; } = [];

    /// <summary>"First Last", without the parts the order leaves empty.</summary>
    public string FullName => string.Join(' ', new[] { FirstName, LastName }.Where(n => !string.IsNullOrWhiteSpace(n))).Trim();
}

/// <summary>A status an order can have, in the shop or in the target: id to pair on, label to show.</summary>
public sealed record OrderStatus(string Id, string Name);

/// <summary>
/// A page of orders. <see cref="Next"/> is the platform's own opaque position of the page after this one
/// (null: this was the last), stored by the order sync so a restart continues where it stopped.
/// </summary>
public sealed record OrderPage(IReadOnlyList<ShopOrder> Orders, string? Next, long? Total);

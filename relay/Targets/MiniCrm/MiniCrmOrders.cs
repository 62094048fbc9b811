using System.Globalization;
using System.Text.Json.Nodes;
using Relay.Mapping;
using Relay.Orders;

namespace Relay.Targets.MiniCrm;

/// <summary>
/// MiniCRM's Orders API (protocol §3.2, REST, not the XML SyncFeed; the README says why). An order
/// belongs to a Person (CustomerId), found by e-mail or created as for a contact; it is created as a
/// Draft with its lines and then taken step by step to its paired status. The only way on is MiniCRM's
/// own steps, so the statuses the merchant pairs with are the ones those steps reach.
/// </summary>
public sealed partial class MiniCrmClient : IOrderTarget
{
    public const string Draft = "Draft", InProgress = "InProgress", Completed = "Completed", Successful = "Successful", Failed = "Failed";

    /// <summary>Status → (step, status it leads to). Draft → InProgress → Completed → Successful; Completed or Successful → Failed (storno); Failed → Successful.</summary>
    private static readonly Dictionary<string, (string Step, string To)[]> Steps = new(StringComparer.Ordinal)
    {
        [Draft] = [("Finalize", InProgress)],
        [InProgress] = [("Complete", Completed)],
        [Completed] = [("Paid", Successful), ("Storno", Failed)],
        [Successful] = [("Storno", Failed)],
        [Failed] = [("Paid", Successful)],
    };

    private static readonly IReadOnlyList<OrderStatus> Statuses =
    [
        new(Draft, "Draft (Piszkozat)"),
        new(InProgress, "In progress (Folyamatban)"),
        new(Completed, "Completed (Befejezett)"),
        new(Successful, "Successful, paid (Sikeres)"),
        new(Failed, "Failed, cancelled (Sikertelen)"),
    ];

    /// <summary>
    /// MiniCRM documents no call listing order statuses: they are the status groups its steps reach. One
    /// list call proves the Orders API is switched on for the system (its own add-on).
    /// </summary>
    public async Task<IReadOnlyList<OrderStatus>> ListOrderStatusesAsync(CancellationToken ct)
    {
        var since = ZonelessTime.Write(time.GetUtcNow(), ZonelessTime.Zone(MiniCrmSettings.Clock.Zone!), "yyyy-MM-dd HH:mm:ss");
        await SendAsync(() => api.ListOrdersAsync(since, settings.BasicAuthorization, _call, _pace, ct), ct);
        return Statuses;
    }

    public async Task<SentOrder> SendOrderAsync(ShopOrder order, string status, SentOrder? sent, CancellationToken ct)
    {
        if (!Steps.ContainsKey(status))
            throw new TargetPermanentException($"'{status}' is not a MiniCRM order status ({string.Join(", ", Steps.Keys)}).", null, "UNKNOWN_STATUS");
        var path = PathTo(sent?.Status ?? Draft, status)
            ?? throw new TargetPermanentException($"MiniCRM cannot take an order from {sent?.Status} back to {status}; it stays {sent?.Status}.", null, "NO_STEP");

        var id = sent is { } known ? int.Parse(known.TargetId, CultureInfo.InvariantCulture) : await CreateOrderAsync(order, ct);
        var reached = sent?.Status ?? Draft;
        try
        {
            foreach (var (step, to) in path)
            {
                await SendAsync(() => api.StepOrderAsync(id, step, settings.BasicAuthorization, _call, _pace, ct), ct);
                reached = to;
            }
        }
        catch (TargetException e) when (sent is null)
        {
            // Created but not yet at its status: what is done is kept, the rest is a status change the next attempt makes.
            throw new OrderPartlySentException(new SentOrder(id.ToString(CultureInfo.InvariantCulture), reached), e);
        }
        return new SentOrder(id.ToString(CultureInfo.InvariantCulture), reached);
    }

    private async Task<int> CreateOrderAsync(ShopOrder order, CancellationToken ct)
    {
        var person = await UpsertOneAsync(new Contact
        {
            Key = order.Email!,
            Email = order.Email,
            FirstName = order.FirstName,
            LastName = order.LastName,
            Phone = order.Phone,
        }, ct);
        if (person.Status != UpsertStatus.Ok || !int.TryParse(person.TargetId, CultureInfo.InvariantCulture, out var customerId))
            throw new TargetPermanentException($"MiniCRM did not take the order's customer: {person.Message}", null, person.Code);

        var items = new JsonArray();
        foreach (var line in order.Lines)
            items.Add(new JsonObject
            {
                ["Name"] = LineName(line, order),
                ["SKU"] = line.Sku,
                ["PriceNet"] = line.Kind == OrderLineKind.Coupon ? -Math.Abs(line.UnitPriceNet) : line.UnitPriceNet,
                ["Quantity"] = line.Quantity,
                ["Unit"] = line.Unit ?? "db",
                ["VAT"] = line.VatPercent.ToString("0.##", CultureInfo.InvariantCulture) + "%",
            });
        var body = new JsonObject { ["CustomerId"] = customerId, ["CurrencyCode"] = order.Currency.ToUpperInvariant(), ["Items"] = items };
        var created = await SendAsync(() => api.CreateOrderAsync(body, settings.BasicAuthorization, _call with { NotIdempotent = true }, _pace, ct), ct);
        return IdOf(created) ?? throw new TargetTransientException("MiniCRM created the order but answered without its Id.", null, "NO_ID");
    }

    /// <summary>Coupons as MiniCRM's own webshop integrations name them; shipping and fees as lines of their own.</summary>
    private static string LineName(OrderLine line, ShopOrder order) => line.Kind switch
    {
        OrderLineKind.Coupon => $"Coupon: \"{line.Name}\"",
        OrderLineKind.Shipping => string.IsNullOrWhiteSpace(line.Name) ? $"Shipping: {order.ShippingMethod}".TrimEnd(' ', ':') : line.Name,
        _ => line.Name,
    };

    /// <summary>The steps from one status to another (breadth first), or null when MiniCRM has no way there.</summary>
    private static List<(string Step, string To)>? PathTo(string from, string to)
    {
        var paths = new Dictionary<string, List<(string, string)>>(StringComparer.Ordinal) { [from] = [] };
        var queue = new Queue<string>([from]);
        while (queue.TryDequeue(out var at))
        {
            if (at == to) return paths[at];
            foreach (var (step, next) in Steps[at])
                if (paths.TryAdd(next, [.. paths[at], (step, next)])) queue.Enqueue(next);
        }
        return null;
    }
}

using System.Globalization;
using System.Text.Json;
using Relay.Mapping;
using Relay.Settings;
using Relay.Storage;
using Relay.Sync;

namespace Relay.Orders;

/// <summary>An order as it counts in a contact's purchase figures.</summary>
public sealed record CountedOrder(DateTimeOffset PlacedAt, decimal Total, string Currency);

/// <summary>
/// Per shop and e-mail address, the orders that count (not <see cref="ShopOrder.Voided"/>), by order id: a
/// re-delivered order replaces itself, a cancelled or refunded one drops out. From them the mappable shop
/// fields <see cref="ShopFields.Purchase"/> (first and last order, number of orders, total spent) are put
/// on every record with that address before it is mapped (<see cref="ContactSync"/>). Kept without expiry;
/// a live change is a compare-and-set per contact (<see cref="IRelayStore.ReplaceAsync"/>), a full sync
/// rebuilds them from all the shop's orders.
/// </summary>
public sealed class PurchaseFigures(IRelayStore store)
{
    /// <summary>Documents written per round trip by a rebuild.</summary>
    private const int WriteBatch = 1000;

    private static string Key(string shopKey, string email) => StoreKeys.ShopItem(shopKey, "purchase:" + ContactLedger.Hash(email));

    /// <summary>Whether the shop's mapping reads a purchase field: only then are orders read for them.</summary>
    public static bool Mapped(ShopSettings settings) =>
        settings.Customers.Rules.Concat(settings.Subscribers.Rules).Any(r => r.Sources.Any(ShopFields.Purchase.Contains));

    /// <summary>Counts the order for its address as the shop holds it now (or drops it, voided). True when the figures changed.</summary>
    public async Task<bool> ApplyAsync(string shopKey, ShopOrder order)
    {
        if (ContactMapper.NormalizeEmail(order.Email) is not { } email) return false;
        var key = Key(shopKey, email);
        var counted = order.Voided ? null : new CountedOrder(order.PlacedAt, order.Total, order.Currency);
        // Another writer between the read and the write (two orders of one person at once): read again.
        while (true)
        {
            var json = await store.GetAsync(key);
            var orders = Read(json);
            if (orders.GetValueOrDefault(order.Id) == counted) return false;
            if (counted is null) orders.Remove(order.Id); else orders[order.Id] = counted;
            if (await store.ReplaceAsync(key, json, JsonSerializer.Serialize(orders, JsonDefaults.Options))) return true;
        }
    }

    /// <summary>The purchase fields of these addresses (one round trip), by normalized address; none for an address without orders.</summary>
    public async Task<Dictionary<string, Dictionary<string, string?>>> FieldsOfAsync(string shopKey, IReadOnlyList<string> emails)
    {
        var found = new Dictionary<string, Dictionary<string, string?>>(StringComparer.Ordinal);
        var distinct = emails.Select(ContactMapper.NormalizeEmail).OfType<string>().Distinct().ToList();
        if (distinct.Count == 0) return found;
        var values = await store.GetManyAsync(distinct.Select(e => Key(shopKey, e)).ToList());
        for (var i = 0; i < distinct.Count; i++)
            if (values[i] is { } json) found[distinct[i]] = FieldsOf(Read(json).Values);
        return found;
    }

    /// <summary>
    /// The figures of every address from all the shop's orders (a full sync), written a batch at a time.
    /// Holds one small entry per order in memory while it reads. Returns how many addresses it wrote.
    /// </summary>
    public async Task<int> RebuildAsync(string shopKey, IShopOrders orders, CancellationToken ct)
    {
        var byEmail = new Dictionary<string, Dictionary<string, CountedOrder>>(StringComparer.Ordinal);
        string? position = null;
        do
        {
            var page = await orders.ReadSummariesAsync(shopKey, position, ct);
            foreach (var order in page.Orders)
            {
                if (ContactMapper.NormalizeEmail(order.Email) is not { } email) continue;
                if (!byEmail.TryGetValue(email, out var counted)) byEmail[email] = counted = new(StringComparer.Ordinal);
                if (order.Voided) counted.Remove(order.Id);
                else counted[order.Id] = new CountedOrder(order.PlacedAt, order.Total, order.Currency);
            }
            position = page.Next;
        } while (position is not null);

        foreach (var batch in byEmail.Chunk(WriteBatch))
            await store.SetManyAsync(batch.Select(e => new KeyValuePair<string, string>(Key(shopKey, e.Key), JsonSerializer.Serialize(e.Value, JsonDefaults.Options))).ToList());
        return byEmail.Count;
    }

    /// <summary>
    /// Dates in UTC ISO 8601 (a date transform reformats them). The total is that of the currency most of the
    /// orders were paid in (a shop sells in one currency as a rule; orders in others are left out of it, not converted).
    /// </summary>
    public static Dictionary<string, string?> FieldsOf(IReadOnlyCollection<CountedOrder> orders)
    {
        var currency = orders.GroupBy(o => o.Currency).OrderByDescending(g => g.Count()).ThenByDescending(g => g.Max(o => o.PlacedAt)).FirstOrDefault()?.Key;
        return new Dictionary<string, string?>(StringComparer.Ordinal)
        {
            [ShopFields.FirstOrderAt] = orders.Count == 0 ? null : Iso(orders.Min(o => o.PlacedAt)),
            [ShopFields.LastOrderAt] = orders.Count == 0 ? null : Iso(orders.Max(o => o.PlacedAt)),
            [ShopFields.OrderCount] = orders.Count.ToString(CultureInfo.InvariantCulture),
            [ShopFields.TotalSpent] = orders.Where(o => o.Currency == currency).Sum(o => o.Total).ToString("0.00", CultureInfo.InvariantCulture),
            [ShopFields.TotalSpentCurrency] = currency,
        };
    }

    /// <summary>The record with its address's purchase fields, when it has any.</summary>
    public static ShopRecord WithFigures(ShopRecord record, IReadOnlyDictionary<string, Dictionary<string, string?>> figures)
    {
        if (ContactMapper.NormalizeEmail(record.Email) is not { } email || !figures.TryGetValue(email, out var fields)) return record;
        var merged = new Dictionary<string, string?>(record.Fields, StringComparer.Ordinal);
        foreach (var (name, value) in fields) merged[name] = value;
        return record with { Fields = merged };
    }

    private static Dictionary<string, CountedOrder> Read(string? json) =>
        json is null ? new(StringComparer.Ordinal) : new(JsonSerializer.Deserialize<Dictionary<string, CountedOrder>>(json, JsonDefaults.Options)!, StringComparer.Ordinal);

    private static string Iso(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
}

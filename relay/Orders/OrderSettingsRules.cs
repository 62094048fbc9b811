using System.Globalization;

namespace Relay.Orders;

/// <summary>The checks of <see cref="OrderSettings"/> that need no call: the admin save and the settings validator share them.</summary>
public static class OrderSettingsRules
{
    public const int MaxStatuses = 200;

    /// <summary>"HH:mm" as a time of day; null when absent or malformed.</summary>
    public static TimeOnly? NightlyTime(string? text) =>
        TimeOnly.TryParseExact(text?.Trim(), "HH:mm", CultureInfo.InvariantCulture, DateTimeStyles.None, out var t) ? t : null;

    public static void Validate(OrderSettings orders, Action<string, string> add)
    {
        if (orders.StatusPairs.Count > MaxStatuses) add("orders.statusPairs", $"At most {MaxStatuses} statuses can be paired.");
        foreach (var (shop, target) in orders.StatusPairs)
        {
            if (string.IsNullOrWhiteSpace(shop) || shop.Length > 100) add("orders.statusPairs", "A shop status id must be 1 to 100 characters.");
            else if (string.IsNullOrWhiteSpace(target) || target.Length > 100) add($"orders.statusPairs.{shop}", "Pair it with a status of the target, or leave it out (unpaired).");
        }
        foreach (var status in orders.SendFrom.Where(s => !orders.StatusPairs.ContainsKey(s)))
            add("orders.sendFrom", $"Orders are sent from status '{status}', which is not paired: pair it first.");
        if (orders.NightlyAt is { Length: > 0 } nightly && NightlyTime(nightly) is null)
            add("orders.nightlyAt", "Enter the nightly time as HH:mm (24-hour), in the shop's time zone, or leave it empty.");
        if (orders.Enabled && orders.StatusPairs.Count == 0)
            add("orders.statusPairs", "Pair at least one shop status before sending orders.");
    }
}

using System.Text.Json;
using Relay.Storage;

namespace Relay.Sync;

public enum ActivityOutcome { Ok, Skipped, Retrying, Failed }

/// <summary>One line of what the relay did for a shop, as the admin page lists it. Emails are masked before they get here.</summary>
public sealed record ActivityEntry(
    DateTimeOffset At,
    string Kind,
    ActivityOutcome Outcome,
    string Message,
    string? MaskedEmail = null,
    string? EventId = null);

/// <summary>
/// The per-shop activity log: newest first, capped, and expiring (GDPR: logs do not keep
/// personal data forever).
/// </summary>
public sealed class ActivityLog(IRelayStore store)
{
    public const int MaxEntries = 1000;
    public static readonly TimeSpan Retention = TimeSpan.FromDays(14);

    private static string Key(string shopKey) => StoreKeys.ShopItem(shopKey, "activity");

    public Task AppendAsync(string shopKey, ActivityEntry entry) =>
        store.AppendLogAsync(Key(shopKey), JsonSerializer.Serialize(entry, JsonDefaults.Options), MaxEntries, Retention);

    public async Task<IReadOnlyList<ActivityEntry>> ReadAsync(string shopKey, int count = 100, ActivityOutcome? outcome = null)
    {
        var lines = await store.ReadLogAsync(Key(shopKey), outcome is null ? count : MaxEntries);
        var entries = lines.Select(l => JsonSerializer.Deserialize<ActivityEntry>(l, JsonDefaults.Options)!);
        if (outcome is { } wanted) entries = entries.Where(e => e.Outcome == wanted);
        return entries.Take(count).ToList();
    }

    /// <summary>"j***@example.com": enough to recognise, not enough to harvest.</summary>
    public static string MaskEmail(string? email)
    {
        if (string.IsNullOrEmpty(email)) return "";
        var at = email.IndexOf('@');
        if (at <= 0) return "***";
        return email[0] + "***" + email[at..];
    }
}

using System.Text.RegularExpressions;

namespace Relay.Telemetry;

/// <summary>
/// What may go into a log line about a person: a masked address ("j***@example.com") is enough to
/// recognise a contact in a support case and useless to someone who harvests logs.
/// </summary>
public static partial class LogMasking
{
    public static string Email(string? email)
    {
        if (string.IsNullOrEmpty(email)) return "";
        var at = email.IndexOf('@');
        return at <= 0 ? "***" : $"{email[0]}***{email[at..]}";
    }

    /// <summary>Masks every address in free text (error messages from targets and shops often quote one).</summary>
    public static string Emails(string? text) =>
        string.IsNullOrEmpty(text) ? "" : EmailPattern().Replace(text, m => Email(m.Value));

    [GeneratedRegex(@"[^\s@""'<>,;:()\[\]]+@[^\s@""'<>,;:()\[\]]+\.[A-Za-z]{2,}")]
    private static partial Regex EmailPattern();
}

/// <summary>
/// The scope a worker opens per event. A list of pairs, so the JSON console formatter writes ShopKey
/// and EventId as properties, and a readable ToString for the simple formatter.
/// </summary>
public sealed class EventLogScope(string shopKey, string eventId) : IReadOnlyList<KeyValuePair<string, object?>>
{
    private readonly KeyValuePair<string, object?>[] _items = [new("ShopKey", shopKey), new("EventId", eventId)];

    public KeyValuePair<string, object?> this[int index] => _items[index];
    public int Count => _items.Length;
    public IEnumerator<KeyValuePair<string, object?>> GetEnumerator() => ((IEnumerable<KeyValuePair<string, object?>>)_items).GetEnumerator();
    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
    public override string ToString() => $"ShopKey:{_items[0].Value} EventId:{_items[1].Value}";
}

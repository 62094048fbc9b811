using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Relay.Platforms.Shoprenter;

/// <summary>
/// The hmac Shoprenter puts on the RedirectUri, EntryPoint and UninstallUri queries: hex
/// HMAC-SHA256(ClientSecret, query without hmac). Which parameters are signed, in which order, is told
/// three ways: the protocol notes say every parameter but hmac in alphabetical order (app_url and a
/// merchant's own parameters included); the getting-started example signs code, shopname and timestamp
/// in alphabetical order; Shoprenter's demo apps sign shopname, code, timestamp in that order. A query
/// is genuine when any of the three matches; all compare in constant time.
/// </summary>
public static class ShoprenterSignature
{
    public static string Compute(string message, string clientSecret) =>
        Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(clientSecret), Encoding.UTF8.GetBytes(message)));

    /// <summary>Every parameter but hmac, sorted by name, "k=v" joined by "&amp;" with raw (decoded) values.</summary>
    public static string AllParameters(IEnumerable<KeyValuePair<string, string>> query) =>
        string.Join('&', query.Where(p => p.Key != "hmac").OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => p.Key + "=" + p.Value));

    public static bool IsValid(IReadOnlyDictionary<string, string> query, string clientSecret)
    {
        if (!query.TryGetValue("hmac", out var hmac) || hmac.Length != 64) return false;
        string shopname = query.GetValueOrDefault("shopname", ""), code = query.GetValueOrDefault("code", ""), timestamp = query.GetValueOrDefault("timestamp", "");
        string[] messages =
        [
            AllParameters(query),
            $"code={code}&shopname={shopname}&timestamp={timestamp}",
            $"shopname={shopname}&code={code}&timestamp={timestamp}",
        ];
        var received = Encoding.ASCII.GetBytes(hmac.ToLowerInvariant());
        var valid = false;
        foreach (var message in messages)
            valid |= CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(Compute(message, clientSecret)), received);
        return valid;
    }

    /// <summary>Shoprenter's timestamp: Unix seconds.</summary>
    public static DateTimeOffset? ParseTimestamp(string? value) =>
        long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds) && seconds < 100_000_000_000
            ? DateTimeOffset.FromUnixTimeSeconds(seconds)
            : null;
}

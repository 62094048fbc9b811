using System.Security.Cryptography;
using System.Text;

namespace Relay.Platforms.Shoper;

/// <summary>
/// Appstore notification signature: HMAC-SHA512 (AppStore secret) over every received field except
/// "hash", sorted by key, "k=v" joined by "&amp;", raw decoded values. Every field counts, not a fixed list,
/// so fields Shoper adds later (e.g. "trial") keep verifying.
/// </summary>
public static class ShoperAppstoreSignature
{
    public static string Message(IEnumerable<KeyValuePair<string, string>> fields) =>
        string.Join('&', fields
            .Where(f => f.Key != "hash")
            .OrderBy(f => f.Key, StringComparer.Ordinal)
            .Select(f => f.Key + "=" + f.Value));

    public static string Compute(IEnumerable<KeyValuePair<string, string>> fields, string appstoreSecret) =>
        ShoperHex.HmacSha512(appstoreSecret, Message(fields));

    public static bool IsValid(IEnumerable<KeyValuePair<string, string>> fields, string? receivedHash, string appstoreSecret) =>
        ShoperHex.FixedTimeEquals(Compute(fields, appstoreSecret), receivedHash);
}

/// <summary>Iframe entry signature: only place, shop and timestamp are signed; translations, locale, id are not.</summary>
public static class ShoperIframeSignature
{
    public static string Message(string place, string shop, string timestamp) =>
        $"place={place}&shop={shop}&timestamp={timestamp}";

    public static string Compute(string place, string shop, string timestamp, string appstoreSecret) =>
        ShoperHex.HmacSha512(appstoreSecret, Message(place, shop, timestamp));

    public static bool IsValid(string place, string shop, string timestamp, string? receivedHash, string appstoreSecret) =>
        ShoperHex.FixedTimeEquals(Compute(place, shop, timestamp, appstoreSecret), receivedHash);
}

internal static class ShoperHex
{
    public static string HmacSha512(string key, string message) =>
        Convert.ToHexStringLower(HMACSHA512.HashData(Encoding.UTF8.GetBytes(key), Encoding.UTF8.GetBytes(message)));

    /// <summary>Case-insensitive on the received side (hex), constant time in the content.</summary>
    public static bool FixedTimeEquals(string expectedLowerHex, string? received)
    {
        if (received is null) return false;
        var a = Encoding.ASCII.GetBytes(expectedLowerHex);
        var b = Encoding.ASCII.GetBytes(received.ToLowerInvariant());
        return CryptographicOperations.FixedTimeEquals(a, b);
    }
}

using System.Security.Cryptography;
using System.Text;

namespace Relay.Platforms.Shopware;

/// <summary>
/// Shopware's one signing scheme: lowercase hex HMAC-SHA256 over exact bytes. The bytes are always the
/// ones received (raw query, raw body), never a re-encoded or re-serialised form, because Shopware's
/// encoding (Guzzle query values, PHP json_encode slash escaping) would not survive a round trip.
/// </summary>
public static class ShopwareSignature
{
    public const string AppSignatureHeader = "shopware-app-signature";
    public const string ShopSignatureHeader = "shopware-shop-signature";
    public const string PreviousShopSignatureHeader = "shopware-shop-signature-previous";
    public const string ShopSignatureParameter = "shopware-shop-signature";

    public static string Sign(string key, ReadOnlySpan<byte> message) =>
        Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(key), message));

    public static string Sign(string key, string message) => Sign(key, Encoding.UTF8.GetBytes(message));

    /// <summary>Compares MAC bytes in constant time; a header that is not hex never matches.</summary>
    public static bool Matches(string key, ReadOnlySpan<byte> message, string? signature)
    {
        if (string.IsNullOrEmpty(signature) || signature.Length != 64) return false;
        Span<byte> received = stackalloc byte[32];
        if (Convert.FromHexString(signature, received, out _, out var written) != System.Buffers.OperationStatus.Done || written != 32)
            return false;
        Span<byte> expected = stackalloc byte[32];
        HMACSHA256.HashData(Encoding.UTF8.GetBytes(key), message, expected);
        return CryptographicOperations.FixedTimeEquals(expected, received);
    }

    public static bool Matches(string key, string message, string? signature) => Matches(key, Encoding.UTF8.GetBytes(message), signature);

    /// <summary>
    /// The registration proof Shopware checks: shopId . shopUrl . appName, keyed with the app secret,
    /// over the decoded query values exactly as sent (a normalised URL gives a wrong proof).
    /// </summary>
    public static string Proof(string appSecret, string shopId, string shopUrl, string appName) =>
        Sign(appSecret, shopId + shopUrl + appName);

    /// <summary>
    /// Splits a signed GET query into the signed part and the signature. Shopware appends the signature
    /// last and signs everything before it; removing the parameter wherever it is also covers clients
    /// that put it first.
    /// </summary>
    public static (string SignedQuery, string? Signature) SplitSignedQuery(string rawQuery)
    {
        string? signature = null;
        var kept = new List<string>();
        foreach (var part in rawQuery.Split('&'))
        {
            if (signature is null && part.StartsWith(ShopSignatureParameter + "=", StringComparison.Ordinal))
                signature = part[(ShopSignatureParameter.Length + 1)..];
            else
                kept.Add(part);
        }
        return (string.Join('&', kept), signature);
    }
}

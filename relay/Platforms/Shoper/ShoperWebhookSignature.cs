using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;

namespace Relay.Platforms.Shoper;

public enum ShoperWebhookKey { None, RegisteredSecret, DerivedAppKey, AppstoreSecret }

/// <summary>
/// X-Webhook-Sha1 = hex SHA1(X-Webhook-Id + ":" + K + ":" + raw body): plain SHA-1, not an HMAC.
/// Which K Shoper uses depends on who created the webhook and is not documented for webhooks an app
/// registers through the API, so the candidates are tried in the protocol's order: the secret we
/// registered, the per-shop key derived for app-declared webhooks, then the AppStore secret.
/// </summary>
public sealed class ShoperWebhookSignature(IOptions<ShoperOptions> options)
{
    public static string Compute(string webhookId, string key, ReadOnlySpan<byte> rawBody)
    {
        var prefix = Encoding.UTF8.GetBytes(webhookId + ":" + key + ":");
        using var sha1 = IncrementalHash.CreateHash(HashAlgorithmName.SHA1);
        sha1.AppendData(prefix);
        sha1.AppendData(rawBody);
        return Convert.ToHexStringLower(sha1.GetHashAndReset());
    }

    /// <summary>Key of webhooks declared in the app's Appstore configuration: hex HMAC-SHA512(AppStore secret, license + ":" + app webhook secret).</summary>
    public static string DeriveAppKey(string appstoreSecret, string shopLicense, string appWebhookSecret) =>
        ShoperHex.HmacSha512(appstoreSecret, shopLicense + ":" + appWebhookSecret);

    /// <summary>Which key candidate matched, or <see cref="ShoperWebhookKey.None"/>.</summary>
    public ShoperWebhookKey Verify(string webhookId, string shopLicense, string? registeredSecret, byte[] rawBody, string? receivedSha1)
    {
        var o = options.Value;
        if (!string.IsNullOrEmpty(registeredSecret) && Matches(registeredSecret))
            return ShoperWebhookKey.RegisteredSecret;
        if (!string.IsNullOrEmpty(o.AppWebhookSecret) && Matches(DeriveAppKey(o.AppstoreSecret!, shopLicense, o.AppWebhookSecret)))
            return ShoperWebhookKey.DerivedAppKey;
        if (!string.IsNullOrEmpty(o.AppstoreSecret) && Matches(o.AppstoreSecret))
            return ShoperWebhookKey.AppstoreSecret;
        return ShoperWebhookKey.None;

        bool Matches(string key) => ShoperHex.FixedTimeEquals(Compute(webhookId, key, rawBody), receivedSha1);
    }
}

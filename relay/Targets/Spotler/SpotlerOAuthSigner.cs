using System.Security.Cryptography;
using System.Text;

namespace Relay.Targets.Spotler;

/// <summary>
/// OAuth 1.0a "one leg" HMAC-SHA1 (RFC 5849 §3.4) as Spotler Mail+ expects it: no token, the
/// query string is signed, the JSON body is not (no oauth_body_hash), key = pct(secret) + "&amp;".
/// </summary>
public static class SpotlerOAuthSigner
{
    public static string AuthorizationHeader(HttpMethod method, Uri uri, string consumerKey, string consumerSecret, string nonce, long timestamp)
    {
        var oauth = OAuthParameters(consumerKey, nonce, timestamp);
        var signature = Sign(method, uri, consumerSecret, oauth);
        return "OAuth " + string.Join(", ", oauth.Append((Key: "oauth_signature", Value: signature))
            .OrderBy(p => p.Key, StringComparer.Ordinal)
            .Select(p => $"{Percent(p.Key)}=\"{Percent(p.Value)}\""));
    }

    public static string Sign(HttpMethod method, Uri uri, string consumerSecret, IEnumerable<(string Key, string Value)> oauthParameters)
    {
        var baseString = BaseString(method, uri, oauthParameters);
        using var hmac = new HMACSHA1(Encoding.ASCII.GetBytes(Percent(consumerSecret) + "&"));
        return Convert.ToBase64String(hmac.ComputeHash(Encoding.ASCII.GetBytes(baseString)));
    }

    public static List<(string Key, string Value)> OAuthParameters(string consumerKey, string nonce, long timestamp) =>
    [
        ("oauth_consumer_key", consumerKey),
        ("oauth_nonce", nonce),
        ("oauth_signature_method", "HMAC-SHA1"),
        ("oauth_timestamp", timestamp.ToString(System.Globalization.CultureInfo.InvariantCulture)),
        ("oauth_version", "1.0"),
    ];

    /// <summary>RFC 5849 §3.4.1: METHOD &amp; pct(base URI) &amp; pct(normalized parameters).</summary>
    public static string BaseString(HttpMethod method, Uri uri, IEnumerable<(string Key, string Value)> oauthParameters)
    {
        var parameters = QueryParameters(uri.Query).Concat(oauthParameters)
            .Select(p => (Key: Percent(p.Key), Value: Percent(p.Value)))
            .OrderBy(p => p.Key, StringComparer.Ordinal)
            .ThenBy(p => p.Value, StringComparer.Ordinal)
            .Select(p => p.Key + "=" + p.Value);
        return method.Method.ToUpperInvariant() + "&" + Percent(BaseUri(uri)) + "&" + Percent(string.Join("&", parameters));
    }

    /// <summary>§3.4.1.2: lower-case scheme and host, default port dropped, no query or fragment.</summary>
    public static string BaseUri(Uri uri)
    {
        var scheme = uri.Scheme.ToLowerInvariant();
        var port = uri.IsDefaultPort ? "" : ":" + uri.Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return $"{scheme}://{uri.Host.ToLowerInvariant()}{port}{uri.AbsolutePath}";
    }

    /// <summary>§3.4.1.3.1: the query is form-decoded ("+" is a space) before being re-encoded.</summary>
    public static IEnumerable<(string Key, string Value)> QueryParameters(string query)
    {
        foreach (var pair in query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = pair.IndexOf('=');
            var key = eq < 0 ? pair : pair[..eq];
            var value = eq < 0 ? "" : pair[(eq + 1)..];
            yield return (Uri.UnescapeDataString(key.Replace('+', ' ')), Uri.UnescapeDataString(value.Replace('+', ' ')));
        }
    }

    /// <summary>RFC 3986 §2.3: only A-Z a-z 0-9 - . _ ~ stay literal; UTF-8 bytes as upper-case %XX.</summary>
    public static string Percent(string value)
    {
        var sb = new StringBuilder(value.Length * 2);
        foreach (var b in Encoding.UTF8.GetBytes(value))
        {
            if (b is >= (byte)'A' and <= (byte)'Z' or >= (byte)'a' and <= (byte)'z' or >= (byte)'0' and <= (byte)'9' or (byte)'-' or (byte)'.' or (byte)'_' or (byte)'~')
                sb.Append((char)b);
            else
                sb.Append('%').Append(b.ToString("X2", System.Globalization.CultureInfo.InvariantCulture));
        }
        return sb.ToString();
    }
}

/// <summary>
/// Signs each attempt with a fresh nonce and timestamp, so a retry is not a replay. Runs inside
/// the outbound chain's resilience handler; the credentials ride on the request's options, never in a log.
/// </summary>
public sealed class SpotlerOAuthHandler(TimeProvider time) : DelegatingHandler
{
    public const string CredentialsProperty = "relay.spotler.credentials";
    public static readonly HttpRequestOptionsKey<SpotlerCredentials> CredentialsKey = new(CredentialsProperty);

    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken ct)
    {
        if (!request.Options.TryGetValue(CredentialsKey, out var credentials))
            throw new InvalidOperationException("A Spotler request without credentials.");
        var nonce = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        var timestamp = time.GetUtcNow().ToUnixTimeSeconds();
        request.Headers.Remove("Authorization");
        request.Headers.TryAddWithoutValidation("Authorization",
            SpotlerOAuthSigner.AuthorizationHeader(request.Method, request.RequestUri!, credentials.ConsumerKey, credentials.ConsumerSecret, nonce, timestamp));
        return base.SendAsync(request, ct);
    }
}

public sealed record SpotlerCredentials(string ConsumerKey, string ConsumerSecret)
{
    public override string ToString() => "SpotlerCredentials { *** }";
}

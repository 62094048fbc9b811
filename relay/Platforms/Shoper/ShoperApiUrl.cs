namespace Relay.Platforms.Shoper;

/// <summary>A shop's base URL in one canonical form: no trailing slash, no "/webapi/rest" suffix.</summary>
public static class ShoperApiUrl
{
    public static string Normalize(string shopUrl)
    {
        var url = shopUrl.Trim().TrimEnd('/');
        if (url.EndsWith("/webapi/rest", StringComparison.OrdinalIgnoreCase))
            url = url[..^"/webapi/rest".Length];
        return url;
    }

    public static bool IsValid(string? shopUrl) =>
        Uri.TryCreate(shopUrl, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https" && uri.Host.Length > 0;
}

/// <summary>
/// shop_url may 301 to the real entry point, typically between http and https (shops with SSL off, or on).
/// One redirect is followed, as the reference bundle does; a loop or an unreachable shop keeps the URL as notified.
/// Hand-written and outside the outbound chain: it is one best-effort probe of a shop's front page during an
/// install, not an API call, so it needs neither retries nor a circuit, and it must see the redirect itself.
/// </summary>
public sealed class ShoperShopUrlResolver(HttpClient http, ILogger<ShoperShopUrlResolver> logger)
{
    public async Task<string> ResolveAsync(string shopUrl, CancellationToken ct)
    {
        var notified = ShoperApiUrl.Normalize(shopUrl);
        try
        {
            using var response = await http.GetAsync(notified + "/", HttpCompletionOption.ResponseHeadersRead, ct);
            var status = (int)response.StatusCode;
            if (status is < 300 or > 399 || response.Headers.Location is not { } location)
                return notified;
            var target = location.IsAbsoluteUri ? location : new Uri(new Uri(notified + "/"), location);
            if (target.Scheme is not ("http" or "https"))
                return notified;
            var resolved = target.GetLeftPart(UriPartial.Authority);
            if (!string.Equals(resolved, notified, StringComparison.OrdinalIgnoreCase))
                logger.LogInformation("Shoper shop URL {Notified} redirects to {Resolved}; using the latter", notified, resolved);
            return resolved;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            logger.LogWarning("Could not probe Shoper shop URL {Url} for redirects ({Error}); using it as notified", notified, e.Message);
            return notified;
        }
    }
}

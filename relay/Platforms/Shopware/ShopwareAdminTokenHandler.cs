using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Serialization;
using Relay.Infrastructure;

namespace Relay.Platforms.Shopware;

/// <summary>
/// Admin API bearer tokens per shop and integration. Client-credentials tokens come without a refresh
/// token, so a new one is fetched shortly before expiry; the cache key is a hash so the in-memory map
/// never holds the integration secret.
/// </summary>
public sealed class ShopwareTokenCache(TimeProvider time)
{
    /// <summary>Renew this long before Shopware's expiry (the PHP SDK uses 30 s too), so a token never dies in flight.</summary>
    public static readonly TimeSpan RenewMargin = TimeSpan.FromSeconds(30);

    private readonly ConcurrentDictionary<string, (string Token, DateTimeOffset RenewAt)> _tokens = new();

    public bool TryGet(ShopwareApiAccess access, out string token)
    {
        token = "";
        if (!_tokens.TryGetValue(KeyOf(access), out var entry) || time.GetUtcNow() >= entry.RenewAt) return false;
        token = entry.Token;
        return true;
    }

    public void Store(ShopwareApiAccess access, string token, TimeSpan lifetime) =>
        _tokens[KeyOf(access)] = (token, time.GetUtcNow() + (lifetime > RenewMargin ? lifetime - RenewMargin : TimeSpan.Zero));

    /// <summary>Drops the token only if it is still the one that failed, so a fresh one from a parallel call survives.</summary>
    public void Invalidate(ShopwareApiAccess access, string failedToken)
    {
        var key = KeyOf(access);
        if (_tokens.TryGetValue(key, out var entry) && entry.Token == failedToken)
            _tokens.TryRemove(new KeyValuePair<string, (string, DateTimeOffset)>(key, entry));
    }

    private static string KeyOf(ShopwareApiAccess access) =>
        Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes($"{access.ShopUrl}\n{access.ApiKey}\n{access.SecretKey}")));
}

/// <summary>
/// Authorises each Admin API attempt with the shop's bearer token (OAuth client credentials, cached), and
/// repeats it once with a new token when the shop answers 401: tokens die early when the shop's TTL is
/// shorter than it said or the integration was re-keyed.
/// </summary>
public sealed class ShopwareAdminTokenHandler(ShopwareTokenCache tokens, IShopwareOAuthApi oauth, TimeProvider time) : DelegatingHandler
{
    public const string AccessProperty = "relay.shopware.access";
    public static readonly HttpRequestOptionsKey<ShopwareApiAccess> AccessKey = new(AccessProperty);

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken ct)
    {
        if (!request.Options.TryGetValue(AccessKey, out var access))
            throw new InvalidOperationException("A Shopware Admin API request without its shop's access.");
        var token = await GetTokenAsync(access, ct);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        var response = await base.SendAsync(request, ct);
        if (response.StatusCode != HttpStatusCode.Unauthorized) return response;
        response.Dispose();
        tokens.Invalidate(access, token);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", await GetTokenAsync(access, ct));
        return await base.SendAsync(request, ct);
    }

    private async Task<string> GetTokenAsync(ShopwareApiAccess access, CancellationToken ct)
    {
        if (tokens.TryGet(access, out var cached)) return cached;
        using var response = await oauth.RequestTokenAsync(new ShopwareTokenRequest("client_credentials", access.ApiKey, access.SecretKey), access.Call, ct);
        if (response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.BadRequest or HttpStatusCode.Forbidden)
            throw new ShopwareApiException(HttpStatusCode.Unauthorized, $"Shopware refused the integration credentials of {access.ShopKey} ({(int)response.StatusCode}); the app may need a reinstall.");
        await ShopwareApiException.ThrowUnlessSuccessAsync(response, "get token", time);
        var token = await response.Content.ReadFromJsonAsync<TokenResponse>(ct);
        if (token is not { AccessToken.Length: > 0 })
            throw new ShopwareApiException(response.StatusCode, "Shopware's token answer carried no access_token.");
        tokens.Store(access, token.AccessToken, TimeSpan.FromSeconds(token.ExpiresIn > 0 ? token.ExpiresIn : 600));
        return token.AccessToken;
    }

    private sealed record TokenResponse(
        [property: JsonPropertyName("access_token")] string? AccessToken,
        [property: JsonPropertyName("expires_in")] int ExpiresIn);
}

using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Extensions.Options;
using Relay.Storage;

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
/// One shop's Admin API (protocol §2): OAuth client credentials, search customers and newsletter
/// recipients, set a recipient's status, and look after the app's own webhooks, which Shopware switches
/// off silently after repeated delivery failures. Failures surface as <see cref="ShopwareApiException"/>
/// so the pipeline decides about retries; this client retries only the one case it can fix itself, a
/// token that stopped working (401).
/// </summary>
public sealed class ShopwareAdminClient(
    HttpClient http, ShopwareTokenCache tokens, ShopwareShops shops, IRelayStore store,
    IOptions<ShopwareOptions> options, TimeProvider time, ILogger<ShopwareAdminClient> logger)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    /// <summary>The Admin API access of a confirmed shop; null for unknown or unconfirmed shops.</summary>
    public async Task<ShopwareApiAccess?> AccessForAsync(string shopId) =>
        await shops.GetCredentialsAsync(shopId) is { } c
            ? new ShopwareApiAccess(ShopwareShops.KeyOf(shopId), c.ShopUrl, c.ApiKey, c.SecretKey)
            : null;

    public Task<ShopwareSearchResult<ShopwareCustomer>> SearchCustomersAsync(ShopwareApiAccess access, ShopwareCriteria criteria, CancellationToken ct = default) =>
        SearchAsync<ShopwareCustomer>(access, "customer", criteria, ct);

    public Task<ShopwareSearchResult<ShopwareNewsletterRecipient>> SearchNewsletterRecipientsAsync(ShopwareApiAccess access, ShopwareCriteria criteria, CancellationToken ct = default) =>
        SearchAsync<ShopwareNewsletterRecipient>(access, "newsletter-recipient", criteria, ct);

    /// <summary>Every match, page by page; stops at the first short page, so it never depends on the total.</summary>
    public async IAsyncEnumerable<T> SearchAllAsync<T>(ShopwareApiAccess access, string entity, ShopwareCriteria criteria, [EnumeratorCancellation] CancellationToken ct = default)
    {
        for (var page = criteria.Page; ; page++)
        {
            var result = await SearchAsync<T>(access, entity, criteria with { Page = page }, ct);
            foreach (var item in result.Data) yield return item;
            if (result.Data.Count < criteria.Limit) yield break;
        }
    }

    public async Task<ShopwareSearchResult<T>> SearchAsync<T>(ShopwareApiAccess access, string entity, ShopwareCriteria criteria, CancellationToken ct = default)
    {
        using var response = await SendAsync(access, () => new HttpRequestMessage(HttpMethod.Post, access.Endpoint($"search/{entity}"))
        {
            Content = JsonContent.Create(criteria, options: Json),
        }, ct);
        await EnsureSuccessAsync(response, $"search {entity}");
        var body = await response.Content.ReadFromJsonAsync<SearchBody<T>>(Json, ct)
            ?? throw new ShopwareApiException(response.StatusCode, $"Shopware answered search {entity} with an empty body.");
        return new ShopwareSearchResult<T>(body.Total, body.Data ?? []);
    }

    /// <summary>PATCH newsletter-recipient status; optOut is what an unsubscribe in the marketing system becomes.</summary>
    public async Task SetNewsletterStatusAsync(ShopwareApiAccess access, string recipientId, string status, CancellationToken ct = default)
    {
        if (!ShopwareNewsletterStatus.IsKnown(status))
            throw new ArgumentException($"'{status}' is not a newsletter status Shopware stores (notSet, optIn, direct, optOut).", nameof(status));
        using var response = await SendAsync(access, () => new HttpRequestMessage(HttpMethod.Patch, access.Endpoint($"newsletter-recipient/{Uri.EscapeDataString(recipientId)}"))
        {
            Content = JsonContent.Create(new { status }, options: Json),
        }, ct);
        await EnsureSuccessAsync(response, "update newsletter recipient");
    }

    /// <summary>The app's own webhooks, found by their URL under the relay's public base URL (needs webhook:read).</summary>
    public async Task<IReadOnlyList<ShopwareWebhook>> ListOwnWebhooksAsync(ShopwareApiAccess access, CancellationToken ct = default)
    {
        var prefix = options.Value.PublicBaseUrl!.TrimEnd('/') + "/shopware/";
        var result = await SearchAsync<ShopwareWebhook>(access, "webhook", new ShopwareCriteria
        {
            Limit = 100,
            Filter = [ShopwareFilter.Prefix("url", prefix)],
        }, ct);
        return result.Data;
    }

    /// <summary>
    /// Turns back on webhooks that Shopware deactivated after ten failed deliveries; an app update does
    /// not. Needs webhook:update. Returns how many were re-enabled.
    /// </summary>
    public async Task<int> ReactivateOwnWebhooksAsync(ShopwareApiAccess access, CancellationToken ct = default)
    {
        var reactivated = 0;
        foreach (var webhook in await ListOwnWebhooksAsync(access, ct))
        {
            if (webhook.Active) continue;
            using var response = await SendAsync(access, () => new HttpRequestMessage(HttpMethod.Patch, access.Endpoint($"webhook/{Uri.EscapeDataString(webhook.Id)}"))
            {
                Content = JsonContent.Create(new { active = true }, options: Json),
            }, ct);
            await EnsureSuccessAsync(response, "re-enable webhook");
            logger.LogInformation("Re-enabled Shopware webhook {Webhook} ({Event}) for {ShopKey}", webhook.Name, webhook.EventName, access.ShopKey);
            reactivated++;
        }
        return reactivated;
    }

    private async Task<HttpResponseMessage> SendAsync(ShopwareApiAccess access, Func<HttpRequestMessage> build, CancellationToken ct)
    {
        for (var attempt = 0; ; attempt++)
        {
            var token = await GetTokenAsync(access, ct);
            await PaceAsync(access, ct);
            using var request = build();
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            // Without it the Admin API answers JSON:API, a different shape.
            request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
            var response = await http.SendAsync(request, ct);
            if (response.StatusCode != HttpStatusCode.Unauthorized || attempt > 0) return response;
            // Tokens die early when the shop's TTL is shorter than it said or the integration was re-keyed: try once with a new one.
            response.Dispose();
            tokens.Invalidate(access, token);
        }
    }

    private async Task<string> GetTokenAsync(ShopwareApiAccess access, CancellationToken ct)
    {
        if (tokens.TryGet(access, out var cached)) return cached;
        using var response = await http.PostAsJsonAsync(access.Endpoint("oauth/token"), new TokenRequest("client_credentials", access.ApiKey, access.SecretKey), Json, ct);
        if (response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.BadRequest or HttpStatusCode.Forbidden)
            throw new ShopwareApiException(HttpStatusCode.Unauthorized, $"Shopware refused the integration credentials of {access.ShopKey} ({(int)response.StatusCode}); the app may need a reinstall.");
        await EnsureSuccessAsync(response, "get token");
        var token = await response.Content.ReadFromJsonAsync<TokenResponse>(Json, ct);
        if (token is not { AccessToken.Length: > 0 })
            throw new ShopwareApiException(response.StatusCode, "Shopware's token answer carried no access_token.");
        tokens.Store(access, token.AccessToken, TimeSpan.FromSeconds(token.ExpiresIn > 0 ? token.ExpiresIn : 600));
        return token.AccessToken;
    }

    /// <summary>Shared pacing per shop across relay instances, so a full sync does not run into the shop's limits.</summary>
    private async Task PaceAsync(ShopwareApiAccess access, CancellationToken ct)
    {
        var o = options.Value;
        var wait = await store.ReserveSlotAsync(StoreKeys.ShopItem(access.ShopKey, "shopware:api-pace"), o.AdminApiRequestsPerSecond, o.AdminApiBurst, time.GetUtcNow());
        if (wait > TimeSpan.Zero) await Task.Delay(wait, time, ct);
    }

    private async Task EnsureSuccessAsync(HttpResponseMessage response, string what)
    {
        if (response.IsSuccessStatusCode) return;
        var retryAfter = response.Headers.RetryAfter switch
        {
            { Delta: { } delta } => delta,
            { Date: { } date } => date - time.GetUtcNow(),
            _ => (TimeSpan?)null,
        };
        // The body may echo customer data, so only its status reaches the message.
        await response.Content.LoadIntoBufferAsync();
        throw new ShopwareApiException(response.StatusCode, $"Shopware answered {what} with {(int)response.StatusCode} {response.ReasonPhrase}.", retryAfter);
    }

    private sealed record TokenRequest(
        [property: JsonPropertyName("grant_type")] string GrantType,
        [property: JsonPropertyName("client_id")] string ClientId,
        [property: JsonPropertyName("client_secret")] string ClientSecret);

    private sealed record TokenResponse(
        [property: JsonPropertyName("access_token")] string? AccessToken,
        [property: JsonPropertyName("expires_in")] int ExpiresIn);

    private sealed record SearchBody<T>(long Total, List<T>? Data);
}

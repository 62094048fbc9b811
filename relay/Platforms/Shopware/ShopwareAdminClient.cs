using System.Net;
using System.Net.Http.Json;
using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Extensions.Options;
using Relay.Infrastructure;
using Relay.Storage;

namespace Relay.Platforms.Shopware;

/// <summary>
/// One shop's Admin API (protocol §2): OAuth client credentials, search customers and newsletter
/// recipients, set a recipient's status, and look after the app's own webhooks, which Shopware switches
/// off silently after repeated delivery failures. Failures surface as <see cref="ShopwareApiException"/>
/// once the outbound chain has done its retries (it also renews a token that stopped working).
/// </summary>
public sealed class ShopwareAdminClient(
    IShopwareAdminApi api, ShopwareShops shops, IOptions<ShopwareOptions> options, TimeProvider time, ILogger<ShopwareAdminClient> logger)
{
    /// <summary>The Admin API's JSON, both ways.</summary>
    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
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
        using var response = await api.SearchAsync(entity, criteria, access.Call, access, Pace(access), ct);
        await ShopwareApiException.ThrowUnlessSuccessAsync(response, $"search {entity}", time);
        var body = await response.Content.ReadFromJsonAsync<SearchBody<T>>(Json, ct)
            ?? throw new ShopwareApiException(response.StatusCode, $"Shopware answered search {entity} with an empty body.");
        return new ShopwareSearchResult<T>(body.Total, body.Data ?? []);
    }

    /// <summary>PATCH newsletter-recipient status; optOut is what an unsubscribe in the marketing system becomes.</summary>
    public async Task SetNewsletterStatusAsync(ShopwareApiAccess access, string recipientId, string status, CancellationToken ct = default)
    {
        if (!ShopwareNewsletterStatus.IsKnown(status))
            throw new ArgumentException($"'{status}' is not a newsletter status Shopware stores (notSet, optIn, direct, optOut).", nameof(status));
        using var response = await api.UpdateAsync("newsletter-recipient", recipientId, new { status }, access.Call, access, Pace(access), ct);
        await ShopwareApiException.ThrowUnlessSuccessAsync(response, "update newsletter recipient", time);
    }

    /// <summary>
    /// One bulk write (<c>_action/sync</c>). Shopware writes a request in one transaction: a row it refuses
    /// fails the whole call with 400, whose errors name the row (<see cref="ShopwareSyncException"/>).
    /// </summary>
    public async Task SyncAsync(ShopwareApiAccess access, IReadOnlyList<ShopwareSyncOperation> operations, CancellationToken ct = default)
    {
        using var response = await api.SyncAsync(operations, access.Call, access, Pace(access), ct);
        if (response.StatusCode is System.Net.HttpStatusCode.BadRequest)
        {
            // Catalog rows carry no personal data, so the shop's reason may be shown.
            var body = await response.Content.ReadAsStringAsync(ct);
            throw new ShopwareSyncException(ShopwareSyncException.Describe(body));
        }
        await ShopwareApiException.ThrowUnlessSuccessAsync(response, "bulk write", time);
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
            using var response = await api.UpdateAsync("webhook", webhook.Id, new { active = true }, access.Call, access, Pace(access), ct);
            await ShopwareApiException.ThrowUnlessSuccessAsync(response, "re-enable webhook", time);
            logger.LogInformation("Re-enabled Shopware webhook {Webhook} ({Event}) for {ShopKey}", webhook.Name, webhook.EventName, access.ShopKey);
            reactivated++;
        }
        return reactivated;
    }

    /// <summary>Most webhook names one reactivate call may carry.</summary>
    public const int MaxReactivationNames = 50;

    /// <summary>
    /// The app's webhooks with their health, from the webhook health API (6.8; 6.7 with WEBHOOKS_REWORK).
    /// Null when the shop has no such API: the route is missing (404) or belongs to another method (405).
    /// </summary>
    public async Task<IReadOnlyList<ShopwareWebhookState>?> WebhookStatesAsync(ShopwareApiAccess access, CancellationToken ct = default)
    {
        using var response = await api.WebhookStateAsync(access.Call, access, Pace(access), ct);
        return await ReadIfOfferedAsync<WebhookStateBody>(response, "webhook state", ct) is { } body ? body.Webhooks ?? [] : null;
    }

    /// <summary>Switches the named webhooks back on; a 429 (ten calls a minute) surfaces as <see cref="ShopwareApiException"/>.</summary>
    public async Task<IReadOnlyList<ShopwareReactivation>> ReactivateWebhooksAsync(ShopwareApiAccess access, IReadOnlyList<string> names, CancellationToken ct = default)
    {
        if (names.Count is 0 or > MaxReactivationNames)
            throw new ArgumentOutOfRangeException(nameof(names), $"A reactivation names 1 to {MaxReactivationNames} webhooks.");
        using var response = await api.ReactivateWebhooksAsync(new ShopwareReactivationRequest(names), access.Call, access, Pace(access), ct);
        await ShopwareApiException.ThrowUnlessSuccessAsync(response, "reactivate webhooks", time);
        var body = await response.Content.ReadFromJsonAsync<ReactivateBody>(Json, ct);
        foreach (var r in body?.Reactivated ?? [])
            logger.LogInformation("Webhook {Webhook} of {ShopKey}: {Outcome}", r.Name, access.ShopKey, r.Reset ? "switched back on" : r.Refused ?? "unchanged");
        return body?.Reactivated ?? [];
    }

    /// <summary>Past reactivations, newest first; null when the shop keeps no such history (404/405).</summary>
    public async Task<IReadOnlyList<ShopwareReactivationRecord>?> ReactivationHistoryAsync(ShopwareApiAccess access, CancellationToken ct = default)
    {
        using var response = await api.ReactivationHistoryAsync(access.Call, access, Pace(access), ct);
        return await ReadIfOfferedAsync<HistoryBody>(response, "webhook reactivation history", ct) is { } body ? body.History ?? [] : null;
    }

    /// <summary>The body of a call on an API the shop may not have; null when the route is missing (404) or another method's (405).</summary>
    private async Task<T?> ReadIfOfferedAsync<T>(HttpResponseMessage response, string what, CancellationToken ct) where T : class
    {
        if (response.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.MethodNotAllowed) return null;
        await ShopwareApiException.ThrowUnlessSuccessAsync(response, what, time);
        return await response.Content.ReadFromJsonAsync<T>(Json, ct)
            ?? throw new ShopwareApiException(response.StatusCode, $"Shopware answered {what} with an empty body.");
    }

    private sealed record WebhookStateBody(List<ShopwareWebhookState>? Webhooks);
    private sealed record ReactivateBody(List<ShopwareReactivation>? Reactivated);
    private sealed record HistoryBody(List<ShopwareReactivationRecord>? History);

    /// <summary>Shared pacing per shop across relay instances, so a full sync does not run into the shop's limits.</summary>
    private OutboundPace Pace(ShopwareApiAccess access) =>
        new(StoreKeys.ShopItem(access.ShopKey, "shopware:api-pace"), options.Value.AdminApiRequestsPerSecond, options.Value.AdminApiBurst);

    private sealed record SearchBody<T>(long Total, List<T>? Data);
}

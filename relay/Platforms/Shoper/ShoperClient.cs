using System.Globalization;
using System.Text.Json;
using Relay.Infrastructure;

namespace Relay.Platforms.Shoper;

/// <summary>A Shoper REST call failed after the outbound chain's retries. The message carries no tokens or personal data.</summary>
public sealed class ShoperApiException(string message, int statusCode, string? error) : ShopApiException(message)
{
    public int StatusCode { get; } = statusCode;
    public string? Error { get; } = error;
    public override bool IsPermanent => StatusCode is >= 400 and < 500 and not 408 and not 429;
}

/// <summary>
/// Shoper REST API of one shop at a time ({shop}/webapi/rest), through the outbound chain: the shop's
/// leaky bucket paces every attempt (<see cref="ShoperBucketHandler"/>), a 429 waits Retry-After and tries
/// again, a bounded number of times, without the caller seeing it, and a rejected token is refreshed once
/// (<see cref="ShoperTokenHandler"/>).
/// </summary>
public sealed class ShoperClient(IShoperRestApi api, ShoperTokens tokens)
{
    public const int MaxPageSize = 50;
    public const int MaxBulkOperations = 25;

    public static readonly string[] WebhookEvents =
        ["subscriber.create", "subscriber.edit", "subscriber.delete", "client.create", "client.edit", "client.delete",
         "order.create", "order.edit", "order.paid", "order.status", "order.delete"];

    /// <summary>Shoper's JSON, both ways.</summary>
    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public Task<ShoperPage<ShoperUser>> ListUsersAsync(string shopKey, int page = 1, int limit = MaxPageSize,
        IReadOnlyDictionary<string, object?>? filters = null, CancellationToken ct = default) =>
        ListAsync<ShoperUser>(shopKey, "users", page, limit, filters, ct);

    public Task<ShoperPage<ShoperSubscriber>> ListSubscribersAsync(string shopKey, int page = 1, int limit = MaxPageSize,
        IReadOnlyDictionary<string, object?>? filters = null, CancellationToken ct = default) =>
        ListAsync<ShoperSubscriber>(shopKey, "subscribers", page, limit, filters, ct);

    /// <summary>Unsubscribe from outside: PUT subscribers/{id} {"active":false}. Shoper answers 1.</summary>
    public async Task DeactivateSubscriberAsync(string shopKey, string subscriberId, CancellationToken ct = default)
    {
        using var _ = await SendAsync(shopKey, "PUT subscribers", (call, access) => api.UpdateSubscriberAsync(subscriberId, new { active = false }, call, access, ct), ct);
    }

    /// <summary>Registers one JSON webhook for subscriber and client changes; returns the new webhook id.</summary>
    public async Task<string> CreateWebhookAsync(string shopKey, string url, string secret, IReadOnlyList<string> events, CancellationToken ct = default)
    {
        var body = new { url, secret, events, format = 0, active = 1 };
        using var response = await SendAsync(shopKey, "POST webhooks", (call, access) => api.CreateWebhookAsync(body, call, access, ct), ct);
        var text = (await response.Content.ReadAsStringAsync(ct)).Trim().Trim('"');
        if (!long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var id))
            throw new ShoperApiException("Webhook creation answered without a webhook id.", (int)response.StatusCode, null);
        return id.ToString(CultureInfo.InvariantCulture);
    }

    /// <summary>Deletes a webhook; one that is already gone counts as deleted.</summary>
    public async Task DeleteWebhookAsync(string shopKey, string webhookId, CancellationToken ct = default)
    {
        try
        {
            using var _ = await SendAsync(shopKey, "DELETE webhooks", (call, access) => api.DeleteWebhookAsync(webhookId, call, access, ct), ct);
        }
        catch (ShoperApiException e) when (e.StatusCode == 404)
        {
        }
    }

    /// <summary>
    /// POST /webapi/rest/bulk in calls of at most 25 operations. Results come back in order; check each
    /// item's code, the call as a whole answers 200 even when items fail.
    /// </summary>
    public async Task<IReadOnlyList<ShoperBulkResult>> BulkAsync(string shopKey, IReadOnlyList<ShoperBulkOperation> operations, CancellationToken ct = default)
    {
        var results = new List<ShoperBulkResult>(operations.Count);
        foreach (var chunk in operations.Chunk(MaxBulkOperations))
        {
            using var response = await SendAsync(shopKey, "POST bulk", (call, access) => api.BulkAsync(chunk, call, access, ct), ct);
            var envelope = await ReadJsonAsync<ShoperBulkEnvelope>(response, ct);
            results.AddRange(envelope.Items ?? []);
        }
        return results;
    }

    /// <summary>Every row of a collection, a page of 50 at a time, as raw JSON (orders, order-products, statuses, currencies).</summary>
    public async IAsyncEnumerable<JsonElement> ListAllAsync(string shopKey, string resource, IReadOnlyDictionary<string, object?>? filters,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        for (var page = 1; ; page++)
        {
            var result = await ListAsync<JsonElement>(shopKey, resource, page, MaxPageSize, filters, ct);
            foreach (var row in result.List) yield return row;
            if (page >= result.Pages || result.List.Count < MaxPageSize) yield break;
        }
    }

    public async Task<ShoperPage<T>> ListAsync<T>(string shopKey, string resource, int page, int limit,
        IReadOnlyDictionary<string, object?>? filters, CancellationToken ct)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(page, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(limit, MaxPageSize);
        var filter = filters is { Count: > 0 } ? JsonSerializer.Serialize(filters, Json) : null;
        using var response = await SendAsync(shopKey, $"GET {resource}", (call, access) => api.ListAsync(resource, page, limit, filter, call, access, ct), ct);
        return await ReadJsonAsync<ShoperPage<T>>(response, ct);
    }

    private static async Task<T> ReadJsonAsync<T>(HttpResponseMessage response, CancellationToken ct)
    {
        try
        {
            return await response.Content.ReadFromJsonAsync<T>(Json, ct)
                   ?? throw new ShoperApiException("Shoper answered an empty body.", (int)response.StatusCode, null);
        }
        catch (JsonException e)
        {
            throw new ShoperApiException($"Shoper answered JSON the client cannot read: {e.Message}", (int)response.StatusCode, null);
        }
    }

    /// <summary>One call on the shop; returns only successful responses.</summary>
    private async Task<HttpResponseMessage> SendAsync(string shopKey, string what,
        Func<OutboundCall, ShoperAccess, Task<HttpResponseMessage>> call, CancellationToken ct)
    {
        var access = await tokens.GetAsync(shopKey, ct);
        var response = await call(new OutboundCall(shopKey, new Uri(access.ApiUrl)), access);
        if (response.IsSuccessStatusCode)
            return response;
        using (response)
        {
            var status = (int)response.StatusCode;
            var error = await ErrorOf(response, ct);
            throw new ShoperApiException($"Shoper answered {status} ({error ?? "no error code"}) to {what}.", status, error);
        }
    }

    private static async Task<string?> ErrorOf(HttpResponseMessage response, CancellationToken ct)
    {
        try
        {
            using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync(ct));
            return doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("error", out var e) && e.ValueKind == JsonValueKind.String
                ? e.GetString()
                : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private sealed record ShoperBulkEnvelope(
        [property: System.Text.Json.Serialization.JsonPropertyName("errors")] JsonElement Errors,
        [property: System.Text.Json.Serialization.JsonPropertyName("items")] IReadOnlyList<ShoperBulkResult>? Items);
}

using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Relay.Storage;

namespace Relay.Platforms.Shoper;

/// <summary>A Shoper REST call failed after the client's own retries. The message carries no tokens or personal data.</summary>
public sealed class ShoperApiException(string message, int statusCode, string? error) : ShopApiException(message)
{
    public int StatusCode { get; } = statusCode;
    public string? Error { get; } = error;
    public override bool IsPermanent => StatusCode is >= 400 and < 500 and not 408 and not 429;
}

/// <summary>
/// Shoper REST API of one shop at a time ({shop}/webapi/rest). Shoper meters each app per shop with a
/// leaky bucket (capacity X-Shop-Api-Limit, draining X-Shop-Api-Bandwidth a second). Every relay
/// instance talks to the same bucket, so pacing goes through <see cref="IRelayStore.ReserveSlotAsync"/>
/// under one key per shop, with the bucket size learnt from the shop's headers and the shared view
/// raised whenever the shop reports a fuller bucket (X-Shop-Api-Calls, 429). A 429 still waits
/// Retry-After and tries again, a bounded number of times, without the caller seeing it.
/// </summary>
public sealed class ShoperClient(
    HttpClient http,
    ShoperTokens tokens,
    IRelayStore store,
    TimeProvider time,
    IOptions<ShoperOptions> options,
    ILogger<ShoperClient> logger)
{
    public const int MaxPageSize = 50;
    public const int MaxBulkOperations = 25;

    public static readonly string[] WebhookEvents =
        ["subscriber.create", "subscriber.edit", "subscriber.delete", "client.create", "client.edit", "client.delete"];

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public Task<ShoperPage<ShoperUser>> ListUsersAsync(string shopKey, int page = 1, int limit = MaxPageSize,
        IReadOnlyDictionary<string, object?>? filters = null, CancellationToken ct = default) =>
        ListAsync<ShoperUser>(shopKey, "users", page, limit, filters, ct);

    public Task<ShoperPage<ShoperSubscriber>> ListSubscribersAsync(string shopKey, int page = 1, int limit = MaxPageSize,
        IReadOnlyDictionary<string, object?>? filters = null, CancellationToken ct = default) =>
        ListAsync<ShoperSubscriber>(shopKey, "subscribers", page, limit, filters, ct);

    /// <summary>Unsubscribe from outside: PUT subscribers/{id} {"active":false}. Shoper answers 1.</summary>
    public async Task DeactivateSubscriberAsync(string shopKey, string subscriberId, CancellationToken ct = default)
    {
        using var _ = await SendAsync(shopKey, HttpMethod.Put, $"subscribers/{Uri.EscapeDataString(subscriberId)}", null,
            JsonSerializer.Serialize(new { active = false }), ct);
    }

    /// <summary>Registers one JSON webhook for subscriber and client changes; returns the new webhook id.</summary>
    public async Task<string> CreateWebhookAsync(string shopKey, string url, string secret, IReadOnlyList<string> events, CancellationToken ct = default)
    {
        var body = JsonSerializer.Serialize(new { url, secret, events, format = 0, active = 1 });
        using var response = await SendAsync(shopKey, HttpMethod.Post, "webhooks", null, body, ct);
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
            using var _ = await SendAsync(shopKey, HttpMethod.Delete, $"webhooks/{Uri.EscapeDataString(webhookId)}", null, null, ct);
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
            using var response = await SendAsync(shopKey, HttpMethod.Post, "bulk", null, JsonSerializer.Serialize(chunk, Json), ct);
            var envelope = await ReadJsonAsync<ShoperBulkEnvelope>(response, ct);
            results.AddRange(envelope.Items ?? []);
        }
        return results;
    }

    private async Task<ShoperPage<T>> ListAsync<T>(string shopKey, string resource, int page, int limit,
        IReadOnlyDictionary<string, object?>? filters, CancellationToken ct)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(page, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(limit, MaxPageSize);
        var query = $"page={page}&limit={limit}";
        if (filters is { Count: > 0 })
            query += "&filters=" + Uri.EscapeDataString(JsonSerializer.Serialize(filters, Json));
        using var response = await SendAsync(shopKey, HttpMethod.Get, resource, query, null, ct);
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

    /// <summary>
    /// One logical call: paced, retried on 429/5xx (Retry-After first, else a short backoff), and retried
    /// once with a refreshed token on 401. Returns only successful responses.
    /// </summary>
    private async Task<HttpResponseMessage> SendAsync(string shopKey, HttpMethod method, string resource, string? query, string? jsonBody, CancellationToken ct)
    {
        var o = options.Value;
        var access = await tokens.GetAsync(shopKey, ct);
        var refreshed = false;
        for (var retries = 0; ; )
        {
            var bucket = await PaceAsync(shopKey, ct);
            using var request = new HttpRequestMessage(method, ShoperApiUrl.Rest(access.ApiUrl, resource) + (query is null ? "" : "?" + query));
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", access.AccessToken);
            request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
            if (jsonBody is not null)
                request.Content = new StringContent(jsonBody, Encoding.UTF8, "application/json");

            HttpResponseMessage response;
            var sentAt = time.GetUtcNow();
            try
            {
                response = await http.SendAsync(request, ct);
            }
            catch (HttpRequestException e) when (retries < o.MaxRetries)
            {
                retries++;
                logger.LogWarning("Shoper {Method} {Resource} for {Shop} failed ({Error}); retry {Retry}", method, resource, shopKey, e.Message, retries);
                await Task.Delay(Backoff(retries), time, ct);
                continue;
            }

            var status = (int)response.StatusCode;
            var retryAfter = status == 429 ? RetryAfter(response) ?? TimeSpan.FromSeconds(1) : (TimeSpan?)null;
            await LearnBucketAsync(shopKey, response, bucket, time.GetUtcNow() - sentAt, retryAfter);
            if (response.IsSuccessStatusCode)
                return response;

            if (status == 401 && !refreshed)
            {
                response.Dispose();
                refreshed = true;
                access = await tokens.RefreshAfterRejectionAsync(access, ct);
                continue;
            }
            if (status is 429 or 500 or 502 or 503 or 504 && retries < o.MaxRetries)
            {
                var wait = retryAfter ?? RetryAfter(response) ?? Backoff(retries + 1);
                response.Dispose();
                if (wait > o.MaxRetryAfter)
                    throw new ShoperApiException($"Shoper asked to wait {wait} on {method} {resource}, longer than Shoper:MaxRetryAfter.", status, null);
                retries++;
                logger.LogInformation("Shoper answered {Status} to {Method} {Resource} for {Shop}; retry {Retry} in {Wait}", status, method, resource, shopKey, retries, wait);
                await Task.Delay(wait, time, ct);
                continue;
            }

            using (response)
            {
                var error = await ErrorOf(response, ct);
                throw new ShoperApiException($"Shoper answered {status} ({error ?? "no error code"}) to {method} {resource}.", status, error);
            }
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

    private static TimeSpan? RetryAfter(HttpResponseMessage response)
    {
        if (response.Headers.RetryAfter is not { } retryAfter) return null;
        if (retryAfter.Delta is { } delta) return delta < TimeSpan.Zero ? TimeSpan.Zero : delta;
        return null;
    }

    private static TimeSpan Backoff(int attempt) => TimeSpan.FromMilliseconds(Math.Min(250 * Math.Pow(2, attempt - 1), 8000));

    // ---- leaky bucket --------------------------------------------------------------------

    private static string BucketKey(string shopKey) => StoreKeys.ShopItem(shopKey, "shoper:api-bucket");
    private static string BucketSizeKey(string shopKey) => StoreKeys.ShopItem(shopKey, "shoper:api-limits");

    private async Task<ShoperBucket> PaceAsync(string shopKey, CancellationToken ct)
    {
        // The bucket size is shared through the store, so an instance that never called this shop still paces right.
        var bucket = ShoperBucket.Parse(await store.GetAsync(BucketSizeKey(shopKey)))
                     ?? new ShoperBucket(options.Value.DefaultApiLimit, options.Value.DefaultApiBandwidth);
        var wait = await store.ReserveSlotAsync(BucketKey(shopKey), bucket.PacingRate, bucket.PacingBurst, time.GetUtcNow());
        if (wait > TimeSpan.Zero)
            await Task.Delay(wait, time, ct);
        return bucket;
    }

    /// <param name="roundTrip">From sending the request to its response: the shop counted somewhere in between.</param>
    /// <param name="retryAfter">A 429's wait (Retry-After, else one second); null for any other answer.</param>
    private async Task LearnBucketAsync(string shopKey, HttpResponseMessage response, ShoperBucket assumed, TimeSpan roundTrip, TimeSpan? retryAfter)
    {
        var bucket = assumed;
        var limit = Header(response, "X-Shop-Api-Limit");
        var bandwidth = Header(response, "X-Shop-Api-Bandwidth");
        if (limit is >= 1 && bandwidth is > 0)
        {
            bucket = new ShoperBucket((int)limit.Value, bandwidth.Value);
            if (bucket != assumed)
                await store.SetAsync(BucketSizeKey(shopKey), bucket.ToString(), TimeSpan.FromDays(7));
        }
        // The shop also counts calls this store did not pace (a relay on another store, the shop's own
        // integrations), and a 429 says the bucket is full right now: either raises the shared view, so
        // every instance on this store backs off, not just the caller that heard it.
        var level = Math.Max(
            Header(response, "X-Shop-Api-Calls") is { } calls ? bucket.LevelReported(calls, roundTrip) : 0,
            retryAfter is { } wait ? bucket.LevelToWait(wait) : 0);
        if (level > 0)
            await store.RaiseSlotLevelAsync(BucketKey(shopKey), bucket.PacingRate, level, time.GetUtcNow());
    }

    private static double? Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values)
        && double.TryParse(values.FirstOrDefault(), NumberStyles.Float, CultureInfo.InvariantCulture, out var value)
            ? value
            : null;

    private sealed record ShoperBulkEnvelope(
        [property: System.Text.Json.Serialization.JsonPropertyName("errors")] JsonElement Errors,
        [property: System.Text.Json.Serialization.JsonPropertyName("items")] IReadOnlyList<ShoperBulkResult>? Items);
}

/// <summary>
/// A shop's bucket as its headers state it, and how the relay paces into it: at the full drain rate,
/// bursting into all of it but a safety margin. Pacing is a GCRA schedule of the moments requests may
/// leave, so the shop's bucket overflows only by what the schedule cannot see: requests arriving later
/// or closer together than they were paced (a process pause, the network), a bucket that drains in
/// steps rather than continuously, and calls the relay did not pace. The margin covers the first two;
/// <see cref="LevelReported"/> and <see cref="LevelToWait"/> correct the schedule for the third; the
/// client's 429 retries catch whatever is left.
/// </summary>
internal sealed record ShoperBucket(int Limit, double Bandwidth)
{
    /// <summary>
    /// One second's drain, at least one call. Shoper documents the drain as "every second", so its bucket
    /// may empty in steps, holding up to a second's drain more than a continuously draining one just
    /// before each step; against a continuous drain the same margin absorbs a second of arrival jitter.
    /// </summary>
    public int SafetyMargin => Math.Max(1, (int)Math.Ceiling(Bandwidth));

    public int PacingBurst => Math.Max(1, Limit - SafetyMargin);
    public double PacingRate => Bandwidth;

    /// <summary>
    /// The least the bucket can hold now, given X-Shop-Api-Calls on a response that took
    /// <paramref name="roundTrip"/>: the count is rounded up, and taken at some moment since sending,
    /// so up to a round trip of drain may have gone since.
    /// </summary>
    public double LevelReported(double calls, TimeSpan roundTrip) =>
        calls - 1 - Bandwidth * Math.Max(0, roundTrip.TotalSeconds);

    /// <summary>The pacing level at which the next slot is <paramref name="wait"/> away: a 429's Retry-After applied to everyone.</summary>
    public double LevelToWait(TimeSpan wait) => PacingBurst - 1 + PacingRate * wait.TotalSeconds;

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Limit},{Bandwidth}");

    public static ShoperBucket? Parse(string? stored)
    {
        var parts = stored?.Split(',');
        return parts is [var l, var b]
               && int.TryParse(l, NumberStyles.Integer, CultureInfo.InvariantCulture, out var limit)
               && double.TryParse(b, NumberStyles.Float, CultureInfo.InvariantCulture, out var bandwidth)
               && limit >= 1 && bandwidth > 0
            ? new ShoperBucket(limit, bandwidth)
            : null;
    }
}

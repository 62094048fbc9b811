using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Relay.Infrastructure;
using Relay.Storage;

namespace Relay.Platforms.Shoprenter;

/// <summary>A Shoprenter REST call failed after the outbound chain's retries. The message carries no tokens or personal data.</summary>
public sealed class ShoprenterApiException(string message, int statusCode) : ShopApiException(message)
{
    public int StatusCode { get; } = statusCode;
    public override bool IsPermanent => StatusCode is >= 400 and < 500 and not 408 and not 429;
    public override bool AccessRefused => StatusCode is 401 or 403;
}

/// <summary>
/// A page of a collection: {href, page, limit, first, previous, next, last, items}. <see cref="LastPage"/>
/// is the 0-based number in last.href, when the shop gave one.
/// </summary>
public sealed record ShoprenterPage(IReadOnlyList<JsonElement> Items, bool HasNext, int? LastPage);

/// <summary>
/// Shoprenter's REST API of one shop at a time, through the outbound chain: every attempt is paced into
/// the shop's 3-a-second budget shared by all relay instances (<see cref="SharedPacingHandler"/>), a 429
/// waits and tries again, and a rejected token is replaced once (<see cref="ShoprenterAuthHandler"/>).
/// Collections are read with full=1 (records, not hrefs), 0-based pages of at most 200.
/// </summary>
public sealed class ShoprenterClient(IShoprenterApi api, ShoprenterTokens tokens, IOptions<ShoprenterOptions> options)
{
    public const int MaxPageSize = 200;
    /// <summary>The English batch page recommends 200 requests a call (the Hungarian one up to 1,000): the smaller is kept.</summary>
    public const int MaxBatchRequests = 200;

    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <param name="page">0-based, as Shoprenter counts.</param>
    public async Task<ShoprenterPage> ListAsync(string shopKey, string resource, int page, int limit = MaxPageSize,
        IReadOnlyDictionary<string, string>? filters = null, bool full = true, CancellationToken ct = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(page);
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(limit, MaxPageSize);
        var query = new Dictionary<string, string>(filters ?? new Dictionary<string, string>())
        {
            ["page"] = page.ToString(CultureInfo.InvariantCulture),
            ["limit"] = limit.ToString(CultureInfo.InvariantCulture),
        };
        if (full) query["full"] = "1";
        using var response = await SendAsync(shopKey, $"GET {resource}", (call, access, pace) => api.ListAsync(resource, query, call, access, pace, ct), ct);
        var root = Unwrap(await ReadJsonAsync(response, ct));
        var items = root.TryGetProperty("items", out var list) && list.ValueKind == JsonValueKind.Array ? list.EnumerateArray().Select(i => i.Clone()).ToList() : [];
        var hasNext = root.TryGetProperty("next", out var next) && next.ValueKind == JsonValueKind.Object;
        return new ShoprenterPage(items, hasNext, PageOf(root, "last"));
    }

    /// <summary>
    /// Records by id in batches (one call for up to <see cref="MaxBatchRequests"/>, sent one after another as
    /// Shoprenter asks). Ids the shop does not have (404 in their item) are left out.
    /// </summary>
    public async Task<IReadOnlyList<JsonElement>> GetManyAsync(string shopKey, string resource, IReadOnlyList<string> ids, CancellationToken ct = default)
    {
        var found = new List<JsonElement>();
        foreach (var chunk in ids.Distinct(StringComparer.Ordinal).Chunk(MaxBatchRequests))
        {
            var access = await tokens.GetAsync(shopKey, ct);
            var root = access.ApiUrl.TrimEnd('/');
            var requests = chunk.Select(id => new { method = "GET", uri = $"{root}/{resource}/{Uri.EscapeDataString(id)}" }).ToList();
            foreach (var item in await BatchAsync(shopKey, requests, ct))
            {
                if (item.Status == 404) continue;
                if (item.Status is < 200 or > 299)
                    throw new ShoprenterApiException($"Shoprenter answered {item.Status} to GET {resource} in a batch.", item.Status);
                if (item.Body.ValueKind == JsonValueKind.Object) found.Add(item.Body);
            }
        }
        return found;
    }

    /// <summary>Unsubscribe from outside: PUT newsletterSubscribers/{id} {"status":"0"}.</summary>
    public async Task UnsubscribeAsync(string shopKey, string subscriberId, CancellationToken ct = default)
    {
        using var _ = await SendAsync(shopKey, "PUT newsletterSubscribers", (call, access, pace) =>
            api.UpdateSubscriberAsync(subscriberId, new Dictionary<string, string> { ["status"] = "0" }, call, access, pace, ct), ct);
    }

    /// <summary>Registers one webhook for <paramref name="eventName"/>; returns its id.</summary>
    public async Task<string> CreateWebhookAsync(string shopKey, string eventName, string url, string format, CancellationToken ct = default)
    {
        var body = new
        {
            label = $"relay {eventName}",
            @event = eventName,
            status = "1",
            webHookParameters = new[] { new { type = format, url } },
        };
        using var response = await SendAsync(shopKey, "POST webHooks", (call, access, pace) => api.CreateWebhookAsync(body, call, access, pace, ct), ct);
        var created = await ReadJsonAsync(response, ct);
        return JsonFields.Str(created, "id") is { Length: > 0 } id
            ? id
            : throw new ShoprenterApiException("Webhook creation answered without a webhook id.", (int)response.StatusCode);
    }

    /// <summary>Deletes a webhook; one already gone counts as deleted.</summary>
    public async Task DeleteWebhookAsync(string shopKey, string webhookId, CancellationToken ct = default)
    {
        try
        {
            using var _ = await SendAsync(shopKey, "DELETE webHooks", (call, access, pace) => api.DeleteWebhookAsync(webhookId, call, access, pace, ct), ct);
        }
        catch (ShoprenterApiException e) when (e.StatusCode == 404)
        {
        }
    }

    private sealed record BatchItem(int Status, JsonElement Body);

    private async Task<IReadOnlyList<BatchItem>> BatchAsync(string shopKey, IReadOnlyList<object> requests, CancellationToken ct)
    {
        var body = new { data = new { requests } };
        using var response = await SendAsync(shopKey, "POST batch", (call, access, pace) => api.BatchAsync(body, call, access, pace, ct), ct);
        var root = Unwrap(await ReadJsonAsync(response, ct));
        if (!root.TryGetProperty("requests", out var outer) || !outer.TryGetProperty("request", out var list) || list.ValueKind != JsonValueKind.Array)
            throw new ShoprenterApiException("Shoprenter answered a batch without requests.request.", (int)response.StatusCode);
        return list.EnumerateArray().Select(item =>
        {
            var result = item.TryGetProperty("response", out var r) ? r : default;
            var header = result.ValueKind == JsonValueKind.Object && result.TryGetProperty("header", out var h) ? h : default;
            var status = int.TryParse(JsonFields.Str(header, "statusCode"), NumberStyles.Integer, CultureInfo.InvariantCulture, out var code) ? code : 0;
            return new BatchItem(status, result.ValueKind == JsonValueKind.Object && result.TryGetProperty("body", out var b) ? b.Clone() : default);
        }).ToList();
    }

    /// <summary>The documentation shows some answers wrapped in "response" and the fixtures show them bare: either is read.</summary>
    private static JsonElement Unwrap(JsonElement root) =>
        root.ValueKind == JsonValueKind.Object && root.TryGetProperty("response", out var inner) && inner.ValueKind == JsonValueKind.Object ? inner : root;

    private static int? PageOf(JsonElement root, string link)
    {
        if (!root.TryGetProperty(link, out var l) || JsonFields.Str(l, "href") is not { } href || !Uri.TryCreate(href, UriKind.Absolute, out var uri)) return null;
        var page = Microsoft.AspNetCore.WebUtilities.QueryHelpers.ParseQuery(uri.Query).GetValueOrDefault("page").ToString();
        return int.TryParse(page, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : null;
    }

    private static async Task<JsonElement> ReadJsonAsync(HttpResponseMessage response, CancellationToken ct)
    {
        var text = await response.Content.ReadAsStringAsync(ct);
        if (text.TrimStart().StartsWith('<'))
            throw new ShoprenterApiException("Shoprenter answered XML where JSON was asked for (Accept: application/json).", (int)response.StatusCode);
        try
        {
            using var doc = JsonDocument.Parse(text);
            return doc.RootElement.Clone();
        }
        catch (JsonException e)
        {
            throw new ShoprenterApiException($"Shoprenter answered JSON the client cannot read: {e.Message}", (int)response.StatusCode);
        }
    }

    private OutboundPace Pace(string shopKey) =>
        new(StoreKeys.ShopItem(shopKey, "shoprenter:api-pace"), options.Value.RequestsPerSecond, 1);

    /// <summary>One call on the shop; returns only successful responses.</summary>
    private async Task<HttpResponseMessage> SendAsync(string shopKey, string what,
        Func<OutboundCall, ShoprenterAccess, OutboundPace, Task<HttpResponseMessage>> call, CancellationToken ct)
    {
        var access = await tokens.GetAsync(shopKey, ct);
        var response = await call(new OutboundCall(shopKey, new Uri(access.ApiUrl)), access, Pace(shopKey));
        if (response.IsSuccessStatusCode) return response;
        using (response)
        {
            var status = (int)response.StatusCode;
            throw new ShoprenterApiException($"Shoprenter answered {status} to {what}.", status);
        }
    }
}

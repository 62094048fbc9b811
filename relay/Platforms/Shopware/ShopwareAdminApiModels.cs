using System.Net;
using System.Text.Json.Serialization;
using Relay.Infrastructure;

namespace Relay.Platforms.Shopware;

/// <summary>Where and as whom to call one shop's Admin API. The keys never appear in ToString or logs.</summary>
public sealed record ShopwareApiAccess(string ShopKey, string ShopUrl, string ApiKey, string SecretKey)
{
    /// <summary>Calls on this shop; the chain resolves /api/… under its URL, so a trailing slash never produces //api (app-bundle-symfony#54).</summary>
    public OutboundCall Call => new(ShopKey, new Uri(ShopUrl));

    public override string ToString() => $"ShopwareApiAccess {{ ShopKey = {ShopKey}, ShopUrl = {ShopUrl} }}";
}

/// <summary>A search criteria body (protocol §2.3). Page numbers start at 1.</summary>
public sealed record ShopwareCriteria
{
    public int Page { get; init; } = 1;
    public int Limit { get; init; } = 100;

    /// <summary>1 = exact total. Without it Shopware's total is only the size of the page.</summary>
    [JsonPropertyName("total-count-mode")]
    public int TotalCountMode { get; init; } = 1;

    public IReadOnlyList<ShopwareFilter>? Filter { get; init; }
    public IReadOnlyList<ShopwareSort>? Sort { get; init; }
    public IReadOnlyDictionary<string, string[]>? Includes { get; init; }
    /// <summary>Associations to load with each row ("lineItems": {}), each with its own criteria.</summary>
    public IReadOnlyDictionary<string, object>? Associations { get; init; }
}

/// <summary>One operation of <c>POST /api/_action/sync</c> (protocol §2.2): upserts or deletes of one entity, in bulk.</summary>
public sealed record ShopwareSyncOperation(string Key, string Entity, string Action, IReadOnlyList<object> Payload);

public sealed record ShopwareFilter(string Type, string Field, object? Value = null, IReadOnlyDictionary<string, object?>? Parameters = null)
{
    public static ShopwareFilter EqualTo(string field, object? value) => new("equals", field, value);
    public static ShopwareFilter EqualsAny(string field, params string[] values) => new("equalsAny", field, values);
    public static ShopwareFilter Prefix(string field, string value) => new("prefix", field, value);
    public static ShopwareFilter Since(string field, DateTimeOffset from) =>
        new("range", field, Parameters: new Dictionary<string, object?> { ["gte"] = from.ToString("yyyy-MM-dd'T'HH:mm:ss.fffzzz") });
}

public sealed record ShopwareSort(string Field, string Order = "ASC");

public sealed record ShopwareSearchResult<T>(long Total, IReadOnlyList<T> Data);

public sealed record ShopwareCustomer(
    string Id,
    string? Email,
    string? FirstName,
    string? LastName,
    string? SalutationId,
    string? SalesChannelId,
    string? LanguageId,
    string? CustomerNumber,
    bool? Guest,
    bool? Active,
    DateTimeOffset? CreatedAt,
    DateTimeOffset? UpdatedAt);

public sealed record ShopwareNewsletterRecipient(
    string Id,
    string? Email,
    string? FirstName,
    string? LastName,
    string? Status,
    string? SalesChannelId,
    string? LanguageId,
    DateTimeOffset? ConfirmedAt,
    DateTimeOffset? CreatedAt,
    DateTimeOffset? UpdatedAt);

/// <summary>The only values Shopware stores in newsletter_recipient.status; the API itself accepts any string.</summary>
public static class ShopwareNewsletterStatus
{
    public const string NotSet = "notSet";
    public const string OptIn = "optIn";
    public const string Direct = "direct";
    public const string OptOut = "optOut";

    public static bool IsKnown(string status) => status is NotSet or OptIn or Direct or OptOut;
    public static bool IsSubscribed(string? status) => status is OptIn or Direct;
}

public sealed record ShopwareWebhook(string Id, string Name, string EventName, string Url, bool Active, string? AppId = null);

/// <summary>
/// An Admin API call that did not succeed. <see cref="IsTransient"/> tells the pipeline whether a retry
/// can help (429, 5xx, timeouts); <see cref="RetryAfter"/> carries the shop's own hint.
/// </summary>
public sealed class ShopwareApiException(HttpStatusCode status, string message, TimeSpan? retryAfter = null) : ShopApiException(message)
{
    public override bool IsPermanent => !IsTransient;
    public override bool AccessRefused => Status is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden;
    public HttpStatusCode Status { get; } = status;
    public TimeSpan? RetryAfter { get; } = retryAfter;
    public bool IsTransient => Status is HttpStatusCode.TooManyRequests or HttpStatusCode.RequestTimeout || (int)Status >= 500;

    public static async Task ThrowUnlessSuccessAsync(HttpResponseMessage response, string what, TimeProvider time)
    {
        if (response.IsSuccessStatusCode) return;
        // The body may echo customer data, so only its status reaches the message.
        await response.Content.LoadIntoBufferAsync();
        throw new ShopwareApiException(response.StatusCode, $"Shopware answered {what} with {(int)response.StatusCode} {response.ReasonPhrase}.", OutboundHttp.RetryAfter(response, time));
    }
}

/// <summary>Shopware refused a bulk write of catalog rows (400): retrying the same rows cannot help.</summary>
public sealed class ShopwareSyncException(string message) : ShopApiException(message)
{
    public override bool IsPermanent => true;
    public override bool AccessRefused => false;

    /// <summary>The errors' details ("Product with number … already exists"), at most three.</summary>
    public static string Describe(string body)
    {
        try
        {
            using var doc = System.Text.Json.JsonDocument.Parse(body);
            if (doc.RootElement.TryGetProperty("errors", out var errors) && errors.ValueKind == System.Text.Json.JsonValueKind.Array)
            {
                var details = errors.EnumerateArray().Take(3)
                    .Select(e => e.TryGetProperty("detail", out var d) ? d.GetString() : e.TryGetProperty("code", out var c) ? c.GetString() : null)
                    .Where(d => !string.IsNullOrWhiteSpace(d)).ToList();
                if (details.Count > 0) return "Shopware refused the write: " + string.Join("; ", details);
            }
        }
        catch (System.Text.Json.JsonException) { }
        return "Shopware refused the write (400).";
    }
}

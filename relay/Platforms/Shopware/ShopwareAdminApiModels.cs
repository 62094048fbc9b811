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
    /// <summary>Related entities to load with each row ("lineItems": {}); Shopware returns none unless asked.</summary>
    public IReadOnlyDictionary<string, object>? Associations { get; init; }
}

/// <summary>One operation of <c>POST /api/_action/sync</c> (protocol §2.2): upserts or deletes of one entity, in bulk.</summary>
public sealed record ShopwareSyncOperation(string Key, string Entity, string Action, IReadOnlyList<object> Payload);

public sealed record ShopwareFilter(string Type, string Field, object? Value = null, IReadOnlyDictionary<string, object?>? Parameters = null)
{
    public static ShopwareFilter EqualTo(string field, object? value) => new("equals", field, value);
    public static ShopwareFilter EqualsAny(string field, params string[] values) => new("equalsAny", field, values);
    public static ShopwareFilter Prefix(string field, string value) => new("prefix", field, value);
    /// <summary>Either of the filters (a "multi" filter with operator OR); Field is unused.</summary>
    public static ShopwareFilter Any(params ShopwareFilter[] queries) => new("multi", null!) { Operator = "or", Queries = queries };
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? Operator { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public IReadOnlyList<ShopwareFilter>? Queries { get; init; }

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
/// One webhook of the calling app as <c>GET /api/app-system/webhook/state</c> reports it. EndpointState is
/// healthy, degraded, suspended or disabled; DisabledOrigin operator (the merchant switched it off) or
/// escalation (suspended too long). Times come in the database's format ("2026-07-13 10:00:00.000", UTC),
/// not ISO 8601, so they are read as text (<see cref="ShopwareTimes.Parse"/>).
/// </summary>
public sealed record ShopwareWebhookState(
    string Name, string? EndpointState, bool Active, int ErrorCount,
    string? CooldownUntil, string? SuspendedSince, string? DisabledSince, string? DisabledOrigin, string? Url);

public sealed record ShopwareReactivationRequest(IReadOnlyList<string> Names);

/// <summary>One answer of the reactivate call: Reset when it is healthy again; Refused says why not (operator_disabled).</summary>
public sealed record ShopwareReactivation(string Name, string? Url, bool Reset, string? Refused = null);

/// <summary>One entry of <c>GET /api/app-system/webhook/reactivation-history</c> (shape defined here; see the README).</summary>
public sealed record ShopwareReactivationRecord(string Name, string? FromState, string? TriggeredBy, string? ReactivatedAt);

public static class ShopwareTimes
{
    /// <summary>A time as the health API writes it: the database's "yyyy-MM-dd HH:mm:ss.fff" in UTC, or ISO 8601.</summary>
    public static DateTimeOffset? Parse(string? text) =>
        DateTimeOffset.TryParse(text, System.Globalization.CultureInfo.InvariantCulture,
            System.Globalization.DateTimeStyles.AssumeUniversal | System.Globalization.DateTimeStyles.AdjustToUniversal, out var at) ? at : null;
}

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

using Refit;
using Relay.Infrastructure;

namespace Relay.Platforms.Shoper;

/// <summary>
/// The Shoper REST calls the relay makes on a shop ({shop}/webapi/rest), authorised by
/// <see cref="ShoperTokenHandler"/> and paced by <see cref="ShoperBucketHandler"/>. Answers come back whole:
/// <see cref="ShoperClient"/> reads them (Shoper answers a webhook id as a bare number, errors as `{error}`).
/// </summary>
[Headers("Accept: application/json")]
public interface IShoperRestApi
{
    /// <summary>A page of a collection ("users", "subscribers"); <paramref name="filters"/> is one JSON object.</summary>
    [Get("/webapi/rest/{resource}")]
    Task<HttpResponseMessage> ListAsync(string resource, int page, int limit, string? filters,
        [Property(OutboundHttp.CallProperty)] OutboundCall call, [Property(ShoperTokenHandler.AccessProperty)] ShoperAccess access, CancellationToken ct);

    [Put("/webapi/rest/subscribers/{id}")]
    Task<HttpResponseMessage> UpdateSubscriberAsync(string id, [Body] object changes,
        [Property(OutboundHttp.CallProperty)] OutboundCall call, [Property(ShoperTokenHandler.AccessProperty)] ShoperAccess access, CancellationToken ct);

    [Post("/webapi/rest/webhooks")]
    Task<HttpResponseMessage> CreateWebhookAsync([Body] object webhook,
        [Property(OutboundHttp.CallProperty)] OutboundCall call, [Property(ShoperTokenHandler.AccessProperty)] ShoperAccess access, CancellationToken ct);

    [Delete("/webapi/rest/webhooks/{id}")]
    Task<HttpResponseMessage> DeleteWebhookAsync(string id,
        [Property(OutboundHttp.CallProperty)] OutboundCall call, [Property(ShoperTokenHandler.AccessProperty)] ShoperAccess access, CancellationToken ct);

    /// <summary>Up to 25 sub-requests in one call; each has its own result code.</summary>
    [Post("/webapi/rest/bulk")]
    Task<HttpResponseMessage> BulkAsync([Body] IReadOnlyList<ShoperBulkOperation> operations,
        [Property(OutboundHttp.CallProperty)] OutboundCall call, [Property(ShoperTokenHandler.AccessProperty)] ShoperAccess access, CancellationToken ct);
}

/// <summary>
/// A shop's token endpoint: "Authorization: Basic base64(app id:app secret)", grant_type in the query (as the
/// official library sends it) and the code or refresh token in the form body.
/// </summary>
[Headers("Accept: application/json")]
public interface IShoperOAuthApi
{
    [Post("/webapi/rest/oauth/token")]
    Task<HttpResponseMessage> RequestTokenAsync([AliasAs("grant_type")] string grantType,
        [Body(BodySerializationMethod.UrlEncoded)] Dictionary<string, string> form, [Authorize("Basic")] string appCredentials,
        [Property(OutboundHttp.CallProperty)] OutboundCall call, CancellationToken ct);
}

/// <summary>
/// Authorises each attempt with the shop's access token, and repeats it once with a refreshed token when
/// the shop answers 401 (unless another caller already replaced the rejected token).
/// </summary>
public sealed class ShoperTokenHandler(ShoperTokens tokens) : DelegatingHandler
{
    public const string AccessProperty = "relay.shoper.access";
    public static readonly HttpRequestOptionsKey<ShoperAccess> AccessKey = new(AccessProperty);

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken ct)
    {
        if (!request.Options.TryGetValue(AccessKey, out var access))
            throw new InvalidOperationException("A Shoper request without its shop's access.");
        request.Headers.Authorization = new("Bearer", access.AccessToken);
        var response = await base.SendAsync(request, ct);
        if (response.StatusCode != System.Net.HttpStatusCode.Unauthorized) return response;
        response.Dispose();
        access = await tokens.RefreshAfterRejectionAsync(access, ct);
        request.Headers.Authorization = new("Bearer", access.AccessToken);
        return await base.SendAsync(request, ct);
    }
}

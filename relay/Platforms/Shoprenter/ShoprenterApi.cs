using Refit;
using Relay.Infrastructure;

namespace Relay.Platforms.Shoprenter;

/// <summary>
/// The Shoprenter REST calls the relay makes on a shop ({shopName}.api2.myshoprenter.hu/api, or the legacy
/// API a merchant chose), authorised by <see cref="ShoprenterAuthHandler"/> and paced per shop by
/// <see cref="SharedPacingHandler"/>. JSON is asked for explicitly: Shoprenter answers XML otherwise.
/// Answers come back whole; <see cref="ShoprenterClient"/> reads them.
/// </summary>
[Headers("Accept: application/json")]
public interface IShoprenterApi
{
    /// <summary>A page of a collection; <paramref name="query"/> holds page, limit, full and the filters.</summary>
    [Get("/{resource}")]
    Task<HttpResponseMessage> ListAsync(string resource, [Query] IDictionary<string, string> query,
        [Property(OutboundHttp.CallProperty)] OutboundCall call, [Property(ShoprenterAuthHandler.AccessProperty)] ShoprenterAccess access,
        [Property(SharedPacingHandler.PaceProperty)] OutboundPace pace, CancellationToken ct);

    [Put("/newsletterSubscribers/{id}")]
    Task<HttpResponseMessage> UpdateSubscriberAsync(string id, [Body] object changes,
        [Property(OutboundHttp.CallProperty)] OutboundCall call, [Property(ShoprenterAuthHandler.AccessProperty)] ShoprenterAccess access,
        [Property(SharedPacingHandler.PaceProperty)] OutboundPace pace, CancellationToken ct);

    [Post("/webHooks")]
    Task<HttpResponseMessage> CreateWebhookAsync([Body] object webhook,
        [Property(OutboundHttp.CallProperty)] OutboundCall call, [Property(ShoprenterAuthHandler.AccessProperty)] ShoprenterAccess access,
        [Property(SharedPacingHandler.PaceProperty)] OutboundPace pace, CancellationToken ct);

    [Delete("/webHooks/{id}")]
    Task<HttpResponseMessage> DeleteWebhookAsync(string id,
        [Property(OutboundHttp.CallProperty)] OutboundCall call, [Property(ShoprenterAuthHandler.AccessProperty)] ShoprenterAccess access,
        [Property(SharedPacingHandler.PaceProperty)] OutboundPace pace, CancellationToken ct);

    /// <summary>Up to 1,000 sub-requests in one call; the call answers 200 and each item has its own status.</summary>
    [Post("/batch")]
    Task<HttpResponseMessage> BatchAsync([Body] object batch,
        [Property(OutboundHttp.CallProperty)] OutboundCall call, [Property(ShoprenterAuthHandler.AccessProperty)] ShoprenterAccess access,
        [Property(SharedPacingHandler.PaceProperty)] OutboundPace pace, CancellationToken ct);
}

/// <summary>The token endpoint (oauth.app.shoprenter.net/{shopName}/app/token): client credentials as a JSON body.</summary>
[Headers("Accept: application/json")]
public interface IShoprenterOAuthApi
{
    [Post("/{**path}")]
    Task<HttpResponseMessage> RequestTokenAsync(string path, [Body] object body,
        [Property(OutboundHttp.CallProperty)] OutboundCall call, CancellationToken ct);
}

/// <summary>
/// Authorises each attempt (Bearer token, or Basic for a shop on the legacy API), gives bodiless requests
/// the Content-Type Shoprenter insists on, and repeats a request once with a new token when the shop
/// answers 401: a token can end before its stated hour (a new scope approved, the app re-registered).
/// </summary>
public sealed class ShoprenterAuthHandler(ShoprenterTokens tokens) : DelegatingHandler
{
    public const string AccessProperty = "relay.shoprenter.access";
    public static readonly HttpRequestOptionsKey<ShoprenterAccess> AccessKey = new(AccessProperty);

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken ct)
    {
        if (!request.Options.TryGetValue(AccessKey, out var access))
            throw new InvalidOperationException("A Shoprenter request without its shop's access.");
        // "Content-Type is mandatory" (constraints): a GET or DELETE carries it on an empty body.
        request.Content ??= new ByteArrayContent([]);
        request.Content.Headers.ContentType ??= new("application/json");
        request.Headers.Authorization = new(access.Scheme, access.Credential);
        var response = await base.SendAsync(request, ct);
        if (response.StatusCode != System.Net.HttpStatusCode.Unauthorized || access.Scheme != ShoprenterAccess.Bearer) return response;
        response.Dispose();
        access = await tokens.RenewAfterRejectionAsync(access, ct);
        request.Headers.Authorization = new(access.Scheme, access.Credential);
        return await base.SendAsync(request, ct);
    }
}

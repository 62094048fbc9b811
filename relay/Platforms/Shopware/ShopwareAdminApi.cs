using Refit;
using Relay.Infrastructure;

namespace Relay.Platforms.Shopware;

/// <summary>
/// The Admin API calls the relay makes on a shop (protocol §2), authorised by <see cref="ShopwareAdminTokenHandler"/>
/// and paced per shop by <see cref="SharedPacingHandler"/>. Answers come back whole: <see cref="ShopwareAdminClient"/>
/// reads them and keeps the body out of its errors, since it may echo customer data.
/// </summary>
// Without Accept: application/json the Admin API answers JSON:API, a different shape.
[Headers("Accept: application/json")]
public partial interface IShopwareAdminApi
{
    [Post("/api/search/{entity}")]
    Task<HttpResponseMessage> SearchAsync(string entity, [Body] ShopwareCriteria criteria,
        [Property(OutboundHttp.CallProperty)] OutboundCall call, [Property(ShopwareAdminTokenHandler.AccessProperty)] ShopwareApiAccess access,
        [Property(SharedPacingHandler.PaceProperty)] OutboundPace pace, CancellationToken ct);

    /// <summary>PATCH /api/{entity}/{id} with the fields to change.</summary>
    [Patch("/api/{entity}/{id}")]
    Task<HttpResponseMessage> UpdateAsync(string entity, string id, [Body] object changes,
        [Property(OutboundHttp.CallProperty)] OutboundCall call, [Property(ShopwareAdminTokenHandler.AccessProperty)] ShopwareApiAccess access,
        [Property(SharedPacingHandler.PaceProperty)] OutboundPace pace, CancellationToken ct);

    /// <summary>Per-webhook health of the calling app (webhook health API; 404 where the shop has none).</summary>
    [Get("/api/app-system/webhook/state")]
    Task<HttpResponseMessage> WebhookStateAsync(
        [Property(OutboundHttp.CallProperty)] OutboundCall call, [Property(ShopwareAdminTokenHandler.AccessProperty)] ShopwareApiAccess access,
        [Property(SharedPacingHandler.PaceProperty)] OutboundPace pace, CancellationToken ct);

    /// <summary>Switches the named webhooks of the calling app back on: at most 50 names, 10 calls a minute.</summary>
    [Post("/api/app-system/webhook/reactivate")]
    Task<HttpResponseMessage> ReactivateWebhooksAsync([Body] ShopwareReactivationRequest request,
        [Property(OutboundHttp.CallProperty)] OutboundCall call, [Property(ShopwareAdminTokenHandler.AccessProperty)] ShopwareApiAccess access,
        [Property(SharedPacingHandler.PaceProperty)] OutboundPace pace, CancellationToken ct);

    [Get("/api/app-system/webhook/reactivation-history")]
    Task<HttpResponseMessage> ReactivationHistoryAsync(
        [Property(OutboundHttp.CallProperty)] OutboundCall call, [Property(ShopwareAdminTokenHandler.AccessProperty)] ShopwareApiAccess access,
        [Property(SharedPacingHandler.PaceProperty)] OutboundPace pace, CancellationToken ct);
}

public partial interface IShopwareAdminApi
{
    /// <summary>
    /// Bulk writes: one call for many rows. Indexing is queued so a large import does not wait for the
    /// shop to re-index every product inside the request.
    /// </summary>
    [Post("/api/_action/sync")]
    [Headers("indexing-behavior: use-queue-indexing")]
    Task<HttpResponseMessage> SyncAsync([Body] IReadOnlyList<ShopwareSyncOperation> operations,
        [Property(OutboundHttp.CallProperty)] OutboundCall call, [Property(ShopwareAdminTokenHandler.AccessProperty)] ShopwareApiAccess access,
        [Property(SharedPacingHandler.PaceProperty)] OutboundPace pace, CancellationToken ct);
}

/// <summary>The Admin API's token endpoint (client credentials); <see cref="ShopwareAdminTokenHandler"/> calls it.</summary>
[Headers("Accept: application/json")]
public interface IShopwareOAuthApi
{
    [Post("/api/oauth/token")]
    Task<HttpResponseMessage> RequestTokenAsync([Body] ShopwareTokenRequest request, [Property(OutboundHttp.CallProperty)] OutboundCall call, CancellationToken ct);
}

public sealed record ShopwareTokenRequest(
    [property: System.Text.Json.Serialization.JsonPropertyName("grant_type")] string GrantType,
    [property: System.Text.Json.Serialization.JsonPropertyName("client_id")] string ClientId,
    [property: System.Text.Json.Serialization.JsonPropertyName("client_secret")] string ClientSecret)
{
    public override string ToString() => $"ShopwareTokenRequest {{ GrantType = {GrantType}, ClientId = {ClientId} }}";
}

using System.Text.Json.Nodes;
using Refit;
using Relay.Infrastructure;

namespace Relay.Targets.Sare;

/// <summary>
/// The SARE REST v1 calls the relay makes, under the account's "/{uid}/" root. Answers come back whole:
/// <see cref="SareClient"/> unwraps the `{code, status, response}` envelope, which can hide an error in a 200.
/// </summary>
[Headers("Accept: application/json")]
public interface ISareApi
{
    [Get("/group/list")]
    Task<HttpResponseMessage> ListGroupsAsync([Header("ApiKey")] string apiKey, [Property(OutboundHttp.CallProperty)] OutboundCall call, CancellationToken ct);

    [Get("/email/props")]
    Task<HttpResponseMessage> ListPropertiesAsync([Header("ApiKey")] string apiKey, [Property(OutboundHttp.CallProperty)] OutboundCall call, CancellationToken ct);

    /// <summary>Adds or updates subscribers (body: the duplicate rules and `emails`); per-address failures come back in `response.error`.</summary>
    [Post("/email/add")]
    Task<HttpResponseMessage> AddEmailsAsync([Body] JsonObject body, [Header("ApiKey")] string apiKey, [Property(OutboundHttp.CallProperty)] OutboundCall call, CancellationToken ct);

    [Post("/email/delete")]
    Task<HttpResponseMessage> DeleteEmailsAsync([Body] JsonObject body, [Header("ApiKey")] string apiKey, [Property(OutboundHttp.CallProperty)] OutboundCall call, CancellationToken ct);

    /// <summary>Statuses of the given addresses, in 0-based pages.</summary>
    [Post("/email/status_by_email_list/{page}")]
    Task<HttpResponseMessage> StatusesByEmailAsync(int page, [Body] JsonObject body, [Header("ApiKey")] string apiKey, [Property(OutboundHttp.CallProperty)] OutboundCall call, CancellationToken ct);
}

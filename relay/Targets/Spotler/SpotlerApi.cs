using System.Text.Json.Nodes;
using Refit;
using Relay.Infrastructure;

namespace Relay.Targets.Spotler;

/// <summary>
/// The Spotler Mail+ REST calls the relay makes. Answers come back whole: <see cref="SpotlerClient"/> reads
/// them, because the same list arrives wrapped or bare depending on the API version, and errors carry
/// Spotler's own errorType. Every call is signed by <see cref="SpotlerOAuthHandler"/> with the credentials it carries.
/// </summary>
[Headers("Accept: application/json")]
public interface ISpotlerApi
{
    [Get("/contact/properties/list")]
    Task<HttpResponseMessage> ListPropertiesAsync(
        [Property(OutboundHttp.CallProperty)] OutboundCall call, [Property(SpotlerOAuthHandler.CredentialsProperty)] SpotlerCredentials credentials, CancellationToken ct);

    /// <summary>Creates or updates one contact (body: update, purge, contact).</summary>
    [Post("/contact")]
    Task<HttpResponseMessage> PostContactAsync([Body] JsonObject body,
        [Property(OutboundHttp.CallProperty)] OutboundCall call, [Property(SpotlerOAuthHandler.CredentialsProperty)] SpotlerCredentials credentials, CancellationToken ct);

    /// <summary>Creates or updates up to 100 contacts (body: update, purge, contacts); one result per contact.</summary>
    [Post("/contact/list")]
    Task<HttpResponseMessage> PostContactListAsync([Body] JsonObject body,
        [Property(OutboundHttp.CallProperty)] OutboundCall call, [Property(SpotlerOAuthHandler.CredentialsProperty)] SpotlerCredentials credentials, CancellationToken ct);

    [Put("/contact/{externalId}")]
    Task<HttpResponseMessage> PutContactAsync(string externalId, [Body] JsonObject body,
        [Property(OutboundHttp.CallProperty)] OutboundCall call, [Property(SpotlerOAuthHandler.CredentialsProperty)] SpotlerCredentials credentials, CancellationToken ct);

    [Put("/contact/anonymize/{externalId}")]
    Task<HttpResponseMessage> AnonymizeContactAsync(string externalId,
        [Property(OutboundHttp.CallProperty)] OutboundCall call, [Property(SpotlerOAuthHandler.CredentialsProperty)] SpotlerCredentials credentials, CancellationToken ct);

    [Get("/contact/{externalId}")]
    Task<HttpResponseMessage> GetContactAsync(string externalId,
        [Property(OutboundHttp.CallProperty)] OutboundCall call, [Property(SpotlerOAuthHandler.CredentialsProperty)] SpotlerCredentials credentials, CancellationToken ct);

    /// <summary>Contacts changed in the window, paged by after/pageSize.</summary>
    [Get("/contact/updates/list")]
    Task<HttpResponseMessage> ListUpdatesAsync(string fromDate, string toDate, int after, int pageSize,
        [Property(OutboundHttp.CallProperty)] OutboundCall call, [Property(SpotlerOAuthHandler.CredentialsProperty)] SpotlerCredentials credentials, CancellationToken ct);

    /// <summary>Bounces in the window, paged by after/pageSize.</summary>
    [Get("/contact/bounces/list")]
    Task<HttpResponseMessage> ListBouncesAsync(string fromDate, string toDate, int after, int pageSize,
        [Property(OutboundHttp.CallProperty)] OutboundCall call, [Property(SpotlerOAuthHandler.CredentialsProperty)] SpotlerCredentials credentials, CancellationToken ct);
}

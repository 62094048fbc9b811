using System.Text.Json.Nodes;
using Refit;
using Relay.Infrastructure;

namespace Relay.Targets.MiniCrm;

/// <summary>
/// The MiniCRM R3 calls the relay makes, each paced in the system's shared budget by
/// <see cref="SharedPacingHandler"/>. Answers come back whole: <see cref="MiniCrmClient"/> reads them,
/// because errors are plain text, not JSON.
/// </summary>
[Headers("Accept: application/json")]
public interface IMiniCrmApi
{
    /// <summary>Schema/Person, Schema/Business.</summary>
    [Get("/Api/R3/Schema/{type}")]
    Task<HttpResponseMessage> GetSchemaAsync(string type, [Authorize("Basic")] string credentials,
        [Property(OutboundHttp.CallProperty)] OutboundCall call, [Property(SharedPacingHandler.PaceProperty)] OutboundPace pace, CancellationToken ct);

    [Get("/Api/R3/Category")]
    Task<HttpResponseMessage> ListCategoriesAsync([Authorize("Basic")] string credentials,
        [Property(OutboundHttp.CallProperty)] OutboundCall call, [Property(SharedPacingHandler.PaceProperty)] OutboundPace pace, CancellationToken ct);

    /// <summary>Field search: ?{field}={value}&amp;Type={Person|Business}.</summary>
    [Get("/Api/R3/Contact")]
    Task<HttpResponseMessage> SearchContactsAsync([Query] IDictionary<string, string> filter, [Authorize("Basic")] string credentials,
        [Property(OutboundHttp.CallProperty)] OutboundCall call, [Property(SharedPacingHandler.PaceProperty)] OutboundPace pace, CancellationToken ct);

    [Get("/Api/R3/Contact/{id}")]
    Task<HttpResponseMessage> GetContactAsync(int id, [Authorize("Basic")] string credentials,
        [Property(OutboundHttp.CallProperty)] OutboundCall call, [Property(SharedPacingHandler.PaceProperty)] OutboundPace pace, CancellationToken ct);

    /// <summary>Creates a Person or Business; repeating it after a lost answer makes a duplicate.</summary>
    [Put("/Api/R3/Contact")]
    Task<HttpResponseMessage> CreateContactAsync([Body] JsonObject contact, [Authorize("Basic")] string credentials,
        [Property(OutboundHttp.CallProperty)] OutboundCall call, [Property(SharedPacingHandler.PaceProperty)] OutboundPace pace, CancellationToken ct);

    [Put("/Api/R3/Contact/{id}")]
    Task<HttpResponseMessage> UpdateContactAsync(int id, [Body] JsonObject contact, [Authorize("Basic")] string credentials,
        [Property(OutboundHttp.CallProperty)] OutboundCall call, [Property(SharedPacingHandler.PaceProperty)] OutboundPace pace, CancellationToken ct);

    /// <summary>Orders API (not under /R3). Creates a Draft order; repeating it after a lost answer makes a duplicate.</summary>
    [Post("/Api/Order")]
    Task<HttpResponseMessage> CreateOrderAsync([Body] JsonObject order, [Authorize("Basic")] string credentials,
        [Property(OutboundHttp.CallProperty)] OutboundCall call, [Property(SharedPacingHandler.PaceProperty)] OutboundPace pace, CancellationToken ct);

    /// <summary>A status step of an order: Finalize, Complete, Paid or Storno (GETs, as MiniCRM defines them).</summary>
    [Get("/Api/Order/{id}/{step}")]
    Task<HttpResponseMessage> StepOrderAsync(int id, string step, [Authorize("Basic")] string credentials,
        [Property(OutboundHttp.CallProperty)] OutboundCall call, [Property(SharedPacingHandler.PaceProperty)] OutboundPace pace, CancellationToken ct);

    /// <summary>Orders changed since a zone-less Budapest time ("yyyy-MM-dd HH:mm:ss"); the connection test's proof that the Orders API is on.</summary>
    [Get("/Api/Order/List")]
    Task<HttpResponseMessage> ListOrdersAsync([AliasAs("UpdatedSince")] string updatedSince, [Authorize("Basic")] string credentials,
        [Property(OutboundHttp.CallProperty)] OutboundCall call, [Property(SharedPacingHandler.PaceProperty)] OutboundPace pace, CancellationToken ct);

    /// <summary>GDPR erase of a Person (a GET, as MiniCRM defines it).</summary>
    [Get("/Api/R3/PurgePerson/{id}")]
    Task<HttpResponseMessage> PurgePersonAsync(int id, [Authorize("Basic")] string credentials,
        [Property(OutboundHttp.CallProperty)] OutboundCall call, [Property(SharedPacingHandler.PaceProperty)] OutboundPace pace, CancellationToken ct);
}

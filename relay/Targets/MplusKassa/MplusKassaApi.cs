using Refit;
using Relay.Infrastructure;

namespace Relay.Targets.MplusKassa;

/// <summary>
/// The till's QAPI endpoint: every operation is a POST of a SOAP envelope to the root of the customer's
/// host and port, credentials as the query parameters <c>ident</c> and <c>secret</c>, and the bare
/// operation name as <c>SOAPAction</c> (the vendor's client sends it so; the WSDL declares an empty one).
/// Answers come back whole: <see cref="MplusKassaClient"/> reads the envelope.
/// </summary>
public interface IMplusKassaApi
{
    [Post("/")]
    Task<HttpResponseMessage> CallAsync([Query] string ident, [Query] string secret, [Header("SOAPAction")] string operation,
        [Body] HttpContent envelope, [Property(OutboundHttp.CallProperty)] OutboundCall call, CancellationToken ct);
}

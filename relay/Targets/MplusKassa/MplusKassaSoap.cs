using System.Globalization;
using System.Net;
using System.Text;
using System.Xml;
using System.Xml.Linq;

namespace Relay.Targets.MplusKassa;

/// <summary>
/// SOAP 1.1 document/literal as the QAPI WSDL (67.1.3) declares it: one body element named after the
/// operation in <c>urn:mplusqapi</c>, children qualified in the same namespace (elementFormDefault
/// qualified), answers in the element the WSDL names, faults as <c>SOAP-ENV:Fault</c> with
/// <c>Client.*</c> (the request is wrong) or <c>Server.*</c> (the till's side) codes on HTTP 500.
/// </summary>
public static class MplusSoap
{
    public static readonly XNamespace Envelope = "http://schemas.xmlsoap.org/soap/envelope/";
    public static readonly XNamespace Qapi = "urn:mplusqapi";

    /// <summary>An element of the QAPI namespace with the children given; null children are left out (minOccurs 0).</summary>
    public static XElement E(string name, params object?[] content) => new(Qapi + name, content.Where(c => c is not null));

    /// <summary>The request envelope for one operation.</summary>
    public static string Request(XElement body) =>
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>" +
        new XElement(Envelope + "Envelope",
            new XAttribute(XNamespace.Xmlns + "SOAP-ENV", Envelope.NamespaceName),
            new XAttribute(XNamespace.Xmlns + "ns1", Qapi.NamespaceName),
            new XElement(Envelope + "Header"),
            new XElement(Envelope + "Body", body)).ToString(SaveOptions.DisableFormatting);

    /// <summary>The first element inside Body, or the fault it carries. Null when the text is no SOAP envelope.</summary>
    public static (XElement? Body, SoapFault? Fault) Read(string text)
    {
        XDocument doc;
        try
        {
            doc = XDocument.Parse(text);
        }
        catch (XmlException)
        {
            return (null, null);
        }
        var body = doc.Root?.Element(Envelope + "Body")?.Elements().FirstOrDefault();
        if (body is null) return (null, null);
        if (body.Name == Envelope + "Fault")
        {
            var code = (string?)body.Element("faultcode") ?? "";
            // "SOAP-ENV:Client.Authentication" → "Client.Authentication", as the vendor's client strips it.
            code = code[(code.IndexOf(':') + 1)..];
            return (null, new SoapFault(code, (string?)body.Element("faultstring") ?? ""));
        }
        return (body, null);
    }

    public static string? Text(this XElement? parent, string name) => (string?)parent?.Element(Qapi + name);

    public static long? Long(this XElement? parent, string name) =>
        parent?.Element(Qapi + name) is { } e && long.TryParse(e.Value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) ? v : null;

    public static int? Int(this XElement? parent, string name) =>
        parent?.Element(Qapi + name) is { } e && int.TryParse(e.Value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) ? v : null;

    public static bool? Bool(this XElement? parent, string name) =>
        parent?.Element(Qapi + name) is { } e ? e.Value is "true" or "1" : null;

    public static IEnumerable<XElement> All(this XElement? parent, string name) => parent?.Elements(Qapi + name) ?? [];

    /// <summary>
    /// SoapMplusDateTime: the wall-clock fields of Europe/Amsterdam (the till's zone), as the vendor's client
    /// writes them (<c>fromDateTime</c> converts to Europe/Amsterdam first).
    /// </summary>
    public static XElement DateTime(string name, DateTimeOffset instant, TimeZoneInfo zone)
    {
        var local = TimeZoneInfo.ConvertTime(instant, zone);
        return E(name, E("sec", local.Second), E("min", local.Minute), E("hour", local.Hour), E("day", local.Day),
            E("mon", local.Month), E("year", local.Year), E("isdst", zone.IsDaylightSavingTime(local) ? "true" : "false"), E("timezone", 0));
    }

    /// <summary>SoapMplusDate: day, mon, year of the till's calendar.</summary>
    public static XElement Date(string name, DateTimeOffset instant, TimeZoneInfo zone)
    {
        var local = TimeZoneInfo.ConvertTime(instant, zone);
        return E(name, E("day", local.Day), E("mon", local.Month), E("year", local.Year));
    }

    public static StringContent Content(string envelope) => new(envelope, Encoding.UTF8, "text/xml");
}

/// <param name="Code">Without prefix: "Client.Authentication", "Server.Busy"…</param>
public sealed record SoapFault(string Code, string Message)
{
    public bool IsClient => Code.StartsWith("Client", StringComparison.Ordinal);
    public bool IsAuthentication => Code.Contains("Auth", StringComparison.OrdinalIgnoreCase);
}

/// <summary>
/// Inside the outbound chain, so every attempt passes it before resilience judges the answer: a
/// <c>Client.*</c> fault arrives as HTTP 500 but says the request is wrong, and retrying it, or counting it
/// against the till's circuit, would only delay the dead letter. It becomes 400 (401 for a refused
/// ident/secret), with the fault body kept for the client to read. <c>Server.*</c> faults stay 500: transient.
/// </summary>
public sealed class SoapFaultStatusHandler : DelegatingHandler
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken ct)
    {
        var response = await base.SendAsync(request, ct);
        if (response.StatusCode != HttpStatusCode.InternalServerError) return response;
        await response.Content.LoadIntoBufferAsync(ct);
        var (_, fault) = MplusSoap.Read(await response.Content.ReadAsStringAsync(ct));
        if (fault is { IsClient: true })
            response.StatusCode = fault.IsAuthentication ? HttpStatusCode.Unauthorized : HttpStatusCode.BadRequest;
        return response;
    }
}

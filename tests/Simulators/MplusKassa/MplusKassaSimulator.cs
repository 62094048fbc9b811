using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using System.Xml;
using System.Xml.Linq;

namespace Simulators.MplusKassa;

/// <summary>A till article: one sellable thing with its own number; colour and size make it a variant of its product.</summary>
public sealed record SimArticle(long ArticleNumber, string Description, long PriceIncl, long PriceExcl, int VatPercentage = 21,
    string? Colour = null, string? Size = null, string? Barcode = null, bool Active = true, bool Webshop = true, string? DisplayText = null,
    string? BrandName = null, string? SupplierArticleNumber = null);

public sealed class SimProduct
{
    public required long ProductNumber { get; init; }
    public required string Description { get; set; }
    public string? ExtraText { get; set; }
    public List<int> GroupNumbers { get; init; } = [];
    public required List<SimArticle> Articles { get; set; }
    public long SyncMarker { get; internal set; }
}

public sealed record SimArticleGroup(int GroupNumber, string Name, int? Parent = null);

public sealed record SimStock(long ArticleNumber, long Free, long Reserved, long Incoming, long StockId);

public sealed class SimRelation
{
    public long RelationNumber { get; init; }
    public string? Name { get; set; }
    public string? Email { get; set; }
    public string? CompanyName { get; set; }
    public string? Contact { get; set; }
    public string? Address { get; set; }
    public string? Zipcode { get; set; }
    public string? City { get; set; }
    public List<string> ContactNames { get; } = [];
}

/// <param name="Kind">"order" or "invoice".</param>
public sealed record SimOrder(string Kind, string Id, string ExtId, long RelationNumber, long EmployeeNumber, int BranchNumber, long TotalIncl,
    IReadOnlyList<(long ArticleNumber, long Quantity, long Price)> Lines, IReadOnlyList<(string Method, long Amount)> Payments, string EntryTimestamp);

/// <summary>
/// MplusKASSA's QAPI (WSDL 67.1.3) in memory, strictly: SOAP 1.1 envelopes POSTed to "/" with
/// Content-Type text/xml, <c>ident</c>/<c>secret</c> query parameters (wrong ones: fault
/// Client.Authentication), SOAPAction equal to the body's operation, faults as SOAP-ENV:Fault on HTTP
/// 500. Products with articles (colour/size variants), article groups, stock per branch with stock ids,
/// relations, orders and invoices keyed by their external id, sync markers that grow with every change.
/// </summary>
public sealed class MplusKassaSimulator : IAsyncDisposable
{
    private static readonly XNamespace Soap = "http://schemas.xmlsoap.org/soap/envelope/";
    private static readonly XNamespace Q = "urn:mplusqapi";

    private readonly SimulatorHost _host;
    private readonly object _gate = new();
    private readonly Dictionary<long, SimProduct> _products = [];
    private readonly Dictionary<int, SimArticleGroup> _groups = [];
    private readonly Dictionary<int, long> _groupMarkers = [];
    private readonly Dictionary<(int Branch, long Article), SimStock> _stock = [];
    private readonly Dictionary<long, SimRelation> _relations = [];
    private readonly Dictionary<string, SimOrder> _orders = new(StringComparer.Ordinal);
    private readonly Dictionary<string, SimOrder> _invoices = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<string> _operations = new();
    private readonly Queue<(string? Operation, string Code, string Message)> _faults = new();
    private readonly Dictionary<string, TimeSpan> _slow = new(StringComparer.Ordinal);
    private long _syncMarker = 1000;
    private long _stockId = 5000;
    private long _nextRelation = 100;
    private int _nextOrder;

    private MplusKassaSimulator(SimulatorHost host) => _host = host;

    public string Ident { get; init; } = "demo-ident";
    public string Secret { get; init; } = "demo-secret";

    /// <summary>http://127.0.0.1:port — the till's "host:port".</summary>
    public string BaseUrl => _host.BaseUrl;

    /// <summary>HTTP-level faults (statuses, delays, held requests) before the till looks at a request.</summary>
    public FaultPlan Faults { get; } = new();

    /// <summary>The SOAPAction of every request that reached the till, in order; refused and faulted ones included.</summary>
    public IReadOnlyList<string> Operations => _operations.ToArray();

    public static async Task<MplusKassaSimulator> StartAsync(string ident = "demo-ident", string secret = "demo-secret", int port = 0)
    {
        MplusKassaSimulator? sim = null;
        var host = await SimulatorHost.StartAsync(app =>
        {
            app.Use(async (http, next) =>
            {
                if (SimulatorControl.IsControl(http) || !await sim!.Faults.ApplyAsync(http)) await next(http);
            });
            MplusKassaControl.Map(app, () => sim!);
            // A RequestDelegate, so the result is executed here (a lambda returning Task<IResult> would be taken as one and its result dropped).
            app.MapPost("/", async http => await (await sim!.HandleAsync(http)).ExecuteAsync(http));
        }, port);
        return sim = new MplusKassaSimulator(host) { Ident = ident, Secret = secret };
    }

    public ValueTask DisposeAsync() => _host.DisposeAsync();

    // ---- Seeding and inspection -------------------------------------------------------------

    /// <summary>Adds or changes a product; it gets the next sync marker, as a change in the till does.</summary>
    public SimProduct PutProduct(SimProduct product)
    {
        lock (_gate)
        {
            product.SyncMarker = ++_syncMarker;
            _products[product.ProductNumber] = product;
        }
        return product;
    }

    public void PutArticleGroup(SimArticleGroup group)
    {
        lock (_gate)
        {
            _groups[group.GroupNumber] = group;
            _groupMarkers[group.GroupNumber] = ++_syncMarker;
        }
    }

    /// <summary>Sets an article's stock in a branch; the change gets the next stock id.</summary>
    public void SetStock(long articleNumber, long free, long reserved = 0, long incoming = 0, int branch = 1)
    {
        lock (_gate) _stock[(branch, articleNumber)] = new SimStock(articleNumber, free, reserved, incoming, ++_stockId);
    }

    /// <summary>
    /// A till that does the work and answers late: calls of <paramref name="operation"/> are carried out at once
    /// and their answers held this long (null: answer at once again).
    /// </summary>
    public void AnswerSlowly(string operation, TimeSpan? delay)
    {
        lock (_gate)
        {
            if (delay is { } d) _slow[operation] = d;
            else _slow.Remove(operation);
        }
    }

    /// <summary>The next SOAP call (of this operation, or any) answers this fault on HTTP 500.</summary>
    public void FaultNext(string code, string message, string? operation = null)
    {
        lock (_gate) _faults.Enqueue((operation, code, message));
    }

    // ---- Webhooks ---------------------------------------------------------------------------

    private readonly List<(string EndpointUrl, string SubscriptionId, HttpClient? Via)> _subscriptions = [];
    private static readonly HttpClient WebhookClient = new();
    private long _nextSession = 7000;

    /// <summary>
    /// A webhook subscription as the merchant makes it in the till's back office (Beheer → Instellingen → Webhooks);
    /// <paramref name="via"/> delivers into an in-memory test server instead of over the network.
    /// </summary>
    public void Subscribe(string endpointUrl, string subscriptionId, HttpClient? via = null)
    {
        lock (_gate) _subscriptions.Add((endpointUrl, subscriptionId, via));
    }

    /// <summary>
    /// A sale at the till: the article's free stock drops, the stock gets a new stock id, and every subscription hears
    /// completeSession. Returns the statuses the endpoints answered.
    /// </summary>
    public async Task<IReadOnlyList<HttpStatusCode>> SellAsync(long articleNumber, long quantity, int branch = 1)
    {
        long session;
        lock (_gate)
        {
            var stock = _stock.GetValueOrDefault((branch, articleNumber)) ?? new SimStock(articleNumber, 0, 0, 0, 0);
            _stock[(branch, articleNumber)] = stock with { Free = stock.Free - quantity, StockId = ++_stockId };
            session = ++_nextSession;
        }
        return await SendWebhookAsync("completeSession", new JsonObject
        {
            ["sessionId"] = session.ToString(CultureInfo.InvariantCulture),
            ["branchNumber"] = branch,
            ["lines"] = new JsonArray(new JsonObject { ["articleNumber"] = articleNumber, ["quantity"] = quantity }),
        });
    }

    /// <summary>
    /// POSTs an event as the till does: JSON to the subscription's endpoint URL with the event's name appended, the
    /// subscription id in <c>X-Mplus-Subscription-Id</c>. The body's exact fields are not in the sources we have;
    /// the relay reads none of them.
    /// </summary>
    public async Task<IReadOnlyList<HttpStatusCode>> SendWebhookAsync(string eventName, JsonObject? payload = null)
    {
        List<(string EndpointUrl, string SubscriptionId, HttpClient? Via)> subscriptions;
        lock (_gate) subscriptions = [.. _subscriptions];
        var statuses = new List<HttpStatusCode>();
        foreach (var (url, id, via) in subscriptions)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, url.TrimEnd('/') + "/" + eventName)
            {
                Content = new StringContent((payload ?? new JsonObject()).ToJsonString(), Encoding.UTF8, "application/json"),
            };
            request.Headers.Add("X-Mplus-Subscription-Id", id);
            using var response = await (via ?? WebhookClient).SendAsync(request);
            statuses.Add(response.StatusCode);
        }
        return statuses;
    }

    public SimRelation AddRelation(string name, string email)
    {
        lock (_gate)
        {
            var relation = new SimRelation { RelationNumber = ++_nextRelation, Name = name, Email = email };
            _relations[relation.RelationNumber] = relation;
            return relation;
        }
    }

    public IReadOnlyList<SimOrder> Orders { get { lock (_gate) return _orders.Values.ToList(); } }
    public IReadOnlyList<SimOrder> Invoices { get { lock (_gate) return _invoices.Values.ToList(); } }
    public IReadOnlyList<SimRelation> Relations { get { lock (_gate) return _relations.Values.ToList(); } }

    // ---- SOAP ---------------------------------------------------------------------------------

    private async Task<IResult> HandleAsync(HttpContext http)
    {
        var request = http.Request;
        var action = request.Headers["SOAPAction"].ToString().Trim('"');
        _operations.Enqueue(action);
        if (!(request.ContentType ?? "").StartsWith("text/xml", StringComparison.OrdinalIgnoreCase))
            return Fault("Client", "SOAP 1.1 requests are text/xml.");
        if (request.Query["ident"] != Ident || request.Query["secret"] != Secret)
            return Fault("Client.Authentication", "Invalid ident or secret.");
        XElement? body;
        try
        {
            var doc = await XDocument.LoadAsync(request.Body, LoadOptions.None, http.RequestAborted);
            if (doc.Root?.Name != Soap + "Envelope") return Fault("Client", "Not a SOAP 1.1 envelope.");
            body = doc.Root.Element(Soap + "Body")?.Elements().FirstOrDefault();
        }
        catch (XmlException e)
        {
            return Fault("Client", "Malformed XML: " + e.Message);
        }
        if (body is null || body.Name.Namespace != Q) return Fault("Client", "The Body must hold one element of urn:mplusqapi.");
        var operation = body.Name.LocalName;
        if (action != operation) return Fault("Client", $"SOAPAction '{action}' does not name the operation '{operation}'.");
        var result = Answer(operation, body);
        TimeSpan late;
        lock (_gate) late = _slow.GetValueOrDefault(operation);
        if (late > TimeSpan.Zero)
        {
            try { await Task.Delay(late, http.RequestAborted); }
            catch (OperationCanceledException) { }
        }
        return result;
    }

    private IResult Answer(string operation, XElement body)
    {
        lock (_gate)
        {
            if (_faults.Count > 0 && (_faults.Peek().Operation is null || _faults.Peek().Operation == operation))
            {
                var (_, code, message) = _faults.Dequeue();
                return Fault(code, message);
            }
            return operation switch
            {
                "getCurrentSyncMarkers" => Ok("getCurrentSyncMarkersResponse",
                    E("articleSyncMarker", _syncMarker), E("articleGroupSyncMarker", _syncMarker), E("relationSyncMarker", _syncMarker),
                    E("employeeSyncMarker", 0), E("invoiceSyncMarker", _syncMarker), E("receiptSyncMarker", 0), E("orderSyncMarker", _syncMarker),
                    E("stockId", _stockId)),
                "getProducts" => GetProducts(body.Element(Q + "request")),
                "getArticleGroups" => GetArticleGroups(body.Element(Q + "request")),
                "getStock" => GetStock(body.Element(Q + "request")),
                "findRelation" => FindRelation(body.Element(Q + "relation")),
                "createRelation" => CreateRelation(body.Element(Q + "relation")),
                "updateRelation" => UpdateRelation(body.Element(Q + "relation")),
                "findOrder" => Find("GetOrderResponse", "GET-ORDER-RESULT", "order", _orders, Text(body, "extOrderId")),
                "findInvoice" => Find("GetInvoiceResponse", "GET-INVOICE-RESULT", "invoice", _invoices, Text(body, "extInvoiceId")),
                "createOrder" => CreateOrder(body.Element(Q + "order"), "order"),
                "saveInvoice" => CreateOrder(body.Element(Q + "invoice"), "invoice"),
                _ => Fault("Client", $"Operation '{operation}' is not served by this simulator."),
            };
        }
    }

    private IResult GetProducts(XElement? request)
    {
        if (request is null) return Fault("Client", "getProducts needs its request element.");
        var marker = Long(request, "syncMarker");
        var limit = (int?)Long(request, "syncMarkerLimit");
        var articleFilter = request.Elements(Q + "articleNumbers").Select(e => long.Parse(e.Value, CultureInfo.InvariantCulture)).ToHashSet();
        if (marker is not null && limit is null) return Fault("Client", "syncMarker needs syncMarkerLimit.");
        IEnumerable<SimProduct> products = _products.Values.OrderBy(p => p.SyncMarker);
        if (marker is { } m) products = products.Where(p => p.SyncMarker > m);
        if (articleFilter.Count > 0) products = products.Where(p => p.Articles.Any(a => articleFilter.Contains(a.ArticleNumber)));
        if (limit is { } l) products = products.Take(l);
        var list = products.Select(p => E("product", E("productNumber", p.ProductNumber), E("syncMarker", p.SyncMarker),
            E("description", p.Description), p.ExtraText is null ? null : E("extraText", p.ExtraText),
            E("articleList", p.Articles.Where(a => articleFilter.Count == 0 || articleFilter.Contains(a.ArticleNumber)).Select(Article).ToArray()),
            p.GroupNumbers.Select(g => E("groupNumbers", g)).ToArray())).ToArray();
        return Ok("GetProductsResponse", E("productList", list));
    }

    private static XElement Article(SimArticle a) => E("article",
        E("articleNumber", a.ArticleNumber), E("active", a.Active ? "true" : "false"), E("description", a.Description),
        a.Colour is null ? null : E("colour", a.Colour), a.Size is null ? null : E("size", a.Size),
        a.DisplayText is null ? null : E("displayText", a.DisplayText), a.Barcode is null ? null : E("barcode", a.Barcode),
        a.BrandName is null ? null : E("brandName", a.BrandName),
        E("vatPercentage", a.VatPercentage), E("priceIncl", a.PriceIncl), E("priceExcl", a.PriceExcl),
        a.SupplierArticleNumber is null ? null : E("supplierArticleNumber", a.SupplierArticleNumber), E("webshop", a.Webshop ? "true" : "false"));

    private IResult GetArticleGroups(XElement? request)
    {
        var marker = Long(request, "syncMarker") ?? 0;
        var limit = (int?)Long(request, "syncMarkerLimit") ?? int.MaxValue;
        var changed = _groups.Values.Where(g => _groupMarkers[g.GroupNumber] > marker).OrderBy(g => _groupMarkers[g.GroupNumber]).Take(limit).ToList();
        // Changed groups come as a flat list; a sub-group sits in its parent's subGroupList when both changed.
        XElement Group(SimArticleGroup g) => E("articleGroups", E("groupNumber", g.GroupNumber), E("syncMarker", _groupMarkers[g.GroupNumber]),
            E("name", g.Name), E("text", ""), E("subGroupList", changed.Where(c => c.Parent == g.GroupNumber).Select(Group).ToArray()), E("sortOrder", 0));
        var roots = changed.Where(g => g.Parent is null || changed.All(c => c.GroupNumber != g.Parent)).Select(Group).ToArray();
        return Ok("GetArticleGroupsResponse", E("articleGroupList", roots));
    }

    private IResult GetStock(XElement? request)
    {
        if (request?.Element(Q + "branchNumber") is null || request.Element(Q + "articleNumbers") is null)
            return Fault("Client", "getStock needs branchNumber and articleNumbers.");
        var branch = (int)Long(request, "branchNumber")!;
        var since = Long(request, "stockId");
        var wanted = request.Element(Q + "articleNumbers")!.Elements(Q + "articleNumbers").Select(e => long.Parse(e.Value, CultureInfo.InvariantCulture)).ToHashSet();
        var stocks = _stock.Where(s => s.Key.Branch == branch && (wanted.Count == 0 || wanted.Contains(s.Key.Article)) && (since is null || s.Value.StockId > since))
            .OrderBy(s => s.Value.StockId)
            .Select(s => E("articleStocks", E("branchNumber", branch), E("articleNumber", s.Value.ArticleNumber), E("stockId", s.Value.StockId),
                E("amountFree", s.Value.Free * 100), E("decimalPlacesFree", 2), E("amountReserved", s.Value.Reserved), E("decimalPlacesReserved", 0),
                E("amountIncoming", s.Value.Incoming), E("decimalPlacesIncoming", 0), E("isDayStockArticle", "false")))
            .ToArray();
        return Ok("GetStockResponse", stocks);
    }

    private IResult FindRelation(XElement? example)
    {
        var email = Text(example, "email");
        var match = _relations.Values.FirstOrDefault(r => email is not null && string.Equals(r.Email, email, StringComparison.OrdinalIgnoreCase));
        return match is null
            ? Ok("FindRelationResponse", E("result", "FIND-RELATION-RESULT-NOT-FOUND"))
            : Ok("FindRelationResponse", E("result", "FIND-RELATION-RESULT-OK"), E("relation", E("relationNumber", match.RelationNumber), E("name", match.Name), E("email", match.Email)));
    }

    private IResult CreateRelation(XElement? relation)
    {
        if (relation is null || string.IsNullOrWhiteSpace(Text(relation, "name")))
            return Ok("CreateRelationResponse", E("result", "CREATE-RELATION-RESULT-FAILED"), E("relationNumber", 0), E("errorMessage", "A relation needs a name."));
        var created = new SimRelation { RelationNumber = ++_nextRelation };
        Apply(created, relation);
        _relations[created.RelationNumber] = created;
        return Ok("CreateRelationResponse", E("result", "CREATE-RELATION-RESULT-OK"), E("relationNumber", created.RelationNumber), E("syncMarker", ++_syncMarker), E("errorMessage", ""));
    }

    private IResult UpdateRelation(XElement? relation)
    {
        if (Long(relation, "relationNumber") is not { } number || !_relations.TryGetValue(number, out var existing))
            return Ok("UpdateRelationResponse", E("result", "UPDATE-RELATION-RESULT-NOT-FOUND"), E("errorMessage", "No such relation."));
        Apply(existing, relation!);
        return Ok("UpdateRelationResponse", E("result", "UPDATE-RELATION-RESULT-OK"), E("errorMessage", ""), E("syncMarker", ++_syncMarker));
    }

    private static void Apply(SimRelation target, XElement relation)
    {
        target.Name = Text(relation, "name") ?? target.Name;
        target.Email = Text(relation, "email") ?? target.Email;
        target.CompanyName = Text(relation, "companyName") ?? target.CompanyName;
        target.Contact = Text(relation, "contact") ?? target.Contact;
        target.Address = Text(relation, "address") ?? target.Address;
        target.Zipcode = Text(relation, "zipcode") ?? target.Zipcode;
        target.City = Text(relation, "city") ?? target.City;
        var contacts = relation.Element(Q + "contactList")?.Elements(Q + "relation").Select(r => Text(r, "name")).OfType<string>().ToList() ?? [];
        if (contacts.Count > 0)
        {
            target.ContactNames.Clear();
            target.ContactNames.AddRange(contacts);
        }
    }

    private static IResult Find(string response, string prefix, string element, Dictionary<string, SimOrder> store, string? extId) =>
        extId is not null && store.TryGetValue(extId, out var found)
            ? Ok(response, E("result", prefix + "-OK"), E(element, E(element + "Id", found.Id), E("ext" + char.ToUpperInvariant(element[0]) + element[1..] + "Id", found.ExtId)))
            : Ok(response, E("result", prefix + "-NOT-FOUND"));

    private IResult CreateOrder(XElement? order, string kind)
    {
        var (response, prefix, idField, extField) = kind == "order"
            ? ("CreateOrderResponse", "CREATE-ORDER-RESULT", "orderId", "extOrderId")
            : ("SaveInvoiceResponse", "SAVE-INVOICE-RESULT", "invoiceId", "extInvoiceId");
        IResult Failed(string message) => Ok(response, E("result", prefix + "-FAILED"), E("info", E(idField, ""), E(kind + "String", "")), E("errorMessage", message));
        if (order is null) return Fault("Client", $"The {kind} element is missing.");
        if (kind == "order" && order.Element(Q + "orderId") is null) return Fault("Client", "Order.orderId is required (empty for a new order).");
        var extId = Text(order, extField);
        if (string.IsNullOrEmpty(extId)) return Failed($"{extField} is required for web orders.");
        var store = kind == "order" ? _orders : _invoices;
        if (store.ContainsKey(extId))
            return Ok(response, E("result", prefix + "-EXT-" + (kind == "order" ? "ORDER" : "INVOICE") + "-ID-ALREADY-EXISTS"), E("info", E(idField, store[extId].Id), E(kind + "String", "")), E("errorMessage", ""));
        if (Long(order, "employeeNumber") is not { } employee) return Failed("employeeNumber is required.");
        var branch = (int?)(Long(order, "entryBranchNumber") ?? Long(order, "financialBranchNumber"));
        if (branch is null) return Failed("A branch is required.");
        if (Long(order, "relationNumber") is not { } relation || !_relations.ContainsKey(relation)) return Failed($"Relation {Long(order, "relationNumber")} does not exist.");
        var lines = new List<(long, long, long)>();
        var known = _products.Values.SelectMany(p => p.Articles).Select(a => a.ArticleNumber).ToHashSet();
        foreach (var line in order.Element(Q + "lineList")?.Elements(Q + "line") ?? [])
        {
            if (Long(line, "articleNumber") is not { } article) return Fault("Client", "Line.articleNumber is required.");
            if (!known.Contains(article)) return Failed($"Article {article} not found.");
            var data = line.Element(Q + "data");
            lines.Add((article, Long(data, "quantity") ?? 0, Long(data, "price") ?? 0));
        }
        if (lines.Count == 0) return Failed("An order needs lines.");
        var payments = order.Element(Q + "paymentList")?.Elements(Q + "payment").Select(p => (Text(p, "method") ?? "", Long(p, "amount") ?? 0)).ToList() ?? [];
        var entry = order.Element(Q + "entryTimestamp") is { } ts
            ? FormattableString.Invariant($"{Long(ts, "year")}-{Long(ts, "mon"):00}-{Long(ts, "day"):00} {Long(ts, "hour"):00}:{Long(ts, "min"):00}:{Long(ts, "sec"):00}")
            : "";
        var id = $"{kind}-{++_nextOrder}";
        store[extId] = new SimOrder(kind, id, extId, relation, employee, branch.Value, Long(order, "totalInclAmount") ?? 0, lines, payments, entry);
        return Ok(response, E("result", prefix + "-OK"), E("info", E(idField, id), E(kind + "String", id)), E("errorMessage", ""));
    }

    // ---- Envelope -----------------------------------------------------------------------------

    private static XElement E(string name, params object?[] content) => new(Q + name, content.Where(c => c is not null));

    private static string? Text(XElement? parent, string name) => (string?)parent?.Element(Q + name);

    private static long? Long(XElement? parent, string name) =>
        parent?.Element(Q + name) is { } e && long.TryParse(e.Value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) ? v : null;

    private static IResult Ok(string element, params object?[] content) => Envelope(200, E(element, content));

    private static IResult Fault(string code, string message) =>
        Envelope(500, new XElement(Soap + "Fault", new XElement("faultcode", "SOAP-ENV:" + code), new XElement("faultstring", message)));

    private static IResult Envelope(int status, XElement body) => Results.Text(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>" + new XElement(Soap + "Envelope",
            new XAttribute(XNamespace.Xmlns + "SOAP-ENV", Soap.NamespaceName), new XAttribute(XNamespace.Xmlns + "ns", Q.NamespaceName),
            new XElement(Soap + "Body", body)).ToString(SaveOptions.DisableFormatting),
        "text/xml; charset=utf-8", statusCode: status);
}

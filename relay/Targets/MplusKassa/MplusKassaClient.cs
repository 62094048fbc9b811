using System.Globalization;
using System.Xml.Linq;
using Relay.Infrastructure;
using Relay.Mapping;
using Relay.Orders;
using static Relay.Targets.MplusKassa.MplusSoap;

namespace Relay.Targets.MplusKassa;

/// <summary>
/// One till through QAPI. Products are MplusKASSA products with their articles: a product of one article
/// without colour or size is a simple shop product (SKU = article number); otherwise the product is a
/// parent (SKU "P" + product number) and each article a variant (SKU = its article number) whose colour
/// and size are the variant's options. Changes are read with the till's sync markers (products, article
/// groups) and stock ids (stock), each the largest seen so far. Orders are booked once per shop order
/// number: <c>findOrder</c>/<c>findInvoice</c> by the external id first, and the till itself refuses a
/// second one with the same id (…-EXT-ORDER-ID-ALREADY-EXISTS), so a retry after a lost answer is safe.
/// </summary>
public sealed class MplusKassaClient(IMplusKassaApi api, string accountId, MplusKassaSettings settings, TimeProvider time) : IPointOfSale
{
    private const string Name = "MplusKASSA";
    private readonly OutboundCall _call = new(accountId, settings.BaseUri);

    public async Task TestConnectionAsync(CancellationToken ct = default) =>
        await SendAsync("getCurrentSyncMarkers", E("getCurrentSyncMarkers"), ct);

    public async Task<CatalogChanges> PullCatalogAsync(string? cursor, CancellationToken ct = default)
    {
        var (productMarker, groupMarker) = CatalogCursor.Parse(cursor);
        var groupsAnswer = await SendAsync("getArticleGroups", E("getArticleGroups", E("request",
            E("syncMarker", groupMarker), E("syncMarkerLimit", settings.SyncMarkerLimit))), ct);
        var categories = new List<PosCategory>();
        var nextGroup = groupMarker;
        void Flatten(XElement? list, string? parent)
        {
            foreach (var group in list.All("articleGroups"))
            {
                var id = group.Int("groupNumber")?.ToString(CultureInfo.InvariantCulture);
                if (id is null) continue;
                nextGroup = Math.Max(nextGroup, group.Long("syncMarker") ?? 0);
                if (group.Bool("isDeleted") != true) categories.Add(new PosCategory(id, group.Text("name") ?? id, parent));
                Flatten(group.Element(Qapi + "subGroupList"), id);
            }
        }
        Flatten(groupsAnswer.Element(Qapi + "articleGroupList"), null);

        var productsAnswer = await SendAsync("getProducts", E("getProducts", E("request",
            E("syncMarker", productMarker), E("syncMarkerLimit", settings.SyncMarkerLimit))), ct);
        var products = new List<PosProduct>();
        var nextProduct = productMarker;
        var read = 0;
        foreach (var product in productsAnswer.Element(Qapi + "productList").All("product"))
        {
            read++;
            nextProduct = Math.Max(nextProduct, product.Long("syncMarker") ?? 0);
            if (ToProduct(product) is { } p) products.Add(p);
        }
        var more = read >= settings.SyncMarkerLimit || categories.Count >= settings.SyncMarkerLimit;
        return new CatalogChanges(products, categories, CatalogCursor.Format(nextProduct, nextGroup), more);
    }

    /// <summary>
    /// The article's fields beyond the mapped-by-default ones, offered to the product mapping by their QAPI names; a
    /// product with variants takes them from its first article (brand and supplier are the product's, not the size's).
    /// </summary>
    public static readonly IReadOnlyList<string> ProductFields =
        ["articleNumber", "extArticleId", "pluNumber", "brandName", "supplierArticleNumber", "supplierRelationName", "invoiceText", "receiptText",
         "displayText", "unit", "contentUnit", "turnoverGroup"];

    private static PosProduct? ToProduct(XElement product)
    {
        var articles = product.Element(Qapi + "articleList").All("article").ToList();
        if (articles.Count == 0) return null;
        var first = articles[0];
        var name = product.Text("description") ?? first.Text("description") ?? "";
        var categories = product.All("groupNumbers").Select(g => g.Value).ToList();
        var description = product.Text("extraText") ?? first.Text("extraText");
        var shortDescription = first.Text("displayText") ?? first.Text("receiptText");
        static bool Active(XElement a) => a.Bool("active") != false && a.Bool("webshop") != false;
        static string Sku(XElement a) => a.Long("articleNumber")!.Value.ToString(CultureInfo.InvariantCulture);

        var fields = ProductFields.ToDictionary(field => field, first.Text, StringComparer.Ordinal);
        var variantOptions = articles.Select(a => Options(a)).ToList();
        if (articles.Count == 1 && variantOptions[0].Count == 0)
            return new PosProduct(Sku(first), name, description, shortDescription, first.Long("priceIncl") ?? 0, first.Long("priceExcl") ?? 0,
                first.Int("vatPercentage") ?? 0, first.Text("barcode"), Active(first), categories, []) { Fields = fields };

        var variants = articles.Select((a, i) => new PosVariant(Sku(a), variantOptions[i], a.Long("priceIncl") ?? 0, a.Long("priceExcl") ?? 0,
            a.Text("barcode"), Active(a))).ToList();
        return new PosProduct("P" + product.Long("productNumber")!.Value.ToString(CultureInfo.InvariantCulture), name, description, shortDescription,
            first.Long("priceIncl") ?? 0, first.Long("priceExcl") ?? 0, first.Int("vatPercentage") ?? 0, null, articles.Any(Active), categories, variants) { Fields = fields };
    }

    /// <summary>The till's two variant axes; an article without either is not a variant of anything.</summary>
    private static Dictionary<string, string> Options(XElement article)
    {
        var options = new Dictionary<string, string>(StringComparer.Ordinal);
        if (article.Text("size") is { Length: > 0 } size) options["Size"] = size;
        if (article.Text("colour") is { Length: > 0 } colour) options["Colour"] = colour;
        return options;
    }

    public async Task<StockChanges> PullStockAsync(string? cursor, CancellationToken ct = default)
    {
        long? since = long.TryParse(cursor, NumberStyles.Integer, CultureInfo.InvariantCulture, out var s) ? s : null;
        var answer = await SendAsync("getStock", E("getStock", E("request",
            E("branchNumber", settings.BranchNumber), E("articleNumbers"), since is { } id ? E("stockId", id) : null)), ct);
        var levels = new List<StockLevel>();
        var next = since ?? 0;
        foreach (var stock in answer.All("articleStocks"))
        {
            next = Math.Max(next, stock.Long("stockId") ?? 0);
            if (stock.Long("articleNumber") is not { } article) continue;
            levels.Add(new StockLevel(article.ToString(CultureInfo.InvariantCulture),
                Units(stock, "amountFree", "decimalPlacesFree"), Units(stock, "amountReserved", "decimalPlacesReserved"), Units(stock, "amountIncoming", "decimalPlacesIncoming")));
        }
        return new StockChanges(levels, next.ToString(CultureInfo.InvariantCulture), false);
    }

    /// <summary>Amounts are unscaled with a companion number of decimal places; a shop counts whole units (rounded down).</summary>
    private static long Units(XElement stock, string amount, string places)
    {
        var value = stock.Long(amount) ?? 0;
        var scale = stock.Int(places) ?? 0;
        for (var i = 0; i < scale; i++) value /= 10;
        return value;
    }

    public async Task<PosOrderOutcome> PlaceOrderAsync(ShopOrder order, PosOrderOptions options, CancellationToken ct = default)
    {
        if (await FindExistingAsync(order.Number, options.AsInvoice, ct) is { } existing)
            return new PosOrderOutcome(PosOrderStatus.AlreadyThere, existing);

        // The till books the goods; shipping, fees and coupons are in the order's total, not lines of articles.
        var goods = order.Lines.Where(l => l.Kind == OrderLineKind.Product).ToList();
        var unknown = await UnknownArticlesAsync(goods.Select(l => l.Sku ?? "").Distinct().ToList(), ct);
        if (unknown.Count > 0)
            return new PosOrderOutcome(PosOrderStatus.Waiting, Reason: $"The till has no article {string.Join(", ", unknown.Select(s => s.Length == 0 ? "(a line without SKU)" : s))}; the order waits until it does.");

        if (options.DefaultDebtor is null && string.IsNullOrWhiteSpace(order.Email))
            throw new TargetPermanentException($"Order {order.Number} has no e-mail address to find or create the customer by; set a default customer for web orders on the Till tab.");
        var relationNumber = options.DefaultDebtor ?? await DebtorAsync(order, ct);
        var lines = E("lineList", goods.Select(l => E("line",
            E("articleNumber", long.Parse(l.Sku!, CultureInfo.InvariantCulture)),
            E("text", l.Name),
            E("data", E("quantity", (long)Math.Round(l.Quantity)), E("decimalPlaces", 0), E("price", Cents(l.UnitPriceNet * (1 + l.VatPercent / 100)))))).ToArray());
        var total = Cents(order.Total);
        // Matched on the method's name as the shop shows it: the same for every platform.
        var payment = order.PaymentMethod is { } method && options.PaymentMethods.FirstOrDefault(p => string.Equals(p.Key, method, StringComparison.OrdinalIgnoreCase)).Value is { } tillMethod
            ? E("paymentList", E("payment", E("method", tillMethod), E("amount", total)))
            : null;
        var at = order.PlacedAt;
        var name = order.Company is { Length: > 0 } company ? company : order.FullName;

        if (options.AsInvoice)
        {
            var invoice = E("invoice", E("extInvoiceId", order.Number), E("employeeNumber", settings.EmployeeNumber),
                DateTime("entryTimestamp", at, settings.Zone), E("relationNumber", relationNumber), E("relationName", name),
                Date("financialDate", at, settings.Zone), E("financialBranchNumber", settings.BranchNumber), E("entryBranchNumber", settings.BranchNumber),
                E("reference", order.Number), E("totalInclAmount", total), E("vatMethod", "VAT-METHOD-INCLUSIVE"), lines, payment);
            var saved = await SendAsync("saveInvoice", E("saveInvoice", invoice), ct);
            return saved.Text("result") switch
            {
                "SAVE-INVOICE-RESULT-OK" => new PosOrderOutcome(PosOrderStatus.Created, saved.Element(Qapi + "info").Text("invoiceId")),
                "SAVE-INVOICE-RESULT-EXT-INVOICE-ID-ALREADY-EXISTS" => new PosOrderOutcome(PosOrderStatus.AlreadyThere),
                var result => throw new TargetPermanentException($"{Name} refused the invoice ({result}): {TargetText.Safe(saved.Text("errorMessage"))}", code: result),
            };
        }

        var tillOrder = E("order", E("orderId", ""), E("extOrderId", order.Number), E("orderType", "ORDER-TYPE-EXTERNAL-SALES-ORDER"),
            E("entryBranchNumber", settings.BranchNumber), E("employeeNumber", settings.EmployeeNumber), DateTime("entryTimestamp", at, settings.Zone),
            E("relationNumber", relationNumber), E("relationName", name), Date("financialDate", at, settings.Zone),
            E("financialBranchNumber", settings.BranchNumber), E("reference", order.Number), E("totalInclAmount", total),
            E("vatMethod", "VAT-METHOD-INCLUSIVE"), lines, payment);
        var created = await SendAsync("createOrder", E("createOrder", tillOrder), ct);
        return created.Text("result") switch
        {
            "CREATE-ORDER-RESULT-OK" => new PosOrderOutcome(PosOrderStatus.Created, created.Element(Qapi + "info").Text("orderId")),
            "CREATE-ORDER-RESULT-EXT-ORDER-ID-ALREADY-EXISTS" => new PosOrderOutcome(PosOrderStatus.AlreadyThere),
            var result => throw new TargetPermanentException($"{Name} refused the order ({result}): {TargetText.Safe(created.Text("errorMessage"))}", code: result),
        };
    }

    private async Task<string?> FindExistingAsync(string number, bool invoice, CancellationToken ct)
    {
        if (invoice)
        {
            var found = await SendAsync("findInvoice", E("findInvoice", E("extInvoiceId", number)), ct);
            return found.Text("result") == "GET-INVOICE-RESULT-OK" ? found.Element(Qapi + "invoice").Text("invoiceId") ?? number : null;
        }
        var order = await SendAsync("findOrder", E("findOrder", E("extOrderId", number)), ct);
        return order.Text("result") == "GET-ORDER-RESULT-OK" ? order.Element(Qapi + "order").Text("orderId") ?? number : null;
    }

    /// <summary>SKUs that are no article number the till knows (one getProducts for the whole order).</summary>
    private async Task<List<string>> UnknownArticlesAsync(IReadOnlyList<string> skus, CancellationToken ct)
    {
        var numbers = skus.Where(s => long.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out _)).ToList();
        var known = new HashSet<string>(StringComparer.Ordinal);
        if (numbers.Count > 0)
        {
            var answer = await SendAsync("getProducts", E("getProducts", E("request", numbers.Select(n => E("articleNumbers", n)).ToArray())), ct);
            foreach (var article in answer.Element(Qapi + "productList").All("product").SelectMany(p => p.Element(Qapi + "articleList").All("article")))
                if (article.Long("articleNumber") is { } n) known.Add(n.ToString(CultureInfo.InvariantCulture));
        }
        return skus.Where(s => !known.Contains(s)).ToList();
    }

    /// <summary>
    /// The customer by e-mail (findRelation), updated with the order's name and address; else created: a
    /// business debtor with the person as its contact when the order names a company, else a person.
    /// </summary>
    private async Task<long> DebtorAsync(ShopOrder order, CancellationToken ct)
    {
        var found = await SendAsync("findRelation", E("findRelation", E("relation", E("email", order.Email))), ct);
        var company = order.Company is { Length: > 0 } c ? c : null;
        var address = order.BillingAddress;
        XElement Relation(long? number) => E("relation",
            number is { } n ? E("relationNumber", n) : null,
            E("name", company ?? order.FullName),
            E("address", address?.Street is { } street ? $"{street} {address.HouseNumber}".Trim() : null),
            E("zipcode", address?.PostalCode), E("city", address?.City), E("country", address?.Country),
            E("contact", company is null ? null : order.FullName), E("telephone", order.Phone), E("email", order.Email),
            company is null ? null : E("companyName", company),
            company is null ? null : E("contactList", E("relation", E("name", order.FullName), E("email", order.Email))));

        if (found.Text("result") == "FIND-RELATION-RESULT-OK" && found.Element(Qapi + "relation").Long("relationNumber") is { } existing)
        {
            var updated = await SendAsync("updateRelation", E("updateRelation", Relation(existing)), ct);
            if (updated.Text("result") != "UPDATE-RELATION-RESULT-OK")
                throw new TargetPermanentException($"{Name} did not update customer {existing} ({updated.Text("result")}): {TargetText.Safe(updated.Text("errorMessage"))}");
            return existing;
        }
        // createRelation has no key of the relay's: an attempt whose answer was lost is not repeated by the chain;
        // the order's next try finds the customer by e-mail instead.
        var created = await SendAsync("createRelation", E("createRelation", Relation(null)), ct, notIdempotent: true);
        return created.Text("result") == "CREATE-RELATION-RESULT-OK" && created.Long("relationNumber") is { } number
            ? number
            : throw new TargetPermanentException($"{Name} did not create the customer ({created.Text("result")}): {TargetText.Safe(created.Text("errorMessage"))}");
    }

    private static long Cents(decimal amount) => (long)Math.Round(amount * 100, MidpointRounding.AwayFromZero);

    private async Task<XElement> SendAsync(string operation, XElement body, CancellationToken ct, bool notIdempotent = false)
    {
        var call = notIdempotent ? _call with { NotIdempotent = true } : _call;
        using var response = await TargetHttp.SendAsync(() => api.CallAsync(settings.Ident, settings.Secret, operation, Content(Request(body)), call, ct));
        var text = await response.Content.ReadAsStringAsync(ct);
        var (answer, fault) = Read(text);
        if (!response.IsSuccessStatusCode || fault is not null)
            throw fault is { IsClient: true, IsAuthentication: false } && response.IsSuccessStatusCode
                ? new TargetPermanentException($"{Name} refused {operation} ({fault.Code}): {TargetText.Safe(fault.Message)}", code: fault.Code)
                : TargetHttp.Error(Name, response, fault?.Code, fault is null ? $"{operation} failed" : $"{operation}: {fault.Message}", time);
        return answer ?? throw new TargetTransientException($"{Name} answered {operation} with something that is no SOAP envelope: {text[..Math.Min(300, text.Length)]}");
    }
}

/// <summary>Where a catalog pull stands: the product and article-group sync markers, "p{products}g{groups}".</summary>
internal static class CatalogCursor
{
    public static (long Products, long Groups) Parse(string? cursor)
    {
        if (cursor is null || !cursor.StartsWith('p') || cursor.IndexOf('g') is var g && g < 0) return (0, 0);
        return long.TryParse(cursor[1..g], NumberStyles.None, CultureInfo.InvariantCulture, out var p)
               && long.TryParse(cursor[(g + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var a) ? (p, a) : (0, 0);
    }

    public static string Format(long products, long groups) => FormattableString.Invariant($"p{products}g{groups}");
}

using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Simulators.Shopware;

/// <summary>
/// The catalog side of the shop's Admin API (protocol §2.2): <c>POST /api/_action/sync</c> upserts of product
/// (variants: <c>parentId</c> + <c>options</c>, parents: <c>configuratorSettings</c>), category, property_group
/// (with nested options) and tax, in one transaction per request (a refused row refuses the whole request
/// with 400 and writes nothing); searches over them and over seeded sales channels and currencies (orders are the Admin API's own, <see cref="SimulatedOrder"/>).
/// Strict where Shopware is: unique product numbers, required fields on create, known foreign keys.
/// </summary>
public sealed class ShopwareCatalogApi(TimeProvider time)
{
    public const string NavigationCategoryId = "a1b2c3d4e5f60718293a4b5c6d7e8f90";
    public const string SystemCurrencyId = "b7d2554b0ce847cd82f3ac9bd1c0dfca";

    private readonly object _gate = new();
    private readonly Dictionary<string, Dictionary<string, JsonObject>> _rows = new(StringComparer.Ordinal)
    {
        ["product"] = new(StringComparer.Ordinal), ["category"] = new(StringComparer.Ordinal), ["property_group"] = new(StringComparer.Ordinal),
        ["property_group_option"] = new(StringComparer.Ordinal), ["tax"] = new(StringComparer.Ordinal), ["sales_channel"] = new(StringComparer.Ordinal),
        ["currency"] = new(StringComparer.Ordinal),
    };
    private readonly Dictionary<string, string> _productByNumber = new(StringComparer.Ordinal);
    private int _syncCalls;

    /// <summary>Entities the sync endpoint writes (snake_case, as Shopware names them in sync operations).</summary>
    public static readonly string[] Writable = ["product", "category", "property_group", "tax"];

    /// <summary>Entities the search endpoint serves here (kebab-case, as in the URL).</summary>
    public static readonly string[] Searchable = ["product", "category", "property-group", "property-group-option", "tax", "sales-channel", "currency"];

    public int SyncCalls => Volatile.Read(ref _syncCalls);

    public ShopwareCatalogApi Seed()
    {
        lock (_gate)
        {
            _rows["tax"]["a1f0e2d3c4b5a6978877665544332211"] = new JsonObject { ["id"] = "a1f0e2d3c4b5a6978877665544332211", ["name"] = "Standard rate", ["taxRate"] = 21m };
            _rows["sales_channel"][ShopwareIds.DefaultSalesChannel] = new JsonObject { ["id"] = ShopwareIds.DefaultSalesChannel, ["name"] = "Storefront", ["navigationCategoryId"] = NavigationCategoryId };
            _rows["category"][NavigationCategoryId] = new JsonObject { ["id"] = NavigationCategoryId, ["name"] = "Home", ["parentId"] = null };
            _rows["currency"][SystemCurrencyId] = new JsonObject { ["id"] = SystemCurrencyId, ["isoCode"] = "EUR", ["factor"] = 1 };
        }
        return this;
    }

    public IReadOnlyList<JsonObject> Rows(string entity) { lock (_gate) return _rows[entity].Values.Select(r => (JsonObject)r.DeepClone()).ToList(); }

    public JsonObject? ProductByNumber(string number)
    {
        lock (_gate) return _productByNumber.TryGetValue(number, out var id) ? (JsonObject)_rows["product"][id].DeepClone() : null;
    }

    /// <summary>The merchant edits a product in the shop administration (a longer description, say).</summary>
    public void EditProduct(string number, string field, JsonNode? value)
    {
        lock (_gate) _rows["product"][_productByNumber[number]][field] = value;
    }

    /// <summary>A product the merchant made in the shop by hand.</summary>
    public void AddProduct(JsonObject product)
    {
        lock (_gate)
        {
            var id = product["id"]?.GetValue<string>() ?? ShopwareIds.New();
            product["id"] = id;
            _rows["product"][id] = product;
            _productByNumber[product["productNumber"]!.GetValue<string>()] = id;
        }
    }

    internal IResult Sync(JsonElement body)
    {
        Interlocked.Increment(ref _syncCalls);
        if (body.ValueKind is not (JsonValueKind.Array or JsonValueKind.Object))
            return Error(400, "FRAMEWORK__INVALID_SYNC_PAYLOAD", "The sync payload must be a list of operations.");
        var operations = body.ValueKind == JsonValueKind.Array ? body.EnumerateArray().ToList() : body.EnumerateObject().Select(p => p.Value).ToList();
        lock (_gate)
        {
            // Shopware writes one request in one transaction: every change is logged, and undone when a row is refused.
            var undo = new Undo(_rows, _productByNumber);
            var written = new JsonObject();
            foreach (var (operation, index) in operations.Select((o, i) => (o, i)))
            {
                var entity = operation.TryGetProperty("entity", out var e) ? e.GetString() : null;
                var action = operation.TryGetProperty("action", out var a) ? a.GetString() : null;
                if (entity is null || !Writable.Contains(entity))
                    return Error(400, "FRAMEWORK__DEFINITION_NOT_FOUND", $"Definition for entity \"{entity}\" does not exist or is not writable here.", $"/{index}/entity");
                if (action != "upsert") return Error(400, "FRAMEWORK__INVALID_SYNC_OPERATION", $"Action \"{action}\" is not supported here; use upsert.", $"/{index}/action");
                if (!operation.TryGetProperty("payload", out var payload) || payload.ValueKind != JsonValueKind.Array)
                    return Error(400, "FRAMEWORK__INVALID_SYNC_PAYLOAD", "payload must be a list.", $"/{index}/payload");
                var ids = new JsonArray();
                foreach (var (row, r) in payload.EnumerateArray().Select((row, r) => (row, r)))
                {
                    var pointer = $"/{index}/payload/{r}";
                    var input = JsonNode.Parse(row.GetRawText())!.AsObject();
                    var error = Upsert(entity, input, undo, pointer);
                    if (error is not null)
                    {
                        undo.Rollback();
                        return error;
                    }
                    ids.Add(input["id"]!.GetValue<string>());
                }
                written[operation.TryGetProperty("key", out var key) ? key.GetString() ?? entity : entity] = ids;
            }
            return Results.Json(new JsonObject { ["data"] = written, ["notFound"] = new JsonArray(), ["deleted"] = new JsonArray() });
        }
    }

    /// <summary>The changes of one request, so a refused row leaves the shop as it was.</summary>
    private sealed class Undo(Dictionary<string, Dictionary<string, JsonObject>> rows, Dictionary<string, string> numbers)
    {
        private readonly List<Action> _undo = [];

        public Dictionary<string, Dictionary<string, JsonObject>> Rows => rows;

        public void Set(string entity, string id, JsonObject row)
        {
            var table = rows[entity];
            _undo.Add(table.TryGetValue(id, out var before) ? () => table[id] = before : () => table.Remove(id));
            table[id] = row;
        }

        public bool TryNumber(string number, out string id) => numbers.TryGetValue(number, out id!);

        public void SetNumber(string number, string id)
        {
            _undo.Add(numbers.TryGetValue(number, out var before) ? () => numbers[number] = before : () => numbers.Remove(number));
            numbers[number] = id;
        }

        public void RemoveNumber(string number)
        {
            if (!numbers.TryGetValue(number, out var before)) return;
            _undo.Add(() => numbers[number] = before);
            numbers.Remove(number);
        }

        public void Rollback()
        {
            for (var i = _undo.Count - 1; i >= 0; i--) _undo[i]();
        }
    }

    private IResult? Upsert(string entity, JsonObject input, Undo undo, string pointer)
    {
        var staged = undo.Rows;
        if (input["id"]?.GetValue<string>() is not { Length: 32 } id || !id.All(Uri.IsHexDigit))
            return Error(400, "FRAMEWORK__INVALID_UUID", "The id must be a 32-character hex UUID.", pointer + "/id");
        var rows = staged[entity];
        var exists = rows.TryGetValue(id, out var current);
        var merged = exists ? (JsonObject)current!.DeepClone() : new JsonObject();
        foreach (var (name, value) in input)
        {
            // Shopware merges a write's custom fields into the stored ones (a key left out keeps its value).
            if (name == "customFields" && value is not null)
            {
                if (value is not JsonObject fields) return Error(400, "FRAMEWORK__WRITE_TYPE_INTEGRITY_VIOLATION", "customFields must be an object.", pointer + "/customFields");
                var kept = merged["customFields"] is JsonObject stored ? (JsonObject)stored.DeepClone() : [];
                foreach (var (key, field) in fields) kept[key] = field?.DeepClone();
                merged["customFields"] = kept;
                continue;
            }
            merged[name] = value?.DeepClone();
        }
        var now = time.GetUtcNow().ToString("O", CultureInfo.InvariantCulture);
        if (exists) merged["updatedAt"] = now; else merged["createdAt"] = now;

        switch (entity)
        {
            case "product":
            {
                var number = merged["productNumber"]?.GetValue<string>();
                if (string.IsNullOrEmpty(number)) return Error(400, "VIOLATION::IS_BLANK_ERROR", "productNumber must not be blank.", pointer + "/productNumber");
                if (undo.TryNumber(number, out var owner) && owner != id)
                    return Error(400, "CONTENT__DUPLICATE_PRODUCT_NUMBER", $"Product with number \"{number}\" already exists.", pointer + "/productNumber");
                var parent = merged["parentId"]?.GetValue<string>();
                if (parent is not null && !staged["product"].ContainsKey(parent))
                    return Error(400, "FRAMEWORK__WRITE_CONSTRAINT_VIOLATION", $"Parent product {parent} does not exist.", pointer + "/parentId");
                if (!exists)
                {
                    if (merged["stock"] is null) return Error(400, "VIOLATION::IS_BLANK_ERROR", "stock must not be blank.", pointer + "/stock");
                    if (parent is null && (merged["name"] is null || merged["taxId"] is null || merged["price"] is null))
                        return Error(400, "VIOLATION::IS_BLANK_ERROR", "A product without parent needs name, taxId and price.", pointer);
                }
                if (merged["taxId"]?.GetValue<string>() is { } tax && !staged["tax"].ContainsKey(tax))
                    return Error(400, "FRAMEWORK__WRITE_CONSTRAINT_VIOLATION", $"Tax {tax} does not exist.", pointer + "/taxId");
                foreach (var option in merged["options"]?.AsArray() ?? [])
                    if (!staged["property_group_option"].ContainsKey(option!["id"]!.GetValue<string>()))
                        return Error(400, "FRAMEWORK__WRITE_CONSTRAINT_VIOLATION", $"Property option {option["id"]} does not exist.", pointer + "/options");
                foreach (var category in merged["categories"]?.AsArray() ?? [])
                    if (!staged["category"].ContainsKey(category!["id"]!.GetValue<string>()))
                        return Error(400, "FRAMEWORK__WRITE_CONSTRAINT_VIOLATION", $"Category {category["id"]} does not exist.", pointer + "/categories");
                if (exists && current!["productNumber"]?.GetValue<string>() is { } old && old != number) undo.RemoveNumber(old);
                undo.SetNumber(number, id);
                break;
            }
            case "category":
                if (merged["name"] is null) return Error(400, "VIOLATION::IS_BLANK_ERROR", "name must not be blank.", pointer + "/name");
                if (merged["parentId"]?.GetValue<string>() is { } p && !staged["category"].ContainsKey(p))
                    return Error(400, "FRAMEWORK__WRITE_CONSTRAINT_VIOLATION", $"Parent category {p} does not exist.", pointer + "/parentId");
                break;
            case "tax":
                if (merged["taxRate"] is null || merged["name"] is null) return Error(400, "VIOLATION::IS_BLANK_ERROR", "A tax needs name and taxRate.", pointer);
                break;
            case "property_group":
                if (merged["name"] is null) return Error(400, "VIOLATION::IS_BLANK_ERROR", "name must not be blank.", pointer + "/name");
                foreach (var option in input["options"]?.AsArray() ?? [])
                {
                    var o = (JsonObject)option!.DeepClone();
                    if (o["id"]?.GetValue<string>() is not { Length: 32 } optionId || o["name"] is null)
                        return Error(400, "VIOLATION::IS_BLANK_ERROR", "An option needs id and name.", pointer + "/options");
                    o["groupId"] = id;
                    undo.Set("property_group_option", optionId, o);
                }
                merged.Remove("options");
                break;
        }
        undo.Set(entity, id, merged);
        return null;
    }

    /// <summary>Criteria over the catalog rows: equals/equalsAny (product numbers from an index), range on times, sort, page/limit.</summary>
    internal JsonObject Search(string urlEntity, JsonElement criteria)
    {
        var entity = urlEntity.Replace('-', '_');
        var limit = criteria.TryGetProperty("limit", out var l) ? l.GetInt32() : 25;
        var page = criteria.TryGetProperty("page", out var pg) ? pg.GetInt32() : 1;
        List<JsonObject> matches;
        lock (_gate)
        {
            IEnumerable<JsonObject> rows = _rows[entity].Values;
            var filters = criteria.TryGetProperty("filter", out var f) ? f.EnumerateArray().ToList() : [];
            var byNumber = filters.FirstOrDefault(x => entity == "product" && x.GetProperty("field").GetString() == "productNumber" && x.GetProperty("type").GetString() is "equalsAny" or "equals");
            if (byNumber.ValueKind == JsonValueKind.Object)
            {
                var values = byNumber.GetProperty("value");
                var wanted = values.ValueKind == JsonValueKind.Array ? values.EnumerateArray().Select(v => v.GetString()!) : [values.GetString()!];
                rows = wanted.Where(_productByNumber.ContainsKey).Select(n => _rows["product"][_productByNumber[n]]);
                filters.Remove(byNumber);
            }
            matches = rows.Where(r => filters.All(x => Matches(r, x))).Select(r => (JsonObject)r.DeepClone()).ToList();
        }
        if (criteria.TryGetProperty("sort", out var sorts))
            foreach (var sort in sorts.EnumerateArray().Reverse())
            {
                var field = sort.GetProperty("field").GetString()!;
                var descending = sort.TryGetProperty("order", out var o) && string.Equals(o.GetString(), "DESC", StringComparison.OrdinalIgnoreCase);
                matches = (descending ? matches.OrderByDescending(r => r[field]?.ToJsonString(), StringComparer.Ordinal) : matches.OrderBy(r => r[field]?.ToJsonString(), StringComparer.Ordinal)).ToList();
            }
        var data = new JsonArray();
        foreach (var row in matches.Skip((page - 1) * limit).Take(limit))
        {
            row["apiAlias"] = entity;
            data.Add(row);
        }
        return new JsonObject { ["total"] = matches.Count, ["data"] = data, ["aggregations"] = new JsonArray() };
    }

    private static bool Matches(JsonObject row, JsonElement filter)
    {
        var actual = row[filter.GetProperty("field").GetString()!];
        var value = filter.TryGetProperty("value", out var v) ? v : default;
        return filter.GetProperty("type").GetString() switch
        {
            "equals" => actual?.ToJsonString() == value.GetRawText(),
            "equalsAny" => value.EnumerateArray().Any(x => actual?.ToJsonString() == x.GetRawText()),
            "range" => actual is JsonValue t && t.TryGetValue<string>(out var text) && DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, out var at)
                       && filter.GetProperty("parameters").EnumerateObject().All(p =>
                       {
                           var bound = DateTimeOffset.Parse(p.Value.GetString()!, CultureInfo.InvariantCulture);
                           return p.Name switch { "gte" => at >= bound, "gt" => at > bound, "lte" => at <= bound, "lt" => at < bound, _ => true };
                       }),
            _ => false,
        };
    }

    private static IResult Error(int status, string code, string detail, string? pointer = null) =>
        Results.Json(new { errors = new[] { new { status = status.ToString(CultureInfo.InvariantCulture), code, title = "Error", detail, source = new { pointer } } } }, statusCode: status);
}

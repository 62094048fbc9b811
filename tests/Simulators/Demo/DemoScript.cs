using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Simulators.Shopware;
using Simulators.Spotler;

namespace Simulators.Demo;

/// <param name="Relay">Reaches the relay; must not follow redirects (the module link's redirect carries the session).</param>
/// <param name="ShopOrigin">The Shopware shop simulator, for its /_sim routes.</param>
/// <param name="SpotlerApiUrl">Spotler's API base as the merchant enters it in the admin page.</param>
/// <param name="RelayLog">The relay's recent log lines, when the demo can see them (a child process).</param>
/// <param name="OrdersShopOrigin">A second Shopware shop simulator, connected to MiniCRM at <paramref name="MiniCrmUrl"/> for the orders part.</param>
public sealed record DemoEndpoints(
    HttpClient Relay,
    string OperatorKey,
    Uri ShopOrigin,
    string SpotlerApiUrl,
    string SpotlerConsumerKey,
    string SpotlerConsumerSecret,
    Func<IReadOnlyList<string>>? RelayLog = null,
    Uri? ShoprenterOrigin = null,
    DemoTill? Till = null,
    Uri? OrdersShopOrigin = null,
    string? MiniCrmUrl = null);

/// <summary>The MplusKASSA till simulator: its address (host and port, as the merchant enters it) and its ident/secret.</summary>
public sealed record DemoTill(string Url, string Ident, string Secret);

/// <summary>What the demo saw, for its test.</summary>
public sealed record DemoResult(
    string ShopKey,
    long SyncedRecords,
    long SyncFailures,
    IReadOnlyList<SpotlerContactView> SpotlerContacts,
    int WebhookStatus,
    bool UnsubscribedInStorefrontReachedSpotler,
    string PulledBackStatusInShop,
    long QueuedAfterwards,
    int DeadLetters,
    IReadOnlyList<string> Activity,
    IReadOnlyList<string> ShopProductsFromTill,
    ShoprenterDemoResult? Shoprenter = null,
    OrdersDemoResult? Orders = null);

/// <summary>What the orders part of the demo saw: the statuses left unpaired, and the order as MiniCRM holds it.</summary>
public sealed record OrdersDemoResult(string ShopKey, IReadOnlyList<string> Unpaired, int WebhookStatus, string MiniCrmStatus, string CurrencyCode, IReadOnlyList<string> ItemNames);

/// <summary>What the Shoprenter part of the demo saw.</summary>
public sealed record ShoprenterDemoResult(string ShopKey, int InstallStatus, long SyncedRecords, IReadOnlyList<SpotlerContactView> SpotlerContacts, int WebhookStatus);

/// <summary>
/// The README demo, step by step, over HTTP only: the relay is driven as a shop, a merchant in the shop's
/// admin, a customer and an operator would drive it; the simulators through their /_sim routes. Each step
/// prints what it did and the evidence. Throws with the step's name when something does not happen.
/// </summary>
public sealed class DemoScript(DemoEndpoints endpoints, TextWriter output)
{
    private const string Newsletter = "Nieuwsbrief";
    /// <summary>
    /// Only a hang guard: a step takes a second or two, but the test suite runs this script on two cores
    /// shared with browsers, relay processes and Redis, where a step has taken far longer; a broken one never ends.
    /// </summary>
    private static readonly TimeSpan StepTimeout = TimeSpan.FromMinutes(2);

    private readonly HttpClient _sim = new() { Timeout = StepTimeout };
    private readonly Uri _spotlerOrigin = new(new Uri(endpoints.SpotlerApiUrl).GetLeftPart(UriPartial.Authority));
    private readonly long _started = TimeProvider.System.GetTimestamp();

    private TimeSpan Elapsed => TimeProvider.System.GetElapsedTime(_started);
    private int _step;

    private HttpClient Relay => endpoints.Relay;

    public async Task<DemoResult> RunAsync(CancellationToken ct = default)
    {
        try
        {
            return await StepsAsync(ct);
        }
        finally
        {
            _sim.Dispose();
        }
    }

    private async Task<DemoResult> StepsAsync(CancellationToken ct)
    {
        Step("The relay is up");
        using (var ready = await Relay.GetAsync("/health/ready", ct))
            Line($"GET /health/ready -> {(int)ready.StatusCode} {await ready.Content.ReadAsStringAsync(ct)}");

        Step("The merchant installs the app in the Shopware shop (the real registration handshake)");
        var install = await SimAsync(HttpMethod.Post, ShopControl("install"), null, ct);
        if (install["succeeded"]?.GetValue<bool>() != true) throw Failed($"the install did not succeed: {install.ToJsonString()}");
        var shopKey = "shopware:" + install["shopId"]!.GetValue<string>();
        Line($"GET /shopware/register (signed with the app secret) -> {install["registrationStatus"]}, the relay's proof is {(install["proofValid"]!.GetValue<bool>() ? "valid" : "INVALID")}");
        Line($"POST /shopware/register/confirm (the shop's API keys, signed with the new shop secret) -> {install["confirmationStatus"]}");
        Line("POST /shopware/lifecycle app.installed, then app.activated -> accepted");
        var shops = await OperatorAsync(HttpMethod.Get, "/operator/shops", ct);
        var listed = shops.AsArray().FirstOrDefault(s => s?["key"]?.GetValue<string>() == shopKey)
                     ?? throw Failed($"{shopKey} is not among the relay's shops");
        Line($"the relay knows {shopKey} at {listed["url"]}");

        Step("The shop has customers and newsletter subscribers");
        await SimAsync(HttpMethod.Post, ShopControl("customers"), new JsonArray(
            Contact("anna.devries@example.nl", "Anna", "de Vries", customerNumber: "K1001"),
            Contact("bram.jansen@example.nl", "Bram", "Jansen", customerNumber: "K1002"),
            Contact("chris.bakker@example.nl", "Chris", "Bakker", customerNumber: "K1003"),
            Contact("dana.visser@example.nl", "Dana", "Visser", customerNumber: "K1004"),
            Contact("eva.smit@example.nl", "Eva", "Smit", customerNumber: "K1005")), ct);
        await SimAsync(HttpMethod.Post, ShopControl("newsletter-recipients"), new JsonArray(
            Contact("anna.devries@example.nl", "Anna", "de Vries", status: "direct"),
            Contact("bram.jansen@example.nl", "Bram", "Jansen", status: "direct"),
            Contact("chris.bakker@example.nl", "Chris", "Bakker", status: "optOut"),
            Contact("eva.smit@example.nl", "Eva", "Smit", status: "optIn"),
            Contact("finn.mulder@example.nl", "Finn", "Mulder", status: "direct")), ct);
        var recipients = (await SimAsync(HttpMethod.Get, ShopControl("newsletter-recipients"), null, ct)).AsArray();
        Line("5 customers (anna, bram, chris, dana, eva) and 5 newsletter recipients:");
        foreach (var r in recipients) Line($"  {r!["email"],-26} {r["status"]}");

        Step("The merchant opens the app's page in the Shopware administration");
        var session = await ModuleSessionAsync(ShopControl("module-url"), ct);
        Line("the page's API calls carry that token, which opens this one shop only");

        Step("... enters the Spotler Mail+ account, tests it and switches the sync on");
        var target = new JsonObject
        {
            ["kind"] = "spotler",
            ["baseUrl"] = endpoints.SpotlerApiUrl,
            ["credentials"] = new JsonObject { ["consumerKey"] = endpoints.SpotlerConsumerKey, ["consumerSecret"] = endpoints.SpotlerConsumerSecret },
        };
        var test = await AdminAsync(HttpMethod.Post, "/admin/api/targets/test", session, new JsonObject { ["target"] = target.DeepClone() }, ct);
        if (test["ok"]?.GetValue<bool>() != true) throw Failed($"the connection test failed: {test.ToJsonString()}");
        Line($"POST /admin/api/targets/test -> ok: {test["message"]}");
        var loaded = await AdminAsync(HttpMethod.Get, "/admin/api/settings", session, null, ct);
        var saved = await AdminAsync(HttpMethod.Put, "/admin/api/settings", session, new JsonObject
        {
            ["expectedVersion"] = loaded["version"]!.GetValue<int>(),
            ["target"] = target,
            ["syncEnabled"] = true,
        }, ct);
        Line($"PUT /admin/api/settings -> version {saved["version"]}, sync on; credentials stored encrypted, shown back only as {saved["target"]?["credentialsSet"]?.ToJsonString()}");

        Step("The first save started a full sync: the shop's customers and subscribers go to Spotler");
        var sync = await WaitForAsync("the full sync to finish", async () =>
        {
            var s = await AdminAsync(HttpMethod.Get, "/admin/api/sync", session, null, ct);
            return s["state"]?.GetValue<string>() is "completed" or "failed" ? s : null;
        }, ct);
        if (sync["state"]!.GetValue<string>() != "completed") throw Failed($"the full sync failed: {sync["error"]}");
        var done = sync["done"]!.GetValue<long>();
        var failures = sync["failed"]!.GetValue<long>();
        Line($"GET /admin/api/sync -> completed: {done} records ({5} customers + {5} subscribers), {failures} failed");
        var contacts = await SpotlerContactsAsync(ct);
        Line($"Spotler now has {contacts.Count} contacts (one per address; {Newsletter} is the newsletter permission):");
        foreach (var c in contacts) Line($"  {c.Email,-26} {c.FirstName + " " + c.LastName,-15} {Newsletter}: {YesNo(c)}");
        Line("chris stays off: unsubscribed in the shop. dana is a customer without a subscription.");

        Step("Anna unsubscribes in the shop's storefront: Shopware sends the relay a signed webhook");
        var anna = recipients.First(r => r!["email"]!.GetValue<string>() == "anna.devries@example.nl")!;
        var webhook = await SimAsync(HttpMethod.Post, ShopControl($"newsletter-recipients/{anna["id"]}/unsubscribe"), null, ct);
        var webhookStatus = webhook["relayStatus"]!.GetValue<int>();
        Line($"POST /shopware/webhook newsletter.unsubscribe (event {webhook["eventId"]!.GetValue<string>()[..8]}…, HMAC-SHA256 over the body) -> {webhookStatus}");
        var annaInSpotler = await WaitForAsync("Anna's unsubscribe to reach Spotler", async () =>
            (await SpotlerContactsAsync(ct)).FirstOrDefault(c => c.Email == "anna.devries@example.nl" && !Subscribed(c)), ct);
        Line($"Spotler: {annaInSpotler.Email} {Newsletter}: yes -> {YesNo(annaInSpotler)}");

        Step("Bram unsubscribes through a link in a Spotler mailing: the relay pulls that back into the shop");
        await SimAsync(HttpMethod.Post, new Uri(_spotlerOrigin, $"{SimulatorControl.Prefix}/contacts/{Uri.EscapeDataString("bram.jansen@example.nl")}/unsubscribe"), null, ct);
        Line($"Spotler: bram.jansen@example.nl {Newsletter}: yes -> no");
        // Spotler's change windows end on a whole second: a change within the current second belongs to the
        // next window. Waiting it out keeps the demo to one pull; production's next pull overlaps anyway.
        await Task.Delay(TimeSpan.FromSeconds(1.1), ct);
        // The scheduler pulls every shop at its interval (10 minutes by default); the operator does not wait.
        JsonNode? pull = null;
        var bram = await WaitForAsync("Bram's opt-out in the shop", async () =>
        {
            var p = await OperatorAsync(HttpMethod.Post, $"/operator/shops/{Uri.EscapeDataString(shopKey)}/pull-back", ct);
            if (p["outcome"]?.GetValue<string>() != "busy" && (pull is null || p["optedOut"]!.GetValue<int>() > 0)) pull = p;
            return (await SimAsync(HttpMethod.Get, ShopControl("newsletter-recipients"), null, ct)).AsArray()
                .FirstOrDefault(r => r!["email"]!.GetValue<string>() == "bram.jansen@example.nl" && r["status"]!.GetValue<string>() == "optOut");
        }, ct);
        Line($"POST /operator/shops/{shopKey}/pull-back -> {pull?["outcome"]}, {pull?["optedOut"]} opt-out(s) written to the shop" +
             (pull?["optedOut"]?.GetValue<int>() == 0 ? " (the scheduled pull-back got there first)" : ""));
        Line($"shop: newsletter recipient {bram["email"]} status direct -> {bram["status"]} (the relay's PATCH /api/newsletter-recipient/{{id}})");

        var shopwareContacts = await SpotlerContactsAsync(ct);
        var shoprenter = endpoints.ShoprenterOrigin is { } shoprenterOrigin ? await ShoprenterStepsAsync(shoprenterOrigin, target, ct) : null;
        var fromTill = endpoints.Till is { } till ? await TillStepsAsync(till, session, ct) : [];
        var orders = endpoints is { OrdersShopOrigin: { } ordersShop, MiniCrmUrl: { } miniCrm } ? await OrderStepsAsync(ordersShop, miniCrm, ct) : null;

        Step("What the operator sees (Authorization: Bearer <Operator:ApiKey>)");
        var queue = await WaitForAsync("the queue to drain", async () =>
        {
            var q = (await OperatorAsync(HttpMethod.Get, "/operator/queue", ct)).AsArray();
            return q.Sum(p => p!["waiting"]!.GetValue<long>() + p["pending"]!.GetValue<long>()) == 0 ? q : null;
        }, ct);
        long Sum(string field) => queue.Sum(p => p![field]!.GetValue<long>());
        Line($"GET /operator/queue -> {queue.Count} partitions: {Sum("waiting")} waiting, {Sum("pending")} pending, {Sum("retrying")} retrying");
        var dead = (await OperatorAsync(HttpMethod.Get, $"/operator/shops/{Uri.EscapeDataString(shopKey)}/dead-letters", ct)).AsArray();
        Line($"GET /operator/shops/{shopKey}/dead-letters -> {dead.Count}");
        var status = await AdminAsync(HttpMethod.Get, "/admin/api/status", session, null, ct);
        Line($"GET /admin/api/status -> shop {status["shopStatus"]}, token {status["tokenHealth"]}, webhooks arriving: {status["webhooksArriving"]}, dead letters {status["deadLetters"]}");
        var activity = (await AdminAsync(HttpMethod.Get, "/admin/api/activity?limit=12", session, null, ct)).AsArray()
            .Select(a => $"{a!["at"]!.GetValue<DateTimeOffset>():HH:mm:ss} {a["kind"],-11} {a["outcome"],-8} {a["maskedEmail"],-22} {a["message"]}")
            .ToList();
        Line("GET /admin/api/activity (the merchant's activity log, addresses masked), newest first:");
        foreach (var a in activity) Line("  " + a);

        if (endpoints.RelayLog?.Invoke() is { Count: > 0 } log)
        {
            Step("The relay's own log (last lines)");
            foreach (var l in log.TakeLast(8)) Line("  " + l);
        }

        output.WriteLine();
        output.WriteLine($"Done in {Elapsed.TotalSeconds:0.0} s.");
        return new DemoResult(shopKey, done, failures, shopwareContacts, webhookStatus, true,
            bram["status"]!.GetValue<string>(), Sum("waiting") + Sum("pending") + Sum("retrying"), dead.Count, activity, fromTill, shoprenter, orders);
    }

    /// <summary>The till: the merchant connects MplusKASSA on the page; a product with sizes and its stock reach the shop; a paid order reaches the till once.</summary>
    private async Task<List<string>> TillStepsAsync(DemoTill till, string session, CancellationToken ct)
    {
        Step("The merchant connects the shop's till (MplusKASSA) on the page's Till tab");
        var tillOrigin = new Uri(till.Url);
        Uri TillControl(string path) => new(tillOrigin, $"{SimulatorControl.Prefix}/{path}");
        await SimAsync(HttpMethod.Post, TillControl("products"), JsonNode.Parse("""
            [{"productNumber":100,"description":"Hoodie","extraText":"Organic cotton","groupNumbers":[],"articles":[
              {"articleNumber":1001,"description":"Hoodie S","priceIncl":5995,"priceExcl":4955,"vatPercentage":21,"size":"S"},
              {"articleNumber":1002,"description":"Hoodie M","priceIncl":5995,"priceExcl":4955,"vatPercentage":21,"size":"M"},
              {"articleNumber":1003,"description":"Hoodie L","priceIncl":5995,"priceExcl":4955,"vatPercentage":21,"size":"L"}]}]
            """), ct);
        await SimAsync(HttpMethod.Post, TillControl("stock"), JsonNode.Parse("""
            [{"articleNumber":1001,"free":5,"reserved":1,"incoming":0,"stockId":0},{"articleNumber":1002,"free":8,"reserved":0,"incoming":0,"stockId":0},
             {"articleNumber":1003,"free":2,"reserved":2,"incoming":0,"stockId":0}]
            """), ct);
        Line("the till has a hoodie in S, M and L (articles 1001-1003) with stock 5-1, 8 and 2-2 (free - reserved)");
        var tillSettings = new JsonObject
        {
            ["kind"] = "mpluskassa",
            ["baseUrl"] = till.Url,
            ["credentials"] = new JsonObject { ["ident"] = till.Ident, ["secret"] = till.Secret },
        };
        var test = await AdminAsync(HttpMethod.Post, "/admin/api/pos/test", session, new JsonObject { ["till"] = tillSettings.DeepClone() }, ct);
        Line($"POST /admin/api/pos/test -> {(test["ok"]!.GetValue<bool>() ? "ok" : "failed")}: {test["message"]}");
        var loaded = await AdminAsync(HttpMethod.Get, "/admin/api/pos", session, null, ct);
        var saved = await AdminAsync(HttpMethod.Put, "/admin/api/pos", session, new JsonObject
        {
            ["expectedVersion"] = loaded["version"]!.GetValue<int>(),
            ["till"] = tillSettings,
            ["enabled"] = true,
            ["orderStatuses"] = new JsonArray("payment:paid"),
            ["paymentMethods"] = new JsonObject { ["iDEAL"] = "IDEAL" },
            ["pollSeconds"] = 2,
        }, ct);
        Line($"PUT /admin/api/pos -> version {saved["version"]}, on; pulled every {saved["pollSeconds"]} s; paid orders go to the till; employee 999999 unless set");

        Step("Products, variants and stock arrive in the shop (_action/sync upserts)");
        var products = await WaitForAsync("the till's products in the shop", async () =>
        {
            var rows = (await SimAsync(HttpMethod.Get, ShopControl("products"), null, ct)).AsArray();
            // Stock is written after the products in the same run: the last thing to arrive.
            return rows.Any(r => r!["productNumber"]?.GetValue<string>() == "1002" && r["stock"]?.GetValue<long>() == 8) ? rows : null;
        }, ct);
        foreach (var p in products)
            Line($"  {p!["productNumber"],-6} {(p["parentId"] is null ? $"product \"{p["name"]}\"" : $"variant, stock {p["stock"]}")}");

        Step("A customer pays an order in the shop: the relay books it in the till, once");
        await SimAsync(HttpMethod.Post, ShopControl("orders"), JsonNode.Parse("""
            {"number":"20001","email":"eva.smit@example.nl","firstName":"Eva","lastName":"Smit","payment":"paid","paymentMethod":"iDEAL","currency":"EUR",
             "lines":[{"sku":"1002","label":"Hoodie M","quantity":1,"unitPrice":59.95,"taxRate":21}],
             "address":{"street":"Dorpsstraat 3","zipcode":"3511AB","city":"Utrecht","country":{"iso":"NL"}}}
            """), ct);
        var booked = await WaitForAsync("the order in the till", async () =>
            (await SimAsync(HttpMethod.Get, TillControl("orders"), null, ct)).AsArray().FirstOrDefault(o => o!["extId"]?.GetValue<string>() == "20001"), ct);
        Line($"till: order {booked["id"]} for shop order {booked["extId"]}, customer {booked["relationNumber"]} (made from e***@example.nl), employee {booked["employeeNumber"]}, total {booked["totalIncl"]} cents");
        var status = await AdminAsync(HttpMethod.Get, "/admin/api/pos/status", session, null, ct);
        Line($"GET /admin/api/pos/status -> last sync {status["lastSuccessAt"]}, {status["productsWritten"]} products, {status["stockWritten"]} stock changes, {status["ordersQueued"]} order(s), {status["waiting"]!.AsArray().Count} waiting");
        return products.Select(p => p!["productNumber"]!.GetValue<string>()).OrderBy(n => n.StartsWith('P') ? 0 : 1).ThenBy(n => n, StringComparer.Ordinal).ToList();
    }

    /// <summary>
    /// A second Shopware shop whose merchant keeps orders in MiniCRM: the install, MiniCRM connected and tested, the
    /// shop's and MiniCRM's order statuses loaded and paired (paid orders are sent), then a customer's checkout:
    /// checkout.order.placed reaches the relay, which reads the order and creates it in MiniCRM through its
    /// Orders API, at MiniCRM's 60 calls a minute.
    /// </summary>
    private async Task<OrdersDemoResult> OrderStepsAsync(Uri origin, string miniCrmUrl, CancellationToken ct)
    {
        Uri Control(string path) => new(origin, $"{SimulatorControl.Prefix}/{path}");

        Step("A second Shopware shop, whose merchant keeps customers and orders in MiniCRM, installs the app");
        var install = await SimAsync(HttpMethod.Post, Control("install"), null, ct);
        if (install["succeeded"]?.GetValue<bool>() != true) throw Failed($"the install did not succeed: {install.ToJsonString()}");
        var shopKey = "shopware:" + install["shopId"]!.GetValue<string>();
        Line($"registration handshake -> {install["confirmationStatus"]}; the relay knows {shopKey}");
        var session = await ModuleSessionAsync(Control("module-url"), ct);

        Step("... connects MiniCRM, loads both sides' order statuses and pairs them");
        // The MiniCRM simulator's account, as `serve` starts it.
        var target = new JsonObject
        {
            ["kind"] = "minicrm",
            ["baseUrl"] = miniCrmUrl,
            ["credentials"] = new JsonObject { ["systemId"] = "12345", ["apiKey"] = "minicrm-api-key" },
        };
        var test = await AdminAsync(HttpMethod.Post, "/admin/api/targets/test", session, new JsonObject { ["target"] = target.DeepClone() }, ct);
        if (test["ok"]?.GetValue<bool>() != true) throw Failed($"the MiniCRM connection test failed: {test.ToJsonString()}");
        Line($"POST /admin/api/targets/test -> ok: {test["message"]}");
        var statuses = await AdminAsync(HttpMethod.Post, "/admin/api/orders/statuses", session, new JsonObject { ["target"] = target.DeepClone() }, ct);
        if (statuses["ok"]?.GetValue<bool>() != true) throw Failed($"the order statuses were not loaded: {statuses.ToJsonString()}");
        Line($"POST /admin/api/orders/statuses -> shop: {string.Join(", ", statuses["shop"]!.AsArray().Select(x => x!["id"]!.GetValue<string>()))}");
        Line($"   MiniCRM: {string.Join(", ", statuses["target"]!.AsArray().Select(x => x!["id"]!.GetValue<string>()))}");
        var pairs = new JsonObject
        {
            ["payment:open"] = "Draft", ["payment:paid"] = "Successful", ["payment:refunded"] = "Failed",
            ["order:completed"] = "Successful", ["order:cancelled"] = "Failed",
        };
        var loaded = await AdminAsync(HttpMethod.Get, "/admin/api/settings", session, null, ct);
        await AdminAsync(HttpMethod.Put, "/admin/api/settings", session, new JsonObject
        {
            ["expectedVersion"] = loaded["version"]!.GetValue<int>(),
            ["target"] = target,
            ["syncEnabled"] = true,
            ["orders"] = new JsonObject { ["enabled"] = true, ["statusPairs"] = pairs.DeepClone(), ["sendFrom"] = new JsonArray("payment:paid") },
        }, ct);
        Line($"PUT /admin/api/settings -> orders on, sent once paid; paired: {string.Join(", ", pairs.Select(p => $"{p.Key} -> {p.Value}"))}");
        var saved = await AdminAsync(HttpMethod.Get, "/admin/api/orders/statuses", session, null, ct);
        var unpaired = saved["unpaired"]!.AsArray().Select(x => x!.GetValue<string>()).ToList();
        Line($"GET /admin/api/orders/statuses -> unpaired (their orders wait, reported, never guessed): {string.Join(", ", unpaired)}");

        Step("Éva checks out in the shop: checkout.order.placed, and the order arrives in MiniCRM");
        var placed = await SimAsync(HttpMethod.Post, Control("orders"), new JsonObject
        {
            ["number"] = "10042", ["email"] = "eva.kiss@example.hu", ["firstName"] = "Éva", ["lastName"] = "Kiss", ["coupon"] = "SUMMER10",
        }, ct);
        var webhookStatus = placed["relayStatus"]!.GetValue<int>();
        Line($"shop: order 10042, two mugs, coupon SUMMER10, shipping, paid by card; POST /shopware/webhook checkout.order.placed -> {webhookStatus}");
        var miniCrmOrders = new Uri(new Uri(miniCrmUrl), $"{SimulatorControl.Prefix}/orders");
        var order = await WaitForAsync("the order to reach MiniCRM as Successful", async () =>
            (await SimAsync(HttpMethod.Get, miniCrmOrders, null, ct)).AsArray().FirstOrDefault(o => o!["Status"]?.GetValue<string>() == "Successful"), ct);
        var items = order!["Items"]!.AsArray();
        Line($"MiniCRM: order {order["Id"]} of Person {order["CustomerId"]}, {order["CurrencyCode"]}, status {order["Status"]} (created, then Finalize, Complete, Paid):");
        foreach (var item in items) Line($"  {item!["Name"],-20} {item["Quantity"],3} × {item["PriceNet"],8} net, {item["VAT"]} VAT");
        return new OrdersDemoResult(shopKey, unpaired, webhookStatus, order["Status"]!.GetValue<string>(), order["CurrencyCode"]!.GetValue<string>(),
            items.Select(i => i!["Name"]!.GetValue<string>()).ToList());
    }

    /// <summary>
    /// A Shoprenter shop beside it: the install as Shoprenter performs it (a GET with an hmac), the app page
    /// through the EntryPoint, the same Spotler account, a full sync, and an unsubscribe whose webhook carries
    /// no signature but reaches the relay at the shop's secret URL.
    /// </summary>
    private async Task<ShoprenterDemoResult> ShoprenterStepsAsync(Uri origin, JsonObject target, CancellationToken ct)
    {
        Uri Control(string path) => new(origin, $"{SimulatorControl.Prefix}/{path}");

        Step("A Hungarian merchant installs the app in a Shoprenter shop (RedirectUri with an hmac)");
        var install = await SimAsync(HttpMethod.Post, Control("install"), null, ct);
        var installStatus = install["relayStatus"]!.GetValue<int>();
        if (installStatus != 302) throw Failed($"the Shoprenter install answered {installStatus}");
        Line($"GET /shoprenter/install?shopname=demoshop&code=…&timestamp=…&hmac=… -> 302 {install["location"]}");
        Line("the relay got a one-hour token (client credentials) and registered its newsletter and order webhooks at a secret URL");
        const string shopKey = "shoprenter:demoshop";

        await SimAsync(HttpMethod.Post, Control("customers"), new JsonArray(
            SrContact("kata.nagy@example.hu", "Kata", "Nagy"),
            SrContact("laszlo.toth@example.hu", "László", "Tóth")), ct);
        await SimAsync(HttpMethod.Post, Control("subscribers"), new JsonArray(
            SrContact("kata.nagy@example.hu", "Kata", "Nagy"),
            SrContact("laszlo.toth@example.hu", "László", "Tóth"),
            SrContact("marta.szabo@example.hu", "Márta", "Szabó", subscribed: false)), ct);
        Line("2 customers (kata, laszlo) and 3 newsletter subscribers (marta unsubscribed)");

        Step("... opens the app (EntryPoint) and connects the same Spotler account");
        var entry = (await SimAsync(HttpMethod.Get, Control("entry-url"), null, ct))["url"]!.GetValue<string>();
        string session;
        using (var opened = await Relay.GetAsync(entry, ct))
        {
            var location = opened.Headers.Location?.OriginalString ?? "";
            if (opened.StatusCode != HttpStatusCode.Redirect || !location.Contains("#session=", StringComparison.Ordinal))
                throw Failed($"the Shoprenter entry answered {(int)opened.StatusCode} {location}");
            session = location[(location.IndexOf("#session=", StringComparison.Ordinal) + "#session=".Length)..];
            Line($"GET /shoprenter/entry?shopname=demoshop&…&hmac=… -> 302 {location[..location.IndexOf('#')]}#session=<token>");
        }
        var loaded = await AdminAsync(HttpMethod.Get, "/admin/api/settings", session, null, ct);
        await AdminAsync(HttpMethod.Put, "/admin/api/settings", session, new JsonObject
        {
            ["expectedVersion"] = loaded["version"]!.GetValue<int>(),
            ["target"] = target.DeepClone(),
            ["syncEnabled"] = true,
        }, ct);
        var sync = await WaitForAsync("the Shoprenter full sync to finish", async () =>
        {
            var s = await AdminAsync(HttpMethod.Get, "/admin/api/sync", session, null, ct);
            return s["state"]?.GetValue<string>() is "completed" or "failed" ? s : null;
        }, ct);
        if (sync["state"]!.GetValue<string>() != "completed") throw Failed($"the Shoprenter full sync failed: {sync["error"]}");
        var done = sync["done"]!.GetValue<long>();
        Line($"PUT /admin/api/settings -> sync on; GET /admin/api/sync -> completed: {done} records (0-based pages of 200, full=1, under 3 calls/s)");
        var contacts = (await SpotlerContactsAsync(ct)).Where(c => c.Email?.EndsWith(".hu", StringComparison.Ordinal) == true).ToList();
        foreach (var c in contacts) Line($"  {c.Email,-26} {c.FirstName + " " + c.LastName,-15} {Newsletter}: {YesNo(c)}");

        Step("Kata unsubscribes in the Shoprenter storefront: an unsigned webhook to the shop's secret URL");
        var kata = (await SimAsync(HttpMethod.Get, Control("subscribers"), null, ct)).AsArray().First(s => s!["email"]!.GetValue<string>() == "kata.nagy@example.hu")!;
        var webhook = await SimAsync(HttpMethod.Post, Control($"subscribers/{kata["id"]}/unsubscribe"), null, ct);
        var webhookStatus = webhook["relayStatus"]!.GetValue<int>();
        var path = webhook["path"]!.GetValue<string>();
        Line($"POST {path[..(path.IndexOf("/demoshop/", StringComparison.Ordinal) + "/demoshop/".Length)]}<secret>/newsletter_unsubscribe -> {webhookStatus}");
        var kataInSpotler = await WaitForAsync("Kata's unsubscribe to reach Spotler", async () =>
            (await SpotlerContactsAsync(ct)).FirstOrDefault(c => c.Email == "kata.nagy@example.hu" && !Subscribed(c)), ct);
        Line($"Spotler: {kataInSpotler.Email} {Newsletter}: yes -> {YesNo(kataInSpotler)}");
        var status = await AdminAsync(HttpMethod.Get, "/admin/api/status", session, null, ct);
        Line($"GET /admin/api/status -> {status["platformName"]} shop {status["shopStatus"]}, token {status["tokenHealth"]}");
        return new ShoprenterDemoResult(shopKey, installStatus, done, (await SpotlerContactsAsync(ct)).Where(c => c.Email?.EndsWith(".hu", StringComparison.Ordinal) == true).ToList(), webhookStatus);
    }

    /// <summary>The merchant opens the app's page in the Shopware administration: a signed module link, answered with the session token.</summary>
    private async Task<string> ModuleSessionAsync(Uri moduleUrlControl, CancellationToken ct)
    {
        var moduleUrl = (await SimAsync(HttpMethod.Get, moduleUrlControl, null, ct))["url"]!.GetValue<string>();
        using var opened = await Relay.GetAsync(moduleUrl, ct);
        var location = opened.Headers.Location?.OriginalString ?? "";
        if (opened.StatusCode != HttpStatusCode.Redirect || !location.Contains("#session=", StringComparison.Ordinal))
            throw Failed($"the module link answered {(int)opened.StatusCode} {location}");
        Line($"GET /shopware/module?shop-id=…&shopware-shop-signature=… -> 302 {location[..location.IndexOf('#')]}#session=<token>");
        return location[(location.IndexOf("#session=", StringComparison.Ordinal) + "#session=".Length)..];
    }

    private static JsonObject SrContact(string email, string firstName, string lastName, bool subscribed = true) =>
        new() { ["email"] = email, ["firstName"] = firstName, ["lastName"] = lastName, ["subscribed"] = subscribed };

    // ---- Helpers --------------------------------------------------------------------------------

    private Uri ShopControl(string path) => new(endpoints.ShopOrigin, $"{SimulatorControl.Prefix}/{path}");

    private static JsonObject Contact(string email, string firstName, string lastName, string? customerNumber = null, string? status = null) =>
        JsonNode.Parse(System.Text.Json.JsonSerializer.Serialize(
            new SimulatedContactInput(email, firstName, lastName, customerNumber, status), System.Text.Json.JsonSerializerOptions.Web))!.AsObject();

    private static bool Subscribed(SpotlerContactView c) => c.Permissions.GetValueOrDefault(Newsletter);
    private static string YesNo(SpotlerContactView c) => Subscribed(c) ? "yes" : "no";

    private async Task<List<SpotlerContactView>> SpotlerContactsAsync(CancellationToken ct) =>
        await _sim.GetFromJsonAsync<List<SpotlerContactView>>(new Uri(_spotlerOrigin, $"{SimulatorControl.Prefix}/contacts"), System.Text.Json.JsonSerializerOptions.Web, ct)
        ?? [];

    private Task<JsonNode> SimAsync(HttpMethod method, Uri url, JsonNode? body, CancellationToken ct) =>
        SendAsync(_sim, new HttpRequestMessage(method, url) { Content = body is null ? null : JsonContent.Create(body) }, ct);

    private Task<JsonNode> OperatorAsync(HttpMethod method, string path, CancellationToken ct)
    {
        var request = new HttpRequestMessage(method, path);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", endpoints.OperatorKey);
        return SendAsync(Relay, request, ct);
    }

    private Task<JsonNode> AdminAsync(HttpMethod method, string path, string session, JsonNode? body, CancellationToken ct)
    {
        var request = new HttpRequestMessage(method, path) { Content = body is null ? null : JsonContent.Create(body) };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", session);
        return SendAsync(Relay, request, ct);
    }

    private async Task<JsonNode> SendAsync(HttpClient client, HttpRequestMessage request, CancellationToken ct)
    {
        using (request)
        using (var response = await client.SendAsync(request, ct))
        {
            var text = await response.Content.ReadAsStringAsync(ct);
            if (!response.IsSuccessStatusCode)
                throw Failed($"{request.Method} {request.RequestUri} answered {(int)response.StatusCode}: {text}");
            return JsonNode.Parse(text.Length == 0 ? "null" : text) ?? new JsonObject();
        }
    }

    private async Task<T> WaitForAsync<T>(string what, Func<Task<T?>> probe, CancellationToken ct) where T : class
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(StepTimeout);
        while (true)
        {
            if (await probe() is { } found) return found;
            try { await Task.Delay(TimeSpan.FromMilliseconds(200), timeout.Token); }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                throw Failed($"waited {StepTimeout.TotalSeconds:0} s for {what}");
            }
        }
    }

    private void Step(string title)
    {
        output.WriteLine();
        output.WriteLine($"{++_step}. {title}  [{Elapsed.TotalSeconds:0.0} s]");
    }

    private void Line(string text) => output.WriteLine("   " + text);

    private Exception Failed(string why) => new InvalidOperationException($"Demo step {_step} failed: {why}");
}

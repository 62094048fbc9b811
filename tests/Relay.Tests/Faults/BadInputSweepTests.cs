using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Routing.Patterns;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Relay.Admin;
using Relay.Pipeline;
using Relay.Platforms.Shopware;
using Relay.Shops;
using Relay.Storage;
using Relay.Tests.Infrastructure;
using Relay.Tests.Platforms.Shopware;
using Simulators.Shopware;
using Xunit.Abstractions;

namespace Relay.Tests.Faults;

/// <summary>
/// Sends hundreds of generated bad requests (malformed, oversized, wrongly typed, wrongly signed, stale,
/// junk route values, queries and headers) to every endpoint the app maps (read from its
/// EndpointDataSource, so a new endpoint is swept without touching this test) and to the known platform
/// and documentation routes. Asserted for each: no 5xx; every 4xx with a body is
/// application/problem+json; and afterwards the store holds exactly what it held before (keys, values,
/// logs, queue depth, dead letters). A fixed seed makes every run send the same requests.
/// </summary>
public sealed class BadInputSweepTests(ITestOutputHelper output)
{
    private const int Seed = 20261122;
    private const int RequestsPerRoute = 48;
    private const string OversizedBody = "oversized body";

    /// <summary>Routes served outside the endpoint data source or mapped by other platforms, swept too.</summary>
    private static readonly string[] KnownRoutes =
    [
        "/shopware/register", "/shopware/register/confirm", "/shopware/lifecycle", "/shopware/webhook", "/shopware/module",
        "/shoper/appstore", "/shoper/webhooks", "/shoper/iframe",
        "/docs", "/docs/index.html", "/openapi/v1.json", "/", "/admin/",
    ];

    private static readonly string[] JunkRouteValues =
    [
        "", " ", "x", "%00", "%2e%2e%2f", "..", "%2F", new string('a', 3000), "ü", "🙂", "shopware:", "shopware:%20x", "{x}",
        "1-1", "0-0", "-", "+", "99999999999999999999-1", "abc*", "%5B", "%5C", "shoper:", "shopware:AbC%2F..%2F", "null", "-1",
    ];

    private static readonly string[] MalformedJson =
    [
        "", "{", "}", "[", "{\"data\":", "{\"data\":{}", "nul", "{'a':1}", "{\"a\":1,}", "\"unterminated", "{\"a\" 1}",
        "{\"data\":{\"event\":\"customer.written\"},\"source\":{\"shopId\":\"x\"},\"timestamp\":}", "\uFEFF{}", "{\"a\":\"\\u12\"}",
        new string('[', 5000) + new string(']', 5000), "{\"a\":" + new string('9', 5000) + "}", "{\"a\":1e999999}",
        "<xml/>", "a=b&c=d", "--boundary\r\n\r\n",
    ];

    [Fact]
    public async Task Bad_requests_to_every_endpoint_never_5xx_always_problem_json_and_change_nothing()
    {
        // A real Kestrel, not the test server: the bytes go through the HTTP parser the relay runs behind.
        var time = new ManualTimeProvider(DateTimeOffset.UtcNow);
        var port = RedisServer.FreePort();
        await using var relay = new RelayApplication(new()
        {
            ["Shopware:AppName"] = ShopwareTestbed.AppName,
            ["Shopware:AppSecret"] = ShopwareTestbed.AppSecret,
            ["Shopware:PublicBaseUrl"] = $"http://localhost:{port}",
            ["Pipeline:WorkersEnabled"] = "false",
            // Shoper configured (no shop installed), so its endpoints run their own checks instead of answering 404.
            ["Shoper:AppId"] = "sweep-app",
            ["Shoper:AppSecret"] = "sweep-app-secret-0123456789",
            ["Shoper:AppstoreSecret"] = "sweep-appstore-secret-0123456789",
            ["Shoper:AppWebhookSecret"] = "sweep-webhook-secret-0123456789",
            ["Shoper:PublicBaseUrl"] = $"http://localhost:{port}",
        }, time);
        relay.UseKestrel(port);
        relay.StartServer();
        using var client = new HttpClient(new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            UseCookies = false,
            // Lets header values with bytes above 0x7F through, as a hostile client would send them.
            RequestHeaderEncodingSelector = (_, _) => Encoding.Latin1,
        })
        {
            BaseAddress = new Uri($"http://localhost:{port}"),
            Timeout = Eventually.HangGuard,
        };
        await using var shop = await ShopwareShopSimulator.StartAsync(client, new ShopwareShopSimulatorOptions
        {
            AppName = ShopwareTestbed.AppName,
            AppSecret = ShopwareTestbed.AppSecret,
            Time = time,
        });
        Assert.True((await shop.InstallAsync()).Succeeded);
        var shopKey = ShopwareShops.KeyOf(shop.ShopId);

        var random = new Random(Seed);
        var store = relay.Get<IRelayStore>();
        var before = await SnapshotAsync(relay, store);

        var routes = EnumerateRoutes(relay).ToList();
        Assert.Contains(routes, r => r.Template == "/shopware/webhook" && r.Method == "POST");
        var adminToken = relay.Get<AdminSessions>().Issue(shopKey);
        var failures = new List<string>();
        var sent = 0;
        var closedEarly = 0;
        var statuses = new SortedDictionary<(string What, int Status), int>();
        foreach (var route in routes)
        {
            for (var i = 0; i < RequestsPerRoute; i++)
            {
                var (request, what) = Generate(route, i, random, shop, adminToken, time);
                using (request)
                {
                    HttpResponseMessage response;
                    try
                    {
                        response = await client.SendAsync(request);
                    }
                    catch (HttpRequestException e) when (what == OversizedBody)
                    {
                        // Kestrel may answer early and close the connection instead of reading a body
                        // nobody wants; the client then sees a broken pipe. Nothing reached the app.
                        closedEarly++;
                        sent++;
                        _ = e;
                        continue;
                    }
                    using var _response = response;
                    sent++;
                    var body = await response.Content.ReadAsByteArrayAsync();
                    var status = (int)response.StatusCode;
                    statuses[(what, status)] = statuses.GetValueOrDefault((what, status)) + 1;
                    var mediaType = response.Content.Headers.ContentType?.MediaType;
                    if (status >= 500 || (status >= 400 && body.Length > 0 && mediaType != "application/problem+json"))
                        failures.Add($"{request.Method} {Shorten(request.RequestUri!.ToString())} [{what}] -> {status} {mediaType}: {Shorten(Encoding.UTF8.GetString(body))}");
                }
            }
        }

        var after = await SnapshotAsync(relay, store);
        output.WriteLine($"{sent} requests to {routes.Count} routes ({routes.Select(r => r.Template).Distinct().Count()} paths); " +
            $"{closedEarly} oversized ones closed by the server before the body was sent; {failures.Count} failures");
        output.WriteLine(string.Join("\n", statuses.Select(s => $"  {s.Key.What,-36} {s.Key.Status}  ×{s.Value}")));
        Assert.True(sent >= 500, $"only {sent} requests were generated");
        Assert.True(failures.Count == 0, string.Join("\n", failures.Take(30)));
        Assert.Equal(before, after);
    }

    private sealed record Route(string Method, string Template, RoutePattern? Pattern);

    /// <summary>Every (method, route) the app maps, plus the known routes with GET and POST.</summary>
    private static IEnumerable<Route> EnumerateRoutes(RelayApplication relay)
    {
        var seen = new HashSet<(string, string)>();
        foreach (var endpoint in relay.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>())
        {
            var template = "/" + (endpoint.RoutePattern.RawText ?? "").TrimStart('/');
            var methods = endpoint.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods ?? ["GET", "POST"];
            foreach (var method in methods)
                if (seen.Add((method, template)))
                    yield return new Route(method, template, endpoint.RoutePattern);
        }
        foreach (var template in KnownRoutes)
            foreach (var method in new[] { "GET", "POST" })
                if (seen.Add((method, template)))
                    yield return new Route(method, template, null);
    }

    private static string Path(Route route, Random random)
    {
        if (route.Pattern is null) return route.Template;
        var path = new StringBuilder();
        foreach (var segment in route.Pattern.PathSegments)
        {
            path.Append('/');
            foreach (var part in segment.Parts)
                path.Append(part switch
                {
                    RoutePatternLiteralPart literal => literal.Content,
                    RoutePatternSeparatorPart separator => separator.Content,
                    _ => Pick(random, JunkRouteValues),
                });
        }
        return path.Length == 0 ? "/" : path.ToString();
    }

    /// <summary>One bad request; the category cycles with <paramref name="i"/> so every route gets every kind.</summary>
    private static (HttpRequestMessage Request, string What) Generate(Route route, int i, Random random, ShopwareShopSimulator shop, string adminToken, TimeProvider time)
    {
        var request = new HttpRequestMessage(new HttpMethod(route.Method), Path(route, random));
        var now = time.GetUtcNow();
        var stale = now.AddYears(-1).ToUnixTimeSeconds();
        string what;
        switch (i % 12)
        {
            case 0:
                what = "malformed JSON";
                request.Content = Json(Pick(random, MalformedJson));
                break;
            case 1:
                what = "random bytes";
                var bytes = new byte[random.Next(1, 4096)];
                random.NextBytes(bytes);
                request.Content = new ByteArrayContent(bytes);
                request.Content.Headers.TryAddWithoutValidation("Content-Type", Pick(random, ["application/json", "application/octet-stream", "application/json; charset=utf-16"]));
                break;
            case 2:
                what = "wrongly typed JSON";
                request.Content = Json(Pick(random, WronglyTyped(shop.ShopId)));
                break;
            case 3 when i % 24 == 3:
                what = "malformed form";
                request.Content = new StringContent(Pick(random,
                [
                    "action=install&shop=1&hash=x", "action=&shop=&hash=", "a=%zz&b=%", string.Join('&', Enumerable.Range(0, 500).Select(n => $"k{n}=v")),
                    "action=install&shop=" + new string('s', 10_000), "&&&==&", "action=billing_install&shop=1&shop=2&hash=00",
                    "action=install&application_code=x&shop=1&shop_url=javascript:alert(1)&timestamp=abc&hash=" + new string('0', 128),
                ]), Encoding.UTF8);
                request.Content.Headers.ContentType = Pick(random, [new MediaTypeHeaderValue("application/x-www-form-urlencoded"), new MediaTypeHeaderValue("multipart/form-data")]);
                break;
            case 3:
                what = "wrong content type";
                request.Content = new StringContent(shop.WebhookBody("customer.written", null), Encoding.UTF8);
                request.Content.Headers.ContentType = null;
                var type = Pick(random, ["text/plain", "application/xml", "multipart/form-data; boundary=x", "application/x-www-form-urlencoded", "", "json", "application/json+junk; q=", "*/*"]);
                if (type.Length > 0) request.Content.Headers.TryAddWithoutValidation("Content-Type", type);
                break;
            case 4:
                what = OversizedBody;
                // Lets the server refuse before the body is on the wire.
                request.Headers.ExpectContinue = true;
                var size = 1024 * 1024 + random.Next(1, 64 * 1024);
                request.Content = i % 24 == 4
                    ? new StreamContent(new UnknownLengthStream(new MemoryStream(Filler(size))))
                    : new ByteArrayContent(Filler(size));
                request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
                break;
            case 5:
                what = "wrong signature";
                request.Content = Json(shop.WebhookBody(Pick(random, ["customer.written", "app.activated", "app.deleted", "newsletter_recipient.written"]), null));
                request.Headers.TryAddWithoutValidation("shopware-shop-signature", Pick(random,
                [
                    "", "zz", new string('0', 64), new string('g', 64), new string('A', 64), Convert.ToHexString(new byte[31]),
                    ShopwareShopSimulator.Sign("not-the-secret", "x"), "sha256=" + new string('0', 64), new string('f', 10_000),
                ]));
                break;
            case 6:
                what = "unknown or hostile shop id";
                var shopId = Pick(random, ["unknownshop123", "", "../../etc", new string('a', 65), "ümlaut", "a b", "shop*", "AbC\u0000"]);
                var body = WithShopId(shop.WebhookBody("customer.written", null), shop.ShopId, shopId);
                request.Content = Json(body);
                request.Headers.Add("shopware-shop-signature", ShopwareShopSimulator.Sign("guessed-secret", body));
                break;
            case 7:
                what = "correctly signed, stale timestamp";
                var staleBody = shop.WebhookBody(Pick(random, ["customer.written", "app.deactivated", "app.deleted", "app.activated"]), null,
                    timestamp: Pick(random, [stale, 0L, -1L, long.MaxValue, long.MinValue, now.AddYears(1).ToUnixTimeSeconds()]));
                request.Content = Json(staleBody);
                request.Headers.Add("shopware-shop-signature", ShopwareShopSimulator.Sign(shop.ShopSecret!, staleBody));
                break;
            case 8:
                what = "junk query";
                var query = Pick(random,
                [
                    "shop-id=%zz&shop-url=%&timestamp=x", "shop-id=a&shop-id=b&shop-url=http://x&timestamp=1", "max=abc", "max=-5", "max=99999999999",
                    "shopware-shop-signature=" + new string('0', 64), $"shop-id={shop.ShopId}&shop-url={shop.ShopUrl}&timestamp={stale}",
                    "q=" + new string('x', 8000), "%", "&&&=&=", "shop-id=" + shop.ShopId + "&timestamp=1&shopware-shop-signature=zz",
                    "place=app&shop=1&timestamp=x&hash=zz", "place=&shop=&timestamp=&hash=", $"place=app&shop=99999999999999999999&timestamp={stale}&hash=" + new string('0', 128),
                    "shop=1&shop=2&place=a&place=b&timestamp=1&hash=1&hash=2", "translations=%ZZ&shop=%00",
                ]);
                request.RequestUri = new Uri(request.RequestUri!.OriginalString + "?" + query, UriKind.Relative);
                if (route.Method != "GET") request.Content = Json("{}");
                break;
            case 9:
                what = "junk authorization";
                request.Headers.TryAddWithoutValidation("Authorization", Pick(random,
                [
                    "Bearer", "Bearer ", "Bearer a.b.c", "Bearer " + new string('x', 10_000), "Basic Og==", "Bearer eyJhbGciOiJub25lIn0.eyJzaG9wIjoieCJ9.",
                    "Bearer operator-key-for-tests-012345678", "bearer operator-key-for-tests-0123456789", "Bearer \u00ff\u00fe",
                ]));
                request.Headers.TryAddWithoutValidation("shopware-app-signature", Pick(random, ["", "x", new string('0', 64)]));
                request.Headers.TryAddWithoutValidation("X-Shop-License", Pick(random, ["", "x", new string('L', 5000), "../../x", "\u00ff"]));
                request.Headers.TryAddWithoutValidation("X-Webhook-Id", Pick(random, ["", "1", "-1", "abc", new string('9', 400)]));
                request.Headers.TryAddWithoutValidation("X-Webhook-Sha1", Pick(random, ["", "zz", new string('0', 40), new string('0', 41)]));
                request.Headers.TryAddWithoutValidation("X-Webhook-Name", Pick(random, ["", "client.edit", "x\u00ff", new string('n', 3000)]));
                request.Content = Json(Pick(random, MalformedJson));
                break;
            case 10:
                // Authorised, so the endpoint's own checks are reached; the body can never be valid.
                what = "authorised, bad body";
                request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + (route.Template.StartsWith("/operator", StringComparison.Ordinal)
                    ? "operator-key-for-tests-0123456789"
                    : adminToken));
                if (route.Method != "GET" && route.Method != "DELETE")
                    request.Content = Json(Pick(random, [.. MalformedJson, "5", "\"x\"", "true", "null", "[1,2]"]));
                else if (route.Method == "DELETE")
                    request.Headers.Authorization = null;
                break;
            default:
                what = "wrong method";
                request.Method = new HttpMethod(Pick(random, ["PUT", "DELETE", "PATCH", "OPTIONS", "TRACE", "FOO"]));
                request.Content = Json("{}");
                break;
        }
        return (request, what);
    }

    private static string[] WronglyTyped(string shopId) =>
    [
        "5", "\"text\"", "true", "null", "[]", "[{}]", "{}",
        "{\"data\":[],\"source\":{},\"timestamp\":1}",
        "{\"data\":{\"event\":5},\"source\":{\"shopId\":\"" + shopId + "\"},\"timestamp\":1}",
        "{\"data\":{\"event\":\"customer.written\"},\"source\":{\"shopId\":123},\"timestamp\":1}",
        "{\"data\":{\"event\":\"customer.written\"},\"source\":{\"shopId\":\"" + shopId + "\",\"eventId\":{}},\"timestamp\":\"soon\"}",
        "{\"data\":{\"event\":\"customer.written\"},\"source\":{\"shopId\":\"" + shopId + "\"},\"timestamp\":1.5}",
        "{\"data\":{\"event\":\"customer.written\"},\"source\":{\"shopId\":\"" + shopId + "\"},\"timestamp\":1e30}",
        "{\"data\":{\"event\":\"customer.written\"},\"source\":\"" + shopId + "\",\"timestamp\":1}",
        "{\"shopId\":5,\"apiKey\":[],\"secretKey\":null}",
        "{\"shopId\":\"" + shopId + "\",\"apiKey\":\"a\",\"secretKey\":\"b\"}",
        "{\"shopId\":\"" + new string('x', 100) + "\",\"apiKey\":\"a\",\"secretKey\":\"b\"}",
    ];

    private static string WithShopId(string body, string from, string to) =>
        body.Replace($"\"shopId\":\"{from}\"", $"\"shopId\":{System.Text.Json.JsonSerializer.Serialize(to)}");

    private static ByteArrayContent Json(string body)
    {
        var content = new ByteArrayContent(Encoding.UTF8.GetBytes(body));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        return content;
    }

    private static byte[] Filler(int size)
    {
        var bytes = new byte[size];
        bytes.AsSpan().Fill((byte)'x');
        "{\"padding\":\""u8.CopyTo(bytes);
        return bytes;
    }

    private static T Pick<T>(Random random, IReadOnlyList<T> items) => items[random.Next(items.Count)];

    private static string Shorten(string text) => text.Length <= 160 ? text : text[..160] + "…";

    /// <summary>Everything the store holds that a request could have changed, as comparable lines.</summary>
    private static async Task<List<string>> SnapshotAsync(RelayApplication relay, IRelayStore store)
    {
        var lines = new List<string>();
        // A shop's call budget (its pacing bucket) is spent by the reads that are valid whatever junk came with
        // them (the Till tab's GET of the shop's order statuses): bookkeeping of calls, not data the requests changed.
        foreach (var key in (await store.ListKeysAsync(StoreKeys.Prefix)).Where(k => !k.EndsWith(":api-pace", StringComparison.Ordinal)))
        {
            var value = await store.GetAsync(key);
            lines.Add(value is not null
                ? $"{key} = {value}"
                : $"{key} = log[{string.Join(" | ", await store.ReadLogAsync(key, 10_000))}]");
        }
        var partitions = relay.Get<IOptions<PipelineOptions>>().Value.Partitions;
        for (var p = 0; p < partitions; p++) lines.Add($"partition {p}: {await store.GetDepthAsync(p)}");
        foreach (var shop in await relay.Get<ShopDirectory>().ListAsync())
            lines.Add($"{shop.Key}: {shop.Status}, {(await store.ListDeadLettersAsync(shop.Key, 10_000)).Count} dead letters");
        return lines;
    }

    /// <summary>A body sent without Content-Length (chunked), as a client streaming it would.</summary>
    private sealed class UnknownLengthStream(Stream inner) : Stream
    {
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, count);
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        protected override void Dispose(bool disposing)
        {
            if (disposing) inner.Dispose();
            base.Dispose(disposing);
        }
    }
}

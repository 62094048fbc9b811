using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Relay.Admin;
using Relay.Pipeline;
using Relay.Secrets;
using Relay.Shops;
using Relay.Storage;

namespace Relay.Platforms.Shoprenter;

/// <summary>
/// What Shoprenter calls: the RedirectUri (install), the EntryPoint (the app page in the shop admin) and
/// the UninstallUri, all GET with an hmac over the query; and the webhook deliveries, which carry no
/// signature and are authenticated by the secret in their path. Nothing is stored before these hold.
/// </summary>
public static class ShoprenterEndpoints
{
    public const string GroupPath = "/shoprenter";
    public const string InstallPath = GroupPath + "/install";
    public const string EntryPath = GroupPath + "/entry";
    public const string UninstallPath = GroupPath + "/uninstall";
    public const string WebhookPath = GroupPath + "/webhooks";
    public const string WebhookKind = "shoprenter.webhook";

    internal static RouteGroupBuilder Map(IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup(GroupPath).WithTags("Shoprenter").AddEndpointFilter(RequireConfigured);

        group.MapGet("/install", InstallAsync)
            .WithName("ShoprenterInstall")
            .WithSummary("RedirectUri: the app is installed in a shop (hmac-signed query); redirects to the app in the shop admin.")
            .Produces(StatusCodes.Status302Found)
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status502BadGateway);

        group.MapGet("/entry", EnterAsync)
            .WithName("ShoprenterEntry")
            .WithSummary("EntryPoint: the app page in the shop admin (hmac-signed query); redirects to the admin page with a session.")
            .Produces(StatusCodes.Status302Found)
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status404NotFound);

        group.MapGet("/uninstall", UninstallAsync)
            .WithName("ShoprenterUninstall")
            .WithSummary("UninstallUri: the app was removed from a shop (hmac-signed query); the shop's data is deleted.")
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status401Unauthorized);

        group.MapPost("/webhooks/{shopName}/{secret}/{eventName}", ReceiveWebhookAsync)
            .WithName("ShoprenterWebhook")
            .WithSummary("Webhook delivery (newsletter_*), JSON or XML as registered; authenticated by the per-shop secret in the path.")
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType);

        ShoprenterConnection.Map(group);
        return group;
    }

    private static async ValueTask<object?> RequireConfigured(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var options = context.HttpContext.RequestServices.GetRequiredService<IOptions<ShoprenterOptions>>().Value;
        return options.Enabled
            ? await next(context)
            : TypedResults.Problem(statusCode: 404, title: "Shoprenter is not configured",
                detail: "Set Shoprenter:AppId, Shoprenter:ClientId, Shoprenter:ClientSecret and Shoprenter:PublicBaseUrl to enable the Shoprenter app.");
    }

    // ---- Signed GETs: install, entry, uninstall ------------------------------------------------

    /// <summary>The verified query, or the problem that refuses it.</summary>
    private static (IReadOnlyDictionary<string, string>? Query, string? ShopName, ProblemHttpResult? Problem) Verify(
        HttpRequest request, ShoprenterOptions o, TimeProvider time, RelayMetrics metrics)
    {
        var query = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, values) in request.Query)
        {
            // A repeated parameter has no single value to sign; Shoprenter never sends one.
            if (values.Count != 1) return (null, null, Problem(400, "Malformed app link", $"Parameter '{key}' must appear exactly once."));
            query[key] = values[0] ?? "";
        }
        var shopName = query.GetValueOrDefault("shopname");
        if (!ShoprenterShops.IsShopName(shopName) || !query.ContainsKey("hmac") || !query.ContainsKey("timestamp"))
            return (null, null, Problem(400, "Malformed app link", "The query must carry shopname, code, timestamp and hmac as Shoprenter sends them."));
        if (!ShoprenterSignature.IsValid(query, o.ClientSecret!))
        {
            Reject(metrics, "signature");
            return (null, null, Problem(401, "Invalid signature", "The hmac does not match the query (HMAC-SHA256 with the app's ClientSecret)."));
        }
        if (ShoprenterSignature.ParseTimestamp(query["timestamp"]) is not { } signedAt)
            return (null, null, Problem(400, "Malformed app link", "timestamp is not Unix seconds."));
        if ((time.GetUtcNow() - signedAt).Duration() > o.TimestampTolerance)
        {
            Reject(metrics, "stale");
            return (null, null, Problem(401, "Expired app link", "The link is too old (or the relay's clock is off); open the app again from the Shoprenter admin."));
        }
        return (query, shopName, null);
    }

    internal static async Task<Results<RedirectHttpResult, ProblemHttpResult>> InstallAsync(
        HttpRequest request, ShoprenterInstallation installation, IOptions<ShoprenterOptions> options, TimeProvider time, RelayMetrics metrics, CancellationToken ct)
    {
        var o = options.Value;
        var (query, shopName, problem) = Verify(request, o, time, metrics);
        if (problem is not null) return problem;
        return await installation.InstallAsync(shopName!, ct) switch
        {
            ShoprenterInstallOutcome.Installed => TypedResults.Redirect(AppUrl(query!.GetValueOrDefault("app_url"), shopName!, o)),
            ShoprenterInstallOutcome.Refused refused => Problem(403, "Access refused", refused.Detail),
            ShoprenterInstallOutcome.Unavailable unavailable => Problem(502, "Shoprenter did not answer as expected", unavailable.Detail),
            _ => Problem(400, "Malformed app link", "Unhandled install."),
        };
    }

    /// <summary>
    /// Where the merchant goes after the install: app_url as Shoprenter sent it when it is an app page of
    /// an admin (/admin/app/…), else the app's page in the shop's own admin. Never anywhere else: the
    /// relay would otherwise redirect wherever a crafted link asked.
    /// </summary>
    internal static string AppUrl(string? appUrl, string shopName, ShoprenterOptions o) =>
        Uri.TryCreate(appUrl, UriKind.Absolute, out var uri) && uri.Scheme is "https" or "http" && uri.AbsolutePath.StartsWith("/admin/app/", StringComparison.Ordinal)
            ? uri.AbsoluteUri
            : $"{o.AdminUrlOf(shopName)}/admin/app/{o.AppId}";

    internal static async Task<Results<RedirectHttpResult, ProblemHttpResult>> EnterAsync(
        HttpRequest request, HttpResponse response, ShopDirectory directory, AdminSessions sessions, IRelayStore store,
        IOptions<ShoprenterOptions> options, TimeProvider time, RelayMetrics metrics)
    {
        var o = options.Value;
        var (query, shopName, problem) = Verify(request, o, time, metrics);
        if (problem is not null) return problem;
        var shopKey = ShoprenterShops.KeyOf(shopName!);
        if (await directory.GetAsync(shopKey) is not { Status: not ShopStatus.Deleted })
            return Problem(404, "App not installed", "The relay has no installation for this shop; install the app from the Shoprenter app market.");
        // A signed link opens one session: the admin signs a fresh one each time the app opens.
        if (!await store.SetIfAbsentAsync(StoreKeys.ShopItem(shopKey, "shoprenter:entry:" + query!["hmac"]), "1", 2 * o.TimestampTolerance))
            return Problem(401, "App link already used", "Open the app again from the Shoprenter admin.");
        response.Headers.CacheControl = "no-store";
        response.Headers["Referrer-Policy"] = "no-referrer";
        // Shoprenter's admin speaks Hungarian; the page falls back to the browser's languages when this is not its.
        var token = sessions.Issue(shopKey, "hu");
        return TypedResults.Redirect(AdminPage.UrlFor(token, shopKey, ShoprenterShops.Platform));
    }

    internal static async Task<Results<Ok<ShoprenterAck>, ProblemHttpResult>> UninstallAsync(
        HttpRequest request, ShoprenterInstallation installation, IOptions<ShoprenterOptions> options, TimeProvider time, RelayMetrics metrics, CancellationToken ct)
    {
        var (_, shopName, problem) = Verify(request, options.Value, time, metrics);
        if (problem is not null) return problem;
        var known = await installation.UninstallAsync(shopName!, ct);
        return TypedResults.Ok(new ShoprenterAck("uninstall", known ? "deleted" : "unknown"));
    }

    // ---- Webhook deliveries ----------------------------------------------------------------------

    internal static async Task<Results<Ok<ShoprenterAck>, ProblemHttpResult>> ReceiveWebhookAsync(
        string shopName, string secret, string eventName, HttpRequest request, ShopDirectory directory, ShoprenterShops shops,
        SecretProtector protector, Inbox inbox, IOptions<ShoprenterOptions> options, RelayMetrics metrics, CancellationToken ct)
    {
        var refused = Problem(401, "Unknown webhook URL", "No installed shop has this webhook URL; the secret may have been rotated.");
        if (!ShoprenterShops.IsShopName(shopName) || secret.Length > 128)
        {
            Reject(metrics, "unknown-url");
            return refused;
        }
        var shopKey = ShoprenterShops.KeyOf(shopName);
        var record = await directory.GetAsync(shopKey) is { Status: not ShopStatus.Deleted } ? await shops.GetAsync(shopKey) : null;
        if (record?.ProtectedWebhookSecret is not { } stored || !SameSecret(protector.Unprotect(stored), secret))
        {
            Reject(metrics, "unknown-url");
            return refused;
        }
        if (!ShoprenterWebhooks.IsEvent(eventName))
            return Problem(400, "Unknown event", $"The relay registers only {string.Join(", ", ShoprenterWebhooks.Events)}.");

        var max = options.Value.MaxWebhookBodyBytes;
        var body = await WebhookBodies.ReadCappedAsync(request, max, ct);
        if (body is null)
        {
            Reject(metrics, "size");
            return Problem(413, "Request body too large", $"Webhook bodies are limited to {max} bytes.");
        }
        var xml = request.ContentType?.Contains("xml", StringComparison.OrdinalIgnoreCase) == true || ShoprenterWebhookBody.LooksLikeXml(body);
        var asked = record.WebhookFormat == "xml";
        if (xml != asked)
            return Problem(415, xml ? "XML where JSON was asked" : "JSON where XML was asked",
                $"The relay registered this webhook with type {record.WebhookFormat}; Shoprenter sends that type.");
        if (ShoprenterWebhookBody.Parse(body, xml) is not { } parsed)
            return Problem(400, xml ? "Malformed XML" : "Malformed JSON", "The webhook body could not be read.");

        var json = parsed.ToJsonString();
        // Shoprenter sends no delivery id: the same event with the same body is the same delivery.
        var eventId = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(eventName + "\n" + json)));
        var outcome = await inbox.AcceptAsync(shopKey, eventId, $"{WebhookKind}:{eventName}", json);
        return TypedResults.Ok(new ShoprenterAck(eventName, outcome == AcceptOutcome.Accepted ? "accepted" : "duplicate"));
    }

    private static bool SameSecret(string expected, string received) =>
        CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(expected)), SHA256.HashData(Encoding.UTF8.GetBytes(received)));

    internal static ProblemHttpResult Problem(int status, string title, string detail) =>
        TypedResults.Problem(statusCode: status, title: title, detail: detail);

    private static void Reject(RelayMetrics metrics, string reason) =>
        metrics.EventsRejected.Add(1, new KeyValuePair<string, object?>("platform", ShoprenterShops.Platform), new KeyValuePair<string, object?>("reason", reason));
}

public sealed record ShoprenterAck(string Event, string Status);

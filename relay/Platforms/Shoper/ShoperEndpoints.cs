using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Relay.Admin;
using Relay.Pipeline;
using Relay.Secrets;
using Relay.Shops;

namespace Relay.Platforms.Shoper;

/// <summary>
/// What Shoper calls: the Appstore's lifecycle notifications, the shop's webhook deliveries and the
/// admin iframe. All three are signed; nothing is stored before the signature holds.
/// </summary>
public static class ShoperEndpoints
{
    public const string GroupPath = "/shoper";
    public const string AppstorePath = GroupPath + "/appstore";
    public const string WebhookPath = GroupPath + "/webhooks";
    public const string IframePath = GroupPath + "/iframe";
    public const string WebhookKind = "shoper.webhook";

    internal static RouteGroupBuilder Map(IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup(GroupPath).WithTags("Shoper").AddEndpointFilter(RequireConfigured);

        group.MapPost("/appstore", ReceiveNotificationAsync)
            .WithName("ShoperAppstoreNotification")
            .WithSummary("Appstore lifecycle notification (install, upgrade, uninstall, billing), form-encoded and HMAC-signed.")
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status502BadGateway)
            .DisableAntiforgery();

        group.MapPost("/webhooks", ReceiveWebhookAsync)
            .WithName("ShoperWebhook")
            .WithSummary("Shop webhook delivery (subscriber.* and client.*), verified by X-Webhook-Sha1.")
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge);

        group.MapGet("/iframe", EnterIframeAsync)
            .WithName("ShoperIframeEntry")
            .WithSummary("Entry of the app page in the shop admin; verifies the signed query and redirects to the admin page with a session.")
            .Produces(StatusCodes.Status302Found)
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status404NotFound);

        return group;
    }

    private static async ValueTask<object?> RequireConfigured(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var options = context.HttpContext.RequestServices.GetRequiredService<IOptions<ShoperOptions>>().Value;
        return options.Enabled
            ? await next(context)
            : TypedResults.Problem(statusCode: 404, title: "Shoper is not configured",
                detail: "Set Shoper:AppId, Shoper:AppSecret, Shoper:AppstoreSecret and Shoper:PublicBaseUrl to enable the Shoper app.");
    }

    // ---- Appstore notifications ---------------------------------------------------------

    // A notification is a dozen short fields; anything far bigger is not from the Appstore.
    private static readonly Microsoft.AspNetCore.Http.Features.FormOptions NotificationFormLimits = new()
    {
        ValueCountLimit = 64,
        KeyLengthLimit = 128,
        ValueLengthLimit = 4096,
        BufferBody = false,
    };

    internal static async Task<Results<Ok<ShoperAck>, ProblemHttpResult>> ReceiveNotificationAsync(
        HttpRequest request, ShoperAppstoreNotifications notifications, IOptions<ShoperOptions> options,
        RelayMetrics metrics, CancellationToken ct)
    {
        var o = options.Value;
        if (!request.HasFormContentType)
            return Problem(400, "Malformed notification", "Expected a form-encoded POST (application/x-www-form-urlencoded).");
        IFormCollection form;
        try
        {
            form = await request.ReadFormAsync(NotificationFormLimits, ct);
        }
        catch (Exception e) when (e is InvalidDataException or BadHttpRequestException or IOException)
        {
            return Problem(400, "Malformed notification", "The form body could not be read.");
        }

        var fields = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, values) in form)
        {
            // A repeated field has no single value to sign; the reference implementations never send one.
            if (values.Count != 1)
                return Problem(400, "Malformed notification", $"Field '{key}' must appear exactly once.");
            fields[key] = values[0] ?? "";
        }

        if (!ShoperAppstoreSignature.IsValid(fields, fields.GetValueOrDefault("hash"), o.AppstoreSecret!))
        {
            Reject(metrics, "signature");
            return Problem(401, "Invalid signature", "The notification hash does not match (HMAC-SHA512 with the AppStore secret).");
        }
        if (fields.TryGetValue("application_code", out var appCode) && appCode != o.AppId)
        {
            Reject(metrics, "application");
            return Problem(403, "Other application", "The notification is for a different application_code than Shoper:AppId.");
        }

        return await notifications.HandleAsync(fields, ct) switch
        {
            ShoperNotificationOutcome.Done done => TypedResults.Ok(new ShoperAck(done.Action, "ok")),
            ShoperNotificationOutcome.Invalid invalid => Problem(400, "Malformed notification", invalid.Detail),
            ShoperNotificationOutcome.ShopFailed failed => Problem(502, "Shop did not answer as expected", failed.Detail),
            _ => Problem(400, "Malformed notification", "Unhandled notification."),
        };
    }

    // ---- Webhook deliveries -------------------------------------------------------------

    internal static async Task<Results<Ok<ShoperAck>, ProblemHttpResult>> ReceiveWebhookAsync(
        HttpRequest request, ShopDirectory directory, ShoperShops shops, ShoperWebhookSignature signature,
        SecretProtector protector, Inbox inbox, IOptions<ShoperOptions> options, RelayMetrics metrics,
        ILoggerFactory logs, CancellationToken ct)
    {
        var license = request.Headers["X-Shop-License"].ToString();
        var webhookId = request.Headers["X-Webhook-Id"].ToString();
        var sha1 = request.Headers["X-Webhook-Sha1"].ToString();
        if (!ShoperAppstoreNotifications.IsShopId(license) || webhookId.Length == 0 || sha1.Length == 0)
        {
            Reject(metrics, "headers");
            return Problem(401, "Unsigned delivery", "X-Shop-License, X-Webhook-Id and X-Webhook-Sha1 are required.");
        }

        var body = await WebhookBodies.ReadCappedAsync(request, options.Value.MaxWebhookBodyBytes, ct);
        if (body is null)
        {
            Reject(metrics, "size");
            return Problem(413, "Request body too large", $"Webhook bodies are limited to {options.Value.MaxWebhookBodyBytes} bytes.");
        }

        var shopKey = ShoperShops.KeyOf(license);
        var info = await directory.GetAsync(shopKey);
        var record = info is { Status: not ShopStatus.Deleted } ? await shops.GetAsync(shopKey) : null;
        if (record is null)
        {
            Reject(metrics, "unknown-shop");
            return Problem(401, "Unknown shop", "No installed shop has this X-Shop-License.");
        }

        var registeredSecret = record.ProtectedWebhookSecret is { } s ? protector.Unprotect(s) : null;
        var matched = signature.Verify(webhookId, license, registeredSecret, body, sha1);
        if (matched == ShoperWebhookKey.None)
        {
            Reject(metrics, "signature");
            return Problem(401, "Invalid signature", "X-Webhook-Sha1 does not match the body with any key this shop may use.");
        }
        if (matched != ShoperWebhookKey.RegisteredSecret)
            logs.CreateLogger("Relay.Platforms.Shoper.Webhooks").LogInformation(
                "Shoper webhook {WebhookId} for {Shop} verified with the {Key}", webhookId, shopKey, matched);

        if (!IsJson(body))
            return Problem(400, "Malformed JSON", "The webhook body is not JSON; the relay registers its webhooks with format 0 (JSON).");

        // Shoper sends no delivery id and X-Webhook-Id names the webhook, not the delivery; the same
        // event of the same webhook with the same body is the same delivery. The event name counts:
        // one webhook carries create, edit and delete, and a delete may repeat the create's body.
        var kind = KindOf(request.Headers["X-Webhook-Name"].ToString());
        var eventId = DeliveryId(webhookId + "\n" + kind, body);
        var outcome = await inbox.AcceptAsync(shopKey, eventId, kind, Encoding.UTF8.GetString(body));
        return TypedResults.Ok(new ShoperAck(request.Headers["X-Webhook-Name"].ToString(), outcome == AcceptOutcome.Accepted ? "accepted" : "duplicate"));
    }

    /// <summary>
    /// "shoper.webhook:client.edit". The body alone does not say whether the entity was created,
    /// edited or deleted, so the event name travels in the kind; handlers match the prefix.
    /// </summary>
    public static string KindOf(string eventName) =>
        eventName.Length is > 0 and <= 64 && eventName.All(c => char.IsAsciiLetterLower(c) || c is '.' or '_')
            ? $"{WebhookKind}:{eventName}"
            : WebhookKind;

    public static string DeliveryId(string webhookId, ReadOnlySpan<byte> body)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        sha.AppendData(Encoding.UTF8.GetBytes(webhookId + "\n"));
        sha.AppendData(body);
        return Convert.ToHexStringLower(sha.GetHashAndReset());
    }

    private static bool IsJson(byte[] body)
    {
        try
        {
            var reader = new Utf8JsonReader(body);
            while (reader.Read()) { }
            return body.Length > 0;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    // ---- Iframe entry ---------------------------------------------------------------------

    internal static async Task<Results<RedirectHttpResult, ProblemHttpResult>> EnterIframeAsync(
        HttpRequest request, ShopDirectory directory, AdminSessions sessions, IOptions<ShoperOptions> options,
        TimeProvider time, RelayMetrics metrics)
    {
        var o = options.Value;
        var query = request.Query;
        string place = query["place"].ToString(), shop = query["shop"].ToString(), timestamp = query["timestamp"].ToString(), hash = query["hash"].ToString();
        if (!ShoperAppstoreNotifications.IsShopId(shop) || timestamp.Length == 0)
            return Problem(400, "Malformed app link", "The query must carry place, shop, timestamp and hash as the Shoper admin sends them.");

        if (!ShoperIframeSignature.IsValid(place, shop, timestamp, hash, o.AppstoreSecret!))
        {
            Reject(metrics, "signature");
            return Problem(401, "Invalid signature", "The app link hash does not match (HMAC-SHA512 with the AppStore secret).");
        }
        if (ParseTimestamp(timestamp) is not { } signedAt)
            return Problem(400, "Malformed app link", "timestamp is neither Unix seconds nor 'yyyy-MM-dd HH:mm:ss'.");
        if ((time.GetUtcNow() - signedAt).Duration() > o.IframeTimestampTolerance)
        {
            Reject(metrics, "stale");
            return Problem(401, "Expired app link", "The app link is too old; reopen the app from the shop admin.");
        }

        var shopKey = ShoperShops.KeyOf(shop);
        if (await directory.GetAsync(shopKey) is not { Status: not ShopStatus.Deleted })
            return Problem(404, "App not installed", "The relay has no installation for this shop; install the app from the Shoper Appstore.");

        var token = sessions.Issue(shopKey, LanguageOf(query["translations"].ToString()) ?? LanguageOf(query["locale"].ToString()));
        // The session travels in the fragment: it never reaches a server log or a Referer header.
        return TypedResults.Redirect(AdminPage.UrlFor(token, shopKey, "shoper"));
    }

    internal static DateTimeOffset? ParseTimestamp(string timestamp) =>
        long.TryParse(timestamp, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds) && seconds < 100_000_000_000
            ? DateTimeOffset.FromUnixTimeSeconds(seconds)
            : ShoperAppstoreNotifications.ParseShoperTime(timestamp);

    private static string? LanguageOf(string value) =>
        value.Length is >= 2 and <= 10 && value.All(c => char.IsAsciiLetter(c) || c is '_' or '-') ? value : null;

    // ---- helpers -------------------------------------------------------------------------

    private static ProblemHttpResult Problem(int status, string title, string detail) =>
        TypedResults.Problem(statusCode: status, title: title, detail: detail);

    private static void Reject(RelayMetrics metrics, string reason) =>
        metrics.EventsRejected.Add(1, new KeyValuePair<string, object?>("platform", "shoper"), new KeyValuePair<string, object?>("reason", reason));
}

public sealed record ShoperAck(string Event, string Status);

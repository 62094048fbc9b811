using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.WebUtilities;
using Relay.Secrets;
using Relay.Settings;
using Relay.Sync;

namespace Relay.Targets.MplusKassa;

/// <summary>
/// Intake of the till's webhooks (developers.mpluskassa.nl, *Webhooks*): the merchant subscribes in the till
/// (Beheer → Instellingen → Webhooks) with an endpoint URL, a subscription id and a secret key; the till POSTs
/// JSON to that URL with the event's name appended and the header <c>X-Mplus-Subscription-Id</c>, and signs
/// with an HMAC whose header and input the sources we have do not give. So the endpoint URL itself is the
/// credential: it carries a token only the relay can compute (HMAC of the shop key with a key derived from
/// the relay's secret key), compared in constant time. A sale the till completes or credits changes stock,
/// so those events ask for an immediate till sync; the schedule stays as the safety net for changes no event
/// announces (articles edited in the back office) and for events that never arrive.
/// </summary>
public static class MplusKassaWebhooks
{
    public const string SubscriptionHeader = "X-Mplus-Subscription-Id";
    private const string Prefix = "/pos/mpluskassa/webhooks";

    /// <summary>The events a subscription can select (the till's session events, as its documentation names them).</summary>
    public static readonly IReadOnlySet<string> Events = new HashSet<string>(StringComparer.Ordinal)
    {
        "startSession", "scanCode", "addSessionLine", "updateSessionLine", "removeSessionLine", "selectRelation", "pauseSession",
        "resumeSession", "startPayment", "cancelPayment", "mergeSession", "cancelSession", "completeSession", "creditSession", "customAction",
    };

    /// <summary>After these the till's stock (and what the shop must show) has changed.</summary>
    public static readonly IReadOnlySet<string> ChangeEvents = new HashSet<string>(StringComparer.Ordinal) { "completeSession", "creditSession" };

    /// <summary>The endpoint URL's path the merchant enters in the till (the till appends the event's name).</summary>
    public static string PathFor(string shopKey, SecretProtector secrets) => $"{Prefix}/{Uri.EscapeDataString(shopKey)}/{Token(shopKey, secrets)}";

    private static string Token(string shopKey, SecretProtector secrets) =>
        WebEncoders.Base64UrlEncode(HMACSHA256.HashData(secrets.DeriveKey("pos-webhook-v1"), Encoding.UTF8.GetBytes(shopKey)));

    public static IEndpointRouteBuilder MapMplusKassaWebhooks(this IEndpointRouteBuilder app)
    {
        app.MapPost(Prefix + "/{shop}/{token}/{eventName}", ReceiveAsync).WithName("MplusKassaWebhook").WithTags("Tills")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound);
        return app;
    }

    internal static async Task<Results<Ok<object>, ProblemHttpResult>> ReceiveAsync(
        string shop, string token, string eventName, HttpRequest request, SecretProtector secrets, PosSettingsStore settings, PosSync sync, ILoggerFactory logs)
    {
        // One answer for a wrong token and an unknown shop: the URL reveals nothing about which shops exist.
        if (!CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(token), Encoding.ASCII.GetBytes(Token(shop, secrets))))
            return TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Unknown webhook address",
                detail: "Copy the webhook address from the relay's till settings into the till's webhook subscription.");
        if (!Events.Contains(eventName))
            return TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Unknown event",
                detail: $"'{Truncate(eventName)}' is not a till event this address takes ({string.Join(", ", Events.Order(StringComparer.Ordinal))}).");
        if (string.IsNullOrWhiteSpace(request.Headers[SubscriptionHeader]))
            return TypedResults.Problem(statusCode: StatusCodes.Status400BadRequest, title: "Not a till webhook",
                detail: $"The till sends its subscription id in the {SubscriptionHeader} header; this request has none.");
        var saved = await settings.GetWithoutCredentialsAsync(shop);
        if (saved.Till?.Kind != MplusKassaSettings.Kind)
            return TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "No till connected",
                detail: "This shop has no MplusKASSA till connected in the relay; remove the webhook subscription or connect the till.");
        if (ChangeEvents.Contains(eventName) && saved.Enabled)
        {
            await sync.RequestRunAsync(shop);
            logs.CreateLogger("Relay.Targets.MplusKassa").LogInformation("Till webhook {Event} for {Shop}: sync requested", eventName, shop);
        }
        // The till expects a JSON answer; an empty one changes nothing in its session.
        return TypedResults.Ok<object>(new { });
    }

    private static string Truncate(string text) => text.Length <= 60 ? text : text[..60] + "…";
}

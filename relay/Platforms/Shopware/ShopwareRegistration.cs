using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Relay.Shops;

namespace Relay.Platforms.Shopware;

/// <summary>Shopware's answer to our registration GET is read literally: these three member names.</summary>
public sealed record ShopwareRegistrationAnswer(
    [property: JsonPropertyName("proof")] string Proof,
    [property: JsonPropertyName("secret")] string Secret,
    [property: JsonPropertyName("confirmation_url")] string ConfirmationUrl);

/// <summary>
/// The install handshake (protocol §1): a GET signed with the app secret, our proof and a fresh shop
/// secret, then a POST confirmation signed with that secret. Nothing becomes effective before the
/// confirmation, so a failed or forged attempt never replaces a working secret.
/// </summary>
public static class ShopwareRegistration
{
    /// <summary>Shop ids are opaque, but they become store keys; anything outside this set is refused.</summary>
    public static bool IsShopId(string? shopId) =>
        !string.IsNullOrEmpty(shopId) && shopId.Length <= 64 && shopId.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_');

    public static async Task<Results<Ok<ShopwareRegistrationAnswer>, ProblemHttpResult>> RegisterAsync(
        HttpRequest request, HttpResponse response, ShopwareShops shops, IOptions<ShopwareOptions> options, TimeProvider time, ILoggerFactory logs)
    {
        var o = options.Value;
        var now = time.GetUtcNow();
        var rawQuery = Encoding.UTF8.GetBytes(ShopwareHttp.RawQuery(request));

        if (!ShopwareSignature.Matches(o.AppSecret!, rawQuery, request.Headers[ShopwareSignature.AppSignatureHeader]))
            return ShopwareHttp.RegistrationProblem(401, "Signature not valid",
                "shopware-app-signature does not match the query signed with the app secret.");

        var query = request.Query;
        if (query["shop-id"].Count != 1 || query["shop-url"].Count != 1 || query["timestamp"].Count != 1)
            return ShopwareHttp.RegistrationProblem(400, "Registration incomplete", "The query must carry shop-id, shop-url and timestamp once each.");
        var shopId = query["shop-id"].ToString();
        var shopUrl = query["shop-url"].ToString();
        if (!IsShopId(shopId))
            return ShopwareHttp.RegistrationProblem(400, "Registration incomplete", "shop-id must be 1 to 64 letters, digits, '-' or '_'.");
        if (!Uri.TryCreate(shopUrl, UriKind.Absolute, out var parsedUrl) || parsedUrl.Scheme is not ("http" or "https"))
            return ShopwareHttp.RegistrationProblem(400, "Registration incomplete", "shop-url must be an absolute http(s) URL.");
        if (!long.TryParse(query["timestamp"], out var timestamp) || !ShopwareHttp.IsFresh(timestamp, now, o.WebhookTolerance))
            return ShopwareHttp.RegistrationProblem(401, "Registration expired",
                $"timestamp is not within {o.WebhookTolerance} of the relay's clock (Shopware:WebhookTolerance).");

        var current = await shops.GetCredentialsAsync(shopId);
        if (current is not null)
        {
            // A store app's registration can be signed for any shop id by anyone holding a store licence,
            // so a known shop must also prove it holds the current shop secret (protocol §1.5).
            var shopSignature = request.Headers[ShopwareSignature.ShopSignatureHeader].ToString();
            if (shopSignature.Length > 0)
            {
                if (!current.Verifies(rawQuery, shopSignature, now))
                    return ShopwareHttp.RegistrationProblem(401, "Signature not valid",
                        "shopware-shop-signature does not match this shop's current secret.");
            }
            else if (o.EnforceDualSignature || current.DualSignatureSeen)
                return ShopwareHttp.RegistrationProblem(401, "Signature missing",
                    "This shop is already registered: a re-registration must carry shopware-shop-signature.");
        }

        var secret = RandomNumberGenerator.GetHexString(128, lowercase: true);
        await shops.SavePendingAsync(new ShopwarePendingRegistration(shopId, shopUrl, secret, now), o.PendingRegistrationLifetime);
        if (await shops.GetInfoAsync(shopId) is null)
            await shops.SaveInfoAsync(new ShopInfo(ShopwareShops.Platform, shopId, ShopwareShops.SanitizeShopUrl(shopUrl), ShopStatus.Pending, now, now,
                StatusReason: "Registration started; waiting for Shopware's confirmation"));

        logs.CreateLogger(typeof(ShopwareRegistration)).LogInformation(
            "Shopware registration started for {ShopKey} ({Kind})", ShopwareShops.KeyOf(shopId), current is null ? "new shop" : "re-registration");
        response.Headers.CacheControl = "no-store";
        return TypedResults.Ok(new ShopwareRegistrationAnswer(
            ShopwareSignature.Proof(o.AppSecret!, shopId, shopUrl, o.AppName), secret, o.ConfirmationUrl.ToString()));
    }

    public static async Task<Results<NoContent, ProblemHttpResult>> ConfirmAsync(
        HttpRequest request, ShopwareShops shops, IOptions<ShopwareOptions> options, TimeProvider time, ILoggerFactory logs, CancellationToken ct)
    {
        var o = options.Value;
        var now = time.GetUtcNow();
        if (!request.HasJsonContentType())
            return ShopwareHttp.NotJson();
        if (await ShopwareHttp.ReadBodyAsync(request, o.MaxBodyBytes, ct) is not { } body)
            return ShopwareHttp.TooLarge(o.MaxBodyBytes);
        if (ReadConfirmation(body) is not { } confirmation)
            return ShopwareHttp.RegistrationProblem(400, "Confirmation incomplete", "The body must be a JSON object with string members shopId, apiKey and secretKey.");

        if (await shops.GetPendingAsync(confirmation.ShopId) is not { } pending)
            return ShopwareHttp.RegistrationProblem(401, "No registration pending",
                "There is no pending registration for this shop (it expired or was never started); nothing was changed.");
        if (!ShopwareSignature.Matches(pending.ShopSecret, body, request.Headers[ShopwareSignature.ShopSignatureHeader]))
            return ShopwareHttp.RegistrationProblem(401, "Signature not valid",
                "shopware-shop-signature does not match the body signed with the secret from the registration; the current secret stays in force.");

        var current = await shops.GetCredentialsAsync(confirmation.ShopId);
        var dualSignature = false;
        if (current is not null)
        {
            var previousSignature = request.Headers[ShopwareSignature.PreviousShopSignatureHeader].ToString();
            if (previousSignature.Length > 0)
            {
                if (!current.Verifies(body, previousSignature, now))
                    return ShopwareHttp.RegistrationProblem(401, "Signature not valid",
                        "shopware-shop-signature-previous does not match this shop's current secret; the current secret stays in force.");
                dualSignature = true;
            }
            else if (o.EnforceDualSignature || current.DualSignatureSeen)
                return ShopwareHttp.RegistrationProblem(401, "Signature missing",
                    "This shop is already registered: the confirmation must carry shopware-shop-signature-previous.");
        }

        var shopUrl = ShopwareShops.SanitizeShopUrl(pending.ShopUrl);
        await shops.SaveCredentialsAsync(new ShopwareShopCredentials(
            confirmation.ShopId, shopUrl, pending.ShopSecret,
            PreviousShopSecret: current?.ShopSecret, SecretsRotatedAt: current is null ? null : now,
            confirmation.ApiKey, confirmation.SecretKey,
            DualSignatureSeen: dualSignature || current?.DualSignatureSeen == true, ConfirmedAt: now));
        await shops.DeletePendingAsync(confirmation.ShopId);

        var info = await shops.GetInfoAsync(confirmation.ShopId);
        // Shopware sends app.installed and, when installed with activation, app.activated right after this.
        await shops.SaveInfoAsync(info is null || info.Status is ShopStatus.Pending or ShopStatus.Deleted
            ? new ShopInfo(ShopwareShops.Platform, confirmation.ShopId, shopUrl, ShopStatus.Inactive, info?.InstalledAt ?? now, now,
                StatusReason: "Registered; waiting for app.activated")
            : info with { Url = shopUrl, UpdatedAt = now });

        logs.CreateLogger(typeof(ShopwareRegistration)).LogInformation(
            "Shopware registration confirmed for {ShopKey} ({Kind})", ShopwareShops.KeyOf(confirmation.ShopId), current is null ? "new shop" : "secret rotated");
        return TypedResults.NoContent();
    }

    private sealed record Confirmation(string ShopId, string ApiKey, string SecretKey);

    private static Confirmation? ReadConfirmation(byte[] body)
    {
        try
        {
            using var doc = JsonDocument.Parse(body);
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object) return null;
            var shopId = StringMember(root, "shopId");
            var apiKey = StringMember(root, "apiKey");
            var secretKey = StringMember(root, "secretKey");
            return IsShopId(shopId) && !string.IsNullOrEmpty(apiKey) && !string.IsNullOrEmpty(secretKey)
                ? new Confirmation(shopId!, apiKey, secretKey)
                : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    internal static string? StringMember(JsonElement obj, string name) =>
        obj.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}

using System.Text;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Relay.Admin;
using Relay.Shops;

namespace Relay.Platforms.Shopware;

/// <summary>
/// The admin module's iframe entry (protocol §4): Shopware signs the module URL's query with the shop
/// secret; once verified, the page gets a short-lived session scoped to that one shop. The token goes
/// into the fragment so it never reaches a server log or a Referer header.
/// </summary>
public static class ShopwareModule
{
    public static async Task<Results<RedirectHttpResult, ProblemHttpResult>> OpenAsync(
        HttpRequest request, HttpResponse response, ShopwareShops shops, AdminSessions sessions, Storage.IRelayStore store,
        IOptions<ShopwareOptions> options, TimeProvider time)
    {
        var o = options.Value;
        var now = time.GetUtcNow();
        var (signedQuery, signature) = ShopwareSignature.SplitSignedQuery(ShopwareHttp.RawQuery(request));
        var forged = ShopwareHttp.BadSignature("The module URL is not signed by a registered shop.");
        if (signature is null) return forged;

        var shopId = request.Query["shop-id"].ToString();
        if (request.Query["shop-id"].Count != 1 || !ShopwareRegistration.IsShopId(shopId)) return forged;
        var shop = await shops.GetInfoAsync(shopId);
        if (shop is null || shop.Status is ShopStatus.Pending or ShopStatus.Deleted) return forged;
        if (await shops.GetCredentialsAsync(shopId) is not { } credentials) return forged;
        if (!credentials.Verifies(Encoding.UTF8.GetBytes(signedQuery), signature, now)) return forged;
        if (!long.TryParse(request.Query["timestamp"], out var timestamp) || !ShopwareHttp.IsFresh(timestamp, now, o.WebhookTolerance))
            return ShopwareHttp.Problem(401, "Module link expired", "Reopen the app page in the Shopware administration.");
        // A link opens one session. Shopware signs a fresh link each time the module opens, and a reload
        // inside the iframe reloads the admin page, not this link; so a second use is a replay.
        var used = Storage.StoreKeys.ShopItem(shop.Key, "shopware:module-link:" + signature);
        if (!await store.SetIfAbsentAsync(used, "1", 2 * o.WebhookTolerance))
            return ShopwareHttp.Problem(401, "Module link already used", "Reopen the app page in the Shopware administration.");

        var language = request.Query["sw-user-language"].ToString();
        var token = sessions.Issue(shop.Key, string.IsNullOrEmpty(language) ? null : language);
        response.Headers.CacheControl = "no-store";
        response.Headers["Referrer-Policy"] = "no-referrer";
        return TypedResults.Redirect(AdminPage.UrlFor(token, shop.Key));
    }
}

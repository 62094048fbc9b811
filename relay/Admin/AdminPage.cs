using System.Text.RegularExpressions;
using Microsoft.Extensions.FileProviders;
using Relay.Platforms;
using Relay.Shops;

namespace Relay.Admin;

/// <summary>
/// Serves the admin page (plain HTML, CSS and JS modules from wwwroot/admin, no build step).
/// <para>
/// Framing: the page may only be framed by the shop it works for. The session token sits in the
/// fragment, which the browser never sends, so the iframe entry puts the (non-secret) shop key in
/// the query (<see cref="UrlFor"/>); the page answers with <c>frame-ancestors</c> set to that shop's
/// origin, and the script refuses to run a session whose shop differs from the query's. Anything
/// else (no or unknown shop, the assets) gets <c>frame-ancestors 'none'</c>. The shop's platform may
/// add sources where its administration lives elsewhere, and the scripts it needs
/// (<see cref="IPlatform.AdminFrameAncestors"/>, <see cref="IPlatform.AdminScriptSources"/>).
/// </para>
/// </summary>
public static partial class AdminPage
{
    public const string PagePath = "/admin/";

    /// <summary>Where an iframe entry sends the browser once the platform's signature holds.</summary>
    public static string UrlFor(string token, string shopKey, string? platform = null) =>
        $"{PagePath}?shop={Uri.EscapeDataString(shopKey)}{(platform is null ? "" : "&platform=" + Uri.EscapeDataString(platform))}#session={token}";

    public static WebApplication MapAdminPage(this WebApplication app)
    {
        var root = app.Environment.WebRootPath is { } web ? Path.Combine(web, "admin") : null;
        if (root is null || !Directory.Exists(root))
        {
            app.Logger.LogWarning("The admin page files (wwwroot/admin) are missing; only the admin API is served.");
            return app;
        }
        var files = new PhysicalFileProvider(root);

        app.UseStaticFiles(new StaticFileOptions
        {
            RequestPath = "/admin",
            FileProvider = files,
            OnPrepareResponse = ctx =>
            {
                var headers = ctx.Context.Response.Headers;
                headers.ContentSecurityPolicy = "default-src 'none'; frame-ancestors 'none'";
                headers.XContentTypeOptions = "nosniff";
                // Small and unversioned: revalidate rather than serve a stale script after an upgrade.
                headers.CacheControl = "no-cache";
            },
        });

        // Routing matches "/admin" here too; the page's relative asset paths need the slash.
        app.MapGet(PagePath, async Task<IResult> (HttpContext http, ShopDirectory shops, ShopPlatforms platforms) =>
        {
            if (!http.Request.Path.Value!.EndsWith('/'))
                return TypedResults.Redirect(PagePath + http.Request.QueryString);
            var shopKey = http.Request.Query["shop"].ToString();
            var shop = shopKey.Length is > 0 and <= 200 ? await shops.GetAsync(shopKey) : null;
            var headers = http.Response.Headers;
            headers.ContentSecurityPolicy = ContentSecurityPolicy(shop, shop is null ? null : platforms.Named(shop.Platform));
            headers.XContentTypeOptions = "nosniff";
            headers.CacheControl = "no-store";
            headers["Referrer-Policy"] = "no-referrer";
            return TypedResults.PhysicalFile(Path.Combine(root, "index.html"), "text/html; charset=utf-8");
        }).ExcludeFromDescription();
        return app;
    }

    internal static string ContentSecurityPolicy(ShopInfo? shop, IPlatform? platform)
    {
        var ancestors = FrameAncestors(shop, platform);
        var scripts = string.Join(' ', ["'self'", .. platform?.AdminScriptSources ?? []]);
        return $"default-src 'self'; script-src {scripts}; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
               $"frame-ancestors {(ancestors.Count == 0 ? "'none'" : string.Join(' ', ancestors))}; base-uri 'none'; form-action 'none'; object-src 'none'";
    }

    internal static IReadOnlyList<string> FrameAncestors(ShopInfo? shop, IPlatform? platform)
    {
        if (shop is null || platform is null || shop.Status is ShopStatus.Deleted or ShopStatus.Pending) return [];
        if (!Uri.TryCreate(shop.Url, UriKind.Absolute, out var url) || url.Scheme is not ("https" or "http")) return [];
        var origin = url.GetLeftPart(UriPartial.Authority);
        return new[] { origin }.Concat(platform.AdminFrameAncestors(url)).Distinct(StringComparer.OrdinalIgnoreCase).ToList();
    }

    /// <summary>An https origin, optionally with a leading "*." wildcard label: nothing that could widen or break the header.</summary>
    public static bool IsFrameAncestorSource(string source) => FrameAncestorSource().IsMatch(source);

    [GeneratedRegex(@"^https://(\*\.)?[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+(:\d{1,5})?$", RegexOptions.IgnoreCase)]
    private static partial Regex FrameAncestorSource();
}

using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Relay.Admin;
using Relay.Secrets;
using Relay.Shops;

namespace Relay.Platforms.Shoprenter;

/// <summary>How the relay reaches a shop's API: "oauth" (the app's access, the default) or "legacy" (Basic auth).</summary>
public sealed record ShoprenterConnectionView(string Mode, string? LegacyApiUrl, string? LegacyUserName, string Notice);

/// <param name="Mode">"oauth" or "legacy".</param>
/// <param name="ApiUrl">Legacy only: the API URL from the shop's API settings; empty for https://{shop}.api.myshoprenter.hu.</param>
public sealed record ShoprenterConnectionInput(string Mode, string? ApiUrl, string? UserName, string? Password);

/// <summary>
/// The merchant's choice of API for a Shoprenter shop, authorised by the admin page's session (that one
/// shop only). Shoprenter has deprecated the Basic-auth API (API URL, user name and password from the
/// shop's API settings, what MiniCRM's integration asked for): the relay uses the app's OAuth access
/// unless the merchant chooses the legacy API here, and every answer says it is deprecated. Credentials
/// are tested before they are stored, stored encrypted, and never shown back.
/// </summary>
public static class ShoprenterConnection
{
    public const string Notice =
        "Shoprenter has deprecated the Basic-auth API (API user name and password) and may switch it off: use it only when the app's own access does not work for this shop, and switch back to \"oauth\" as soon as it does.";

    /// <summary>What the admin page offers: the modes and fields <see cref="PutAsync"/> takes, at its route.</summary>
    public static readonly ShopConnectionChoice Choice = new($"{ShoprenterEndpoints.GroupPath}/connection",
    [
        new("oauth", "shopConnection.mode.app", Recommended: true, Deprecated: false, []),
        new("legacy", "shopConnection.mode.legacy", Recommended: false, Deprecated: true,
        [
            new(FieldOf(nameof(ShoprenterConnectionInput.ApiUrl)), "shopConnection.field.apiUrl", Optional: true, HintKey: "shopConnection.field.apiUrlHint"),
            new(FieldOf(nameof(ShoprenterConnectionInput.UserName)), "shopConnection.field.userName"),
            new(FieldOf(nameof(ShoprenterConnectionInput.Password)), "shopConnection.field.password", Secret: true),
        ]),
    ]);

    private static string FieldOf(string member) => System.Text.Json.JsonNamingPolicy.CamelCase.ConvertName(member);

    internal static void Map(RouteGroupBuilder group)
    {
        var connection = group.MapGroup("/connection").RequireAuthorization(AdminSessions.Scheme);
        connection.MapGet("", GetAsync).WithName("ShoprenterConnection")
            .WithSummary("The shop's API connection (oauth, or the deprecated Basic-auth legacy API), for the admin page's session.");
        connection.MapPut("", PutAsync).WithName("ShoprenterConnectionSave")
            .WithSummary("Choose the app's OAuth access or, as a deprecated fallback, the shop's Basic-auth API (tested before it is stored).")
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity);
    }

    internal static async Task<Results<Ok<ShoprenterConnectionView>, ProblemHttpResult>> GetAsync(ClaimsPrincipal user, ShoprenterShops shops, SecretProtector protector)
    {
        if (await RecordOf(user, shops) is not { } found) return NotShoprenter();
        return TypedResults.Ok(View(found.Record, protector));
    }

    internal static async Task<Results<Ok<ShoprenterConnectionView>, ProblemHttpResult>> PutAsync(
        ShoprenterConnectionInput input, ClaimsPrincipal user, ShoprenterShops shops, ShoprenterClient client, SecretProtector protector,
        ShopDirectory directory, TimeProvider time, IOptions<ShoprenterOptions> options, ILoggerFactory logs, CancellationToken ct)
    {
        if (await RecordOf(user, shops) is not { } found) return NotShoprenter();
        var (shopKey, record) = found;
        if (input.Mode == "oauth")
        {
            record = record with { Legacy = null };
            await shops.SaveAsync(shopKey, record);
            await NoteAsync(directory, shopKey, null, time);
            return TypedResults.Ok(View(record, protector));
        }
        if (input.Mode != "legacy")
            return ShoprenterEndpoints.Problem(400, "Unknown mode", "mode is \"oauth\" or \"legacy\".");
        if (string.IsNullOrWhiteSpace(input.UserName) || string.IsNullOrEmpty(input.Password))
            return ShoprenterEndpoints.Problem(400, "Credentials missing", "The legacy API needs the user name and password from the shop's API settings.");
        var apiUrl = string.IsNullOrWhiteSpace(input.ApiUrl) ? options.Value.LegacyApiUrlOf(record.ShopName) : input.ApiUrl.Trim().TrimEnd('/');
        if (!IsLegacyApiUrl(apiUrl, record.ShopName, options.Value))
            return ShoprenterEndpoints.Problem(400, "Not this shop's API", $"The legacy API URL must be this shop's, {options.Value.LegacyApiUrlOf(record.ShopName)}.");

        var legacy = new ShoprenterLegacyAccess(apiUrl, protector.Protect(input.UserName.Trim()), protector.Protect(input.Password));
        var previous = record;
        await shops.SaveAsync(shopKey, record with { Legacy = legacy });
        try
        {
            await client.ListAsync(shopKey, ShoprenterContacts.Customers, 0, 1, full: false, ct: ct);
        }
        catch (Exception e) when (e is ShopApiException or HttpRequestException)
        {
            // Nothing stored that does not work: the previous connection stays.
            await shops.SaveAsync(shopKey, previous);
            return ShoprenterEndpoints.Problem(422, "The legacy API refused these credentials", e.Message);
        }
        await NoteAsync(directory, shopKey, LegacyInUse, time);
        logs.CreateLogger("Relay.Platforms.Shoprenter.Connection").LogWarning("Shoprenter shop {Shop} switched to the deprecated legacy API by its merchant", shopKey);
        return TypedResults.Ok(View(record with { Legacy = legacy }, protector));
    }

    /// <summary>What the admin page's status view shows beside the installation while the legacy API is in use.</summary>
    public const string LegacyInUse = "uses Shoprenter's deprecated Basic-auth API, chosen by the merchant; switch back to the app's access when it works";

    /// <summary>The page's status view shows the shop's status reason: while the legacy API is chosen, it says so there.</summary>
    private static async Task NoteAsync(ShopDirectory directory, string shopKey, string? reason, TimeProvider time)
    {
        if (await directory.GetAsync(shopKey) is { Status: ShopStatus.Active } info && info.StatusReason != reason)
            await directory.SaveAsync(info with { StatusReason = reason, UpdatedAt = time.GetUtcNow() });
    }

    /// <summary>Only the shop's own legacy host: the relay sends the password there.</summary>
    private static bool IsLegacyApiUrl(string apiUrl, string shopName, ShoprenterOptions o) =>
        Uri.TryCreate(apiUrl, UriKind.Absolute, out var given) && Uri.TryCreate(o.LegacyApiUrlOf(shopName), UriKind.Absolute, out var expected)
        && string.Equals(given.GetLeftPart(UriPartial.Authority), expected.GetLeftPart(UriPartial.Authority), StringComparison.OrdinalIgnoreCase);

    private static ShoprenterConnectionView View(ShoprenterShopRecord record, SecretProtector protector) =>
        record.Legacy is { } legacy
            ? new ShoprenterConnectionView("legacy", legacy.ApiUrl, protector.Unprotect(legacy.ProtectedUserName), Notice)
            : new ShoprenterConnectionView("oauth", null, null, Notice);

    private static async Task<(string ShopKey, ShoprenterShopRecord Record)?> RecordOf(ClaimsPrincipal user, ShoprenterShops shops) =>
        AdminSessions.ShopOf(user) is { } shopKey && ShopPlatforms.PlatformOf(shopKey) == ShoprenterShops.Platform && await shops.GetAsync(shopKey) is { } record
            ? (shopKey, record)
            : null;

    private static ProblemHttpResult NotShoprenter() =>
        ShoprenterEndpoints.Problem(404, "Not a Shoprenter shop", "This session's shop is not an installed Shoprenter shop.");
}

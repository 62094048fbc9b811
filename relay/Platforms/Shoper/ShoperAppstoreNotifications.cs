using System.Globalization;
using System.Security.Cryptography;
using Microsoft.Extensions.Options;
using Relay.Pipeline;
using Relay.Secrets;
using Relay.Shops;

namespace Relay.Platforms.Shoper;

/// <summary>What became of a verified notification; the endpoint turns it into a status code.</summary>
public abstract record ShoperNotificationOutcome
{
    public sealed record Done(string Action, string ShopKey) : ShoperNotificationOutcome;
    public sealed record Invalid(string Detail) : ShoperNotificationOutcome;
    /// <summary>The shop could not be reached or refused the code; nothing was stored, Shoper may send it again.</summary>
    public sealed record ShopFailed(string Detail) : ShoperNotificationOutcome;
}

/// <summary>
/// The app's lifecycle as the Appstore reports it ("automatic messages" URL): install, upgrade,
/// uninstall, billing_install, billing_subscription. Fields arrive verified (see the endpoint).
/// </summary>
public sealed class ShoperAppstoreNotifications(
    ShoperShops shops,
    ShoperTokens tokens,
    ShopDirectory directory,
    SecretProtector protector,
    ShoperShopUrlResolver urlResolver,
    ShoperOAuth oauth,
    ShoperClient client,
    IOptions<ShoperOptions> options,
    IOptions<PipelineOptions> pipeline,
    TimeProvider time,
    ILogger<ShoperAppstoreNotifications> logger)
{
    public async Task<ShoperNotificationOutcome> HandleAsync(IReadOnlyDictionary<string, string> fields, CancellationToken ct)
    {
        if (!fields.TryGetValue("action", out var action) || string.IsNullOrEmpty(action))
            return new ShoperNotificationOutcome.Invalid("Field 'action' is missing.");
        if (!fields.TryGetValue("shop", out var shopId) || !IsShopId(shopId))
            return new ShoperNotificationOutcome.Invalid("Field 'shop' is missing or not a shop license id.");
        var shopKey = ShoperShops.KeyOf(shopId);

        return action switch
        {
            "install" => await InstallAsync(shopId, shopKey, fields, ct),
            "upgrade" => await UpgradeAsync(shopKey, fields, ct),
            "uninstall" => await UninstallAsync(shopKey, ct),
            "billing_install" => await UpdateKnownAsync(shopKey, action, r => r with { BilledAt = time.GetUtcNow() }),
            "billing_subscription" => await SubscriptionAsync(shopKey, fields),
            _ => new ShoperNotificationOutcome.Invalid($"Unknown action '{action}'."),
        };
    }

    private async Task<ShoperNotificationOutcome> InstallAsync(string shopId, string shopKey, IReadOnlyDictionary<string, string> fields, CancellationToken ct)
    {
        if (!fields.TryGetValue("auth_code", out var authCode) || string.IsNullOrEmpty(authCode))
            return new ShoperNotificationOutcome.Invalid("Field 'auth_code' is missing.");
        if (!fields.TryGetValue("shop_url", out var shopUrl) || !ShoperApiUrl.IsValid(shopUrl))
            return new ShoperNotificationOutcome.Invalid("Field 'shop_url' is missing or not an http(s) URL.");

        var apiUrl = await urlResolver.ResolveAsync(shopUrl, ct);
        ShoperTokenGrant grant;
        try
        {
            // The code is single-use and short-lived, so it is exchanged now, before answering.
            grant = await oauth.ExchangeCodeAsync(apiUrl, authCode, ct);
        }
        catch (ShoperOAuthException e)
        {
            logger.LogWarning("Shoper install for {Shop}: code exchange failed ({Error})", shopKey, e.Message);
            return new ShoperNotificationOutcome.ShopFailed($"The authorization code could not be exchanged at the shop: {e.Message}");
        }

        var now = time.GetUtcNow();
        var existing = await shops.GetAsync(shopKey);
        var record = tokens.WithGrant((existing ?? new ShoperShopRecord { ShopId = shopId, ApiUrl = apiUrl }) with
        {
            ApiUrl = apiUrl,
            ApplicationVersion = IntOf(fields, "application_version") ?? existing?.ApplicationVersion,
            Trial = IntOf(fields, "trial") == 1,
        }, grant);
        await shops.SaveAsync(shopKey, record);

        var info = await directory.GetAsync(shopKey);
        await directory.SaveAsync(info is null
            ? new ShopInfo(ShoperShops.Platform, shopId, apiUrl, ShopStatus.Active, now, now)
            : info with { Url = apiUrl, Status = ShopStatus.Active, StatusReason = null, UpdatedAt = now });

        await RegisterWebhookAsync(shopKey, record, ct);
        logger.LogInformation("Shoper app {Kind} in {Shop} ({Url})", existing is null ? "installed" : "reinstalled", shopKey, apiUrl);
        return new ShoperNotificationOutcome.Done("install", shopKey);
    }

    /// <summary>
    /// One webhook per shop, with a fresh random secret, replacing any the relay registered before
    /// (a reinstall would otherwise leave the shop sending every change twice). A failure here does not
    /// undo the install: the shop works, and the operator sees the missing webhook id in the log.
    /// </summary>
    private async Task RegisterWebhookAsync(string shopKey, ShoperShopRecord record, CancellationToken ct)
    {
        try
        {
            if (record.WebhookId is { } previous)
                await client.DeleteWebhookAsync(shopKey, previous, ct);
            var secret = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));
            var id = await client.CreateWebhookAsync(shopKey, options.Value.WebhookUrl, secret, ShoperClient.WebhookEvents, ct);
            await shops.SaveAsync(shopKey, record with { WebhookId = id, ProtectedWebhookSecret = protector.Protect(secret) });
        }
        catch (Exception e) when (e is ShoperApiException or ShoperOAuthException or ShoperReinstallRequiredException or HttpRequestException)
        {
            logger.LogWarning("Shoper install for {Shop}: webhook registration failed ({Error})", shopKey, e.Message);
            await shops.SaveAsync(shopKey, record with { WebhookId = null, ProtectedWebhookSecret = null });
        }
    }

    private async Task<ShoperNotificationOutcome> UpgradeAsync(string shopKey, IReadOnlyDictionary<string, string> fields, CancellationToken ct)
    {
        var outcome = await UpdateKnownAsync(shopKey, "upgrade", r => r with { ApplicationVersion = IntOf(fields, "application_version") ?? r.ApplicationVersion });
        if (await shops.GetAsync(shopKey) is not null)
        {
            // A new version may come with new scopes, which only a fresh token carries (the reference bundle refreshes here too).
            try
            {
                await tokens.RefreshNowAsync(shopKey, ct);
            }
            catch (Exception e) when (e is ShoperOAuthException or ShoperReinstallRequiredException)
            {
                logger.LogWarning("Shoper upgrade for {Shop}: token refresh failed ({Error})", shopKey, e.Message);
            }
        }
        return outcome;
    }

    private async Task<ShoperNotificationOutcome> UninstallAsync(string shopKey, CancellationToken ct)
    {
        if (await shops.GetAsync(shopKey) is { WebhookId: { } webhookId })
        {
            // Usually the shop has revoked the token by now; deleting is worth a try, never a failed uninstall.
            try
            {
                await client.DeleteWebhookAsync(shopKey, webhookId, ct);
            }
            catch (Exception e) when (e is ShoperApiException or ShoperOAuthException or ShoperReinstallRequiredException or HttpRequestException)
            {
                logger.LogInformation("Shoper uninstall for {Shop}: webhook {WebhookId} not deleted ({Error})", shopKey, webhookId, e.Message);
            }
        }
        // Shoper keeps no user data for a removed app: tokens, secrets, config and queued work all go.
        await directory.ForgetAsync(shopKey, pipeline.Value.Partitions);
        logger.LogInformation("Shoper app uninstalled from {Shop}; its data was deleted", shopKey);
        return new ShoperNotificationOutcome.Done("uninstall", shopKey);
    }

    private async Task<ShoperNotificationOutcome> SubscriptionAsync(string shopKey, IReadOnlyDictionary<string, string> fields)
    {
        if (!fields.TryGetValue("subscription_end_time", out var end) || ParseShoperTime(end) is not { } endsAt)
            return new ShoperNotificationOutcome.Invalid("Field 'subscription_end_time' is missing or not 'yyyy-MM-dd HH:mm:ss'.");
        return await UpdateKnownAsync(shopKey, "billing_subscription", r => r with { SubscriptionEndsAt = endsAt, BilledAt = time.GetUtcNow() });
    }

    /// <summary>Notifications about a shop the relay does not know (never installed, or uninstalled) are acknowledged and dropped.</summary>
    private async Task<ShoperNotificationOutcome> UpdateKnownAsync(string shopKey, string action, Func<ShoperShopRecord, ShoperShopRecord> update)
    {
        if (await shops.GetAsync(shopKey) is not { } record)
        {
            logger.LogInformation("Shoper {Action} for unknown shop {Shop} ignored", action, shopKey);
            return new ShoperNotificationOutcome.Done(action, shopKey);
        }
        await shops.SaveAsync(shopKey, update(record));
        if (await directory.GetAsync(shopKey) is { } info)
            await directory.SaveAsync(info with { UpdatedAt = time.GetUtcNow() });
        return new ShoperNotificationOutcome.Done(action, shopKey);
    }

    /// <summary>The Appstore's zone-less "yyyy-MM-dd HH:mm:ss", in Polish time (<see cref="ShoperOptions.PlatformZone"/>).</summary>
    public static DateTimeOffset? ParseShoperTime(string value) =>
        DateTime.TryParseExact(value, "yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture, DateTimeStyles.None, out _)
            ? ZonelessTime.Read(value, ZonelessTime.Zone(ShoperOptions.PlatformZone))
            : null;

    internal static bool IsShopId(string? value) =>
        !string.IsNullOrEmpty(value) && value.Length <= 128 && value.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.');

    private static int? IntOf(IReadOnlyDictionary<string, string> fields, string name) =>
        fields.TryGetValue(name, out var v) && int.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) ? n : null;
}

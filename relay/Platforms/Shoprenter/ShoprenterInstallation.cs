using Relay.Pipeline;
using Relay.Secrets;
using Relay.Shops;
using Microsoft.Extensions.Options;

namespace Relay.Platforms.Shoprenter;

/// <summary>What became of a verified install; the endpoint turns it into a status code.</summary>
public abstract record ShoprenterInstallOutcome
{
    public sealed record Installed(string ShopKey) : ShoprenterInstallOutcome;
    /// <summary>Shoprenter refused the app's credentials for this shop: nothing was stored.</summary>
    public sealed record Refused(string Detail) : ShoprenterInstallOutcome;
    /// <summary>The token endpoint could not be used: nothing was stored; installing again may work.</summary>
    public sealed record Unavailable(string Detail) : ShoprenterInstallOutcome;
}

/// <summary>
/// The app's lifecycle in a shop, as the verified RedirectUri and UninstallUri calls report it. An install
/// asks for the first token before anything is stored (a shop whose token is refused is not installed),
/// then records the shop and registers the webhooks with a fresh secret; a reinstall does the same and so
/// rotates the secret. An uninstall forgets every key of the shop.
/// </summary>
public sealed class ShoprenterInstallation(
    ShoprenterShops shops,
    ShoprenterTokens tokens,
    ShoprenterWebhooks webhooks,
    ShopDirectory directory,
    IOptions<ShoprenterOptions> options,
    IOptions<PipelineOptions> pipeline,
    TimeProvider time,
    ILogger<ShoprenterInstallation> logger)
{
    public async Task<ShoprenterInstallOutcome> InstallAsync(string shopName, CancellationToken ct)
    {
        var shopKey = ShoprenterShops.KeyOf(shopName);
        ShoprenterTokenGrant grant;
        try
        {
            grant = await tokens.RequestAsync(shopName, ct);
        }
        catch (ShoprenterAccessRefusedException e)
        {
            logger.LogWarning("Shoprenter install for {Shop}: token refused ({Reason})", shopKey, e.Reason);
            return new ShoprenterInstallOutcome.Refused($"Shoprenter refused the app's credentials for this shop ({e.Reason}) Check Shoprenter:ClientId and Shoprenter:ClientSecret.");
        }
        catch (ShoprenterTokenUnavailableException e)
        {
            logger.LogWarning("Shoprenter install for {Shop}: token endpoint failed ({Error})", shopKey, e.Message);
            return new ShoprenterInstallOutcome.Unavailable(e.Message);
        }

        var now = time.GetUtcNow();
        var existing = await shops.GetAsync(shopKey);
        await shops.SaveAsync(shopKey, tokens.WithGrant(existing ?? new ShoprenterShopRecord { ShopName = shopName }, grant));
        var url = options.Value.AdminUrlOf(shopName);
        var info = await directory.GetAsync(shopKey);
        await directory.SaveAsync(info is null || info.Status == ShopStatus.Deleted
            ? new ShopInfo(ShoprenterShops.Platform, shopName, url, ShopStatus.Active, now, now)
            : info with { Url = url, Status = ShopStatus.Active, StatusReason = existing?.Legacy is null ? null : ShoprenterConnection.LegacyInUse, UpdatedAt = now });

        // A failure here does not undo the install: the shop works, and the reconciliation polls what webhooks would bring.
        await webhooks.RegisterAsync(shopKey, ct);
        logger.LogInformation("Shoprenter app {Kind} in {Shop}", existing is null ? "installed" : "reinstalled", shopKey);
        return new ShoprenterInstallOutcome.Installed(shopKey);
    }

    /// <summary>True when the shop was installed; an unknown shop is nothing to do.</summary>
    public async Task<bool> UninstallAsync(string shopName, CancellationToken ct)
    {
        var shopKey = ShoprenterShops.KeyOf(shopName);
        if (await shops.GetAsync(shopKey) is not { } record) return false;
        // Usually the shop refuses the app by now; deleting the webhooks is worth a try, never a failed uninstall.
        await webhooks.DeleteAllAsync(shopKey, record, ct);
        await directory.ForgetAsync(shopKey, pipeline.Value.Partitions);
        logger.LogInformation("Shoprenter app uninstalled from {Shop}; its data was deleted", shopKey);
        return true;
    }
}

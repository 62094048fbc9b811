using System.Collections.Concurrent;
using Microsoft.Extensions.Options;
using Relay.Secrets;
using Relay.Shops;
using Relay.Storage;

namespace Relay.Platforms.Shoper;

/// <summary>A shop's API entry point and a usable access token for it.</summary>
public sealed record ShoperAccess(string ShopKey, string ApiUrl, string AccessToken)
{
    public override string ToString() => $"ShoperAccess {{ ShopKey = {ShopKey}, ApiUrl = {ApiUrl} }}";
}

/// <summary>The shop cannot be called until the merchant reinstalls the app (no tokens, or the refresh was refused).</summary>
public sealed class ShoperReinstallRequiredException(string shopKey, string reason) : ShopApiException($"Shop {shopKey} needs a reinstall: {reason}")
{
    public override bool IsPermanent => true;
    public string ShopKey { get; } = shopKey;
    public string Reason { get; } = reason;
}

/// <summary>
/// Access tokens per shop: refreshed when less than <see cref="ShoperOptions.RefreshAhead"/> remains, and
/// once more when the shop rejects one with 401. Shoper rotates the refresh token on every refresh, so two
/// refreshes racing would leave one instance with a dead token: a store lock makes it one at a time across
/// relay instances, and the loser reads the winner's result.
/// </summary>
public sealed class ShoperTokens(
    ShoperShops shops,
    IServiceProvider services,
    SecretProtector protector,
    ShopDirectory directory,
    IRelayStore store,
    TimeProvider time,
    IOptions<ShoperOptions> options,
    ILogger<ShoperTokens> logger)
{
    private static readonly TimeSpan LockTtl = TimeSpan.FromSeconds(30);
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _local = new();

    /// <summary>Stores a fresh grant (install, refresh).</summary>
    public ShoperShopRecord WithGrant(ShoperShopRecord record, ShoperTokenGrant grant) => record with
    {
        ProtectedAccessToken = protector.Protect(grant.AccessToken),
        ProtectedRefreshToken = protector.Protect(grant.RefreshToken),
        AccessTokenExpiresAt = time.GetUtcNow() + grant.ExpiresIn,
        Scope = grant.Scope ?? record.Scope,
    };

    public async Task<ShoperAccess> GetAsync(string shopKey, CancellationToken ct = default)
    {
        var record = await LoadAsync(shopKey);
        if (!NeedsRefresh(record))
            return AccessOf(shopKey, record);
        try
        {
            return await RefreshAsync(shopKey, staleAccessToken: record.ProtectedAccessToken, ct);
        }
        catch (ShoperOAuthException e) when (!e.IsPermanent && StillValid(record))
        {
            // The shop is down for a moment; the old token still has hours left, so carry on with it.
            logger.LogWarning("Early token refresh for {Shop} failed ({Error}); using the current token", shopKey, e.Message);
            return AccessOf(shopKey, record);
        }
    }

    /// <summary>Refresh now whatever the expiry (app upgrade: the new version may carry new scopes).</summary>
    public async Task<ShoperAccess> RefreshNowAsync(string shopKey, CancellationToken ct = default)
    {
        var record = await LoadAsync(shopKey);
        return await RefreshAsync(shopKey, record.ProtectedAccessToken, ct);
    }

    /// <summary>After a 401: refresh, unless another caller already replaced the token that was rejected.</summary>
    public async Task<ShoperAccess> RefreshAfterRejectionAsync(ShoperAccess rejected, CancellationToken ct = default)
    {
        var record = await LoadAsync(rejected.ShopKey);
        var current = AccessOf(rejected.ShopKey, record);
        if (current.AccessToken != rejected.AccessToken)
            return current;
        return await RefreshAsync(rejected.ShopKey, record.ProtectedAccessToken, ct);
    }

    private async Task<ShoperAccess> RefreshAsync(string shopKey, string? staleAccessToken, CancellationToken ct)
    {
        var gate = _local.GetOrAdd(shopKey, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(ct);
        try
        {
            var lockKey = StoreKeys.ShopItem(shopKey, "shoper:refresh-lock");
            // Unique per attempt: a holder whose lock ran out must not release the next holder's.
            var owner = Guid.NewGuid().ToString("N");
            for (var attempt = 0; ; attempt++)
            {
                var record = await LoadAsync(shopKey);
                if (record.ProtectedAccessToken != staleAccessToken)
                    return AccessOf(shopKey, record);
                if (await store.SetIfAbsentAsync(lockKey, owner, LockTtl))
                {
                    try
                    {
                        // Re-read under the lock: the previous holder may have just finished.
                        record = await LoadAsync(shopKey);
                        if (record.ProtectedAccessToken != staleAccessToken)
                            return AccessOf(shopKey, record);
                        return await RefreshHoldingLockAsync(shopKey, record, ct);
                    }
                    finally
                    {
                        await store.ReleaseLeaseAsync(lockKey, owner);
                    }
                }
                if (attempt >= 50)
                    throw new ShoperOAuthException("Another relay instance holds the token refresh lock for too long", null, null);
                await Task.Delay(TimeSpan.FromMilliseconds(200), ct);
            }
        }
        finally
        {
            gate.Release();
        }
    }

    private async Task<ShoperAccess> RefreshHoldingLockAsync(string shopKey, ShoperShopRecord record, CancellationToken ct)
    {
        if (record.ProtectedRefreshToken is null)
            throw await MarkNeedsReinstallAsync(shopKey, "No refresh token is stored for this shop.");
        ShoperTokenGrant grant;
        try
        {
            // Typed clients are transient: resolving one per refresh keeps the factory's handler rotation.
            grant = await services.GetRequiredService<ShoperOAuth>().RefreshAsync(record.ApiUrl, protector.Unprotect(record.ProtectedRefreshToken), ct);
        }
        catch (ShoperOAuthException e) when (e.IsPermanent)
        {
            throw await MarkNeedsReinstallAsync(shopKey, $"Token refresh refused by the shop ({e.StatusCode} {e.Error}).");
        }
        var updated = WithGrant(record, grant);
        await shops.SaveAsync(shopKey, updated);
        logger.LogInformation("Refreshed Shoper access token for {Shop}; valid until {ExpiresAt:u}", shopKey, updated.AccessTokenExpiresAt);
        return AccessOf(shopKey, updated);
    }

    private async Task<ShoperReinstallRequiredException> MarkNeedsReinstallAsync(string shopKey, string reason)
    {
        logger.LogWarning("Shoper shop {Shop} needs a reinstall: {Reason}", shopKey, reason);
        if (await directory.GetAsync(shopKey) is { } info && info.Status != ShopStatus.Deleted)
            await directory.SaveAsync(info with { Status = ShopStatus.NeedsReinstall, StatusReason = reason, UpdatedAt = time.GetUtcNow() });
        return new ShoperReinstallRequiredException(shopKey, reason);
    }

    private async Task<ShoperShopRecord> LoadAsync(string shopKey) =>
        await shops.GetAsync(shopKey) ?? throw new ShoperReinstallRequiredException(shopKey, "The shop is not installed.");

    private bool NeedsRefresh(ShoperShopRecord record) =>
        record.ProtectedAccessToken is null
        || record.AccessTokenExpiresAt is not { } expires
        || expires - time.GetUtcNow() < options.Value.RefreshAhead;

    private bool StillValid(ShoperShopRecord record) =>
        record.ProtectedAccessToken is not null && record.AccessTokenExpiresAt is { } expires && expires > time.GetUtcNow() + TimeSpan.FromMinutes(5);

    private ShoperAccess AccessOf(string shopKey, ShoperShopRecord record) =>
        record.ProtectedAccessToken is null
            ? throw new ShoperReinstallRequiredException(shopKey, "No access token is stored for this shop.")
            : new ShoperAccess(shopKey, record.ApiUrl, protector.Unprotect(record.ProtectedAccessToken));
}

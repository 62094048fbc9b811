using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.RegularExpressions;
using Relay.Secrets;
using Relay.Shops;
using Relay.Storage;

namespace Relay.Platforms.Shopware;

/// <summary>
/// What the relay holds for one confirmed Shopware installation. Stored encrypted as a whole: the shop
/// secret, the previous one during the grace window and the integration's API keys are all secret.
/// </summary>
public sealed record ShopwareShopCredentials(
    string ShopId,
    string ShopUrl,
    string ShopSecret,
    string? PreviousShopSecret,
    DateTimeOffset? SecretsRotatedAt,
    string ApiKey,
    string SecretKey,
    bool DualSignatureSeen,
    DateTimeOffset ConfirmedAt)
{
    /// <summary>The current secret, or the previous one while the rotation grace window lasts.</summary>
    public bool Verifies(ReadOnlySpan<byte> message, string? signature, DateTimeOffset now) =>
        ShopwareSignature.Matches(ShopSecret, message, signature)
        || (PreviousShopSecret is not null && SecretsRotatedAt is { } rotatedAt && now < rotatedAt + ShopwareOptions.SecretGracePeriod
            && ShopwareSignature.Matches(PreviousShopSecret, message, signature));

    public override string ToString() => $"ShopwareShopCredentials {{ ShopId = {ShopId}, ShopUrl = {ShopUrl} }}";
}

/// <summary>A registration that answered the GET and waits for Shopware's confirmation POST.</summary>
public sealed record ShopwarePendingRegistration(string ShopId, string ShopUrl, string ShopSecret, DateTimeOffset StartedAt)
{
    public override string ToString() => $"ShopwarePendingRegistration {{ ShopId = {ShopId}, ShopUrl = {ShopUrl} }}";
}

/// <summary>The Shopware side of a tenant, beside the shared <see cref="ShopInfo"/>.</summary>
public sealed partial class ShopwareShops(IRelayStore store, SecretProtector protector, ShopDirectory directory, TimeProvider time)
{
    /// <summary>How long an event webhook may be verified against what this process read before.</summary>
    public static readonly TimeSpan VerifiedLifetime = TimeSpan.FromSeconds(2);

    private readonly ConcurrentDictionary<string, (ShopInfo Info, ShopwareShopCredentials Credentials, DateTimeOffset Until)> _verified = new();

    public const string Platform = "shopware";

    /// <summary>The Admin API writes ISO 8601 times with their offset (UTC): instants, so only the shop server's clock can be off.</summary>
    public static readonly PartnerClock Clock = PartnerClock.Instants(PartnerClock.Skew);

    public static string KeyOf(string shopId) => ShopKeys.Of(Platform, shopId);

    private static string CredentialsKey(string shopKey) => StoreKeys.ShopItem(shopKey, "shopware:credentials");
    private static string PendingKey(string shopKey) => StoreKeys.ShopItem(shopKey, "shopware:pending");

    public Task<ShopInfo?> GetInfoAsync(string shopId) => directory.GetAsync(KeyOf(shopId));

    /// <summary>
    /// The shop and its credentials for verifying an event webhook. Two store reads and a decryption per
    /// event would dominate ingest, so an active shop that verified recently is kept for
    /// <see cref="VerifiedLifetime"/>. Only what let a request through is kept: a caller whose request
    /// the kept entry refuses (rotated secret, new status) asks again with <paramref name="fresh"/>, so a
    /// change made by another relay process is seen at once for refusals and within two seconds for
    /// acceptance.
    /// </summary>
    public async Task<(ShopInfo? Info, ShopwareShopCredentials? Credentials)> GetForEventAsync(string shopId, bool fresh)
    {
        var now = time.GetUtcNow();
        if (!fresh && _verified.TryGetValue(shopId, out var kept) && kept.Until > now)
            return (kept.Info, kept.Credentials);
        var info = await GetInfoAsync(shopId);
        var credentials = info is null ? null : await GetCredentialsAsync(shopId);
        if (info is { Status: ShopStatus.Active } && credentials is not null)
            _verified[shopId] = (info, credentials, now + VerifiedLifetime);
        else
            _verified.TryRemove(shopId, out _);
        return (info, credentials);
    }

    public Task SaveInfoAsync(ShopInfo info)
    {
        ForgetVerified(info.ShopId);
        return directory.SaveAsync(info);
    }

    /// <summary>A lifecycle change made here takes effect here at once; other processes see it within <see cref="VerifiedLifetime"/>.</summary>
    public void ForgetVerified(string shopId) => _verified.TryRemove(shopId, out _);

    public async Task<ShopwareShopCredentials?> GetCredentialsAsync(string shopId) =>
        await ReadProtectedAsync<ShopwareShopCredentials>(CredentialsKey(KeyOf(shopId)));

    public Task SaveCredentialsAsync(ShopwareShopCredentials credentials)
    {
        _verified.TryRemove(credentials.ShopId, out _);
        return store.SetAsync(CredentialsKey(KeyOf(credentials.ShopId)), protector.Protect(JsonSerializer.Serialize(credentials, JsonDefaults.Options)));
    }

    public async Task<ShopwarePendingRegistration?> GetPendingAsync(string shopId) =>
        await ReadProtectedAsync<ShopwarePendingRegistration>(PendingKey(KeyOf(shopId)));

    /// <summary>The newest registration attempt wins: Shopware's recovery re-registers several times in a row, each GET followed by its own confirmation.</summary>
    public Task SavePendingAsync(ShopwarePendingRegistration pending, TimeSpan lifetime) =>
        store.SetAsync(PendingKey(KeyOf(pending.ShopId)), protector.Protect(JsonSerializer.Serialize(pending, JsonDefaults.Options)), lifetime);

    public Task DeletePendingAsync(string shopId) => store.DeleteAsync(PendingKey(KeyOf(shopId)));

    private async Task<T?> ReadProtectedAsync<T>(string key) where T : class
    {
        var value = await store.GetAsync(key);
        return value is null ? null : JsonSerializer.Deserialize<T>(protector.Unprotect(value), JsonDefaults.Options);
    }

    /// <summary>
    /// Collapses repeated slashes in the path, keeps a trailing slash (shops under /staging/), as the PHP
    /// SDK does. Only for our own use (API calls); the proof always uses the raw value.
    /// </summary>
    public static string SanitizeShopUrl(string shopUrl)
    {
        var schemeEnd = shopUrl.IndexOf("://", StringComparison.Ordinal);
        var pathStart = schemeEnd < 0 ? -1 : shopUrl.IndexOf('/', schemeEnd + 3);
        return pathStart < 0 ? shopUrl : shopUrl[..pathStart] + RepeatedSlashes().Replace(shopUrl[pathStart..], "/");
    }

    [GeneratedRegex("/{2,}")]
    private static partial Regex RepeatedSlashes();
}

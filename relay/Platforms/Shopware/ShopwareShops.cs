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
public sealed partial class ShopwareShops(IRelayStore store, SecretProtector protector, ShopDirectory directory)
{
    public const string Platform = "shopware";

    public static string KeyOf(string shopId) => ShopKeys.Of(Platform, shopId);

    private static string CredentialsKey(string shopKey) => StoreKeys.ShopItem(shopKey, "shopware:credentials");
    private static string PendingKey(string shopKey) => StoreKeys.ShopItem(shopKey, "shopware:pending");

    public Task<ShopInfo?> GetInfoAsync(string shopId) => directory.GetAsync(KeyOf(shopId));

    public Task SaveInfoAsync(ShopInfo info) => directory.SaveAsync(info);

    public async Task<ShopwareShopCredentials?> GetCredentialsAsync(string shopId) =>
        await ReadProtectedAsync<ShopwareShopCredentials>(CredentialsKey(KeyOf(shopId)));

    public Task SaveCredentialsAsync(ShopwareShopCredentials credentials) =>
        store.SetAsync(CredentialsKey(KeyOf(credentials.ShopId)), protector.Protect(JsonSerializer.Serialize(credentials, JsonDefaults.Options)));

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

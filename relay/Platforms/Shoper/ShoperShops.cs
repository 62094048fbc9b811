using System.Text.Json;
using Relay.Shops;
using Relay.Storage;

namespace Relay.Platforms.Shoper;

/// <summary>
/// What the relay keeps about one Shoper shop beside the shared <see cref="ShopInfo"/>. Tokens and the
/// webhook secret are ciphertexts from SecretProtector; everything else is harmless.
/// </summary>
public sealed record ShoperShopRecord
{
    public required string ShopId { get; init; }

    /// <summary>The shop's real base URL after following a redirect of the notified shop_url; REST calls go to {ApiUrl}/webapi/rest.</summary>
    public required string ApiUrl { get; init; }

    public string? ProtectedAccessToken { get; init; }
    public string? ProtectedRefreshToken { get; init; }
    public DateTimeOffset? AccessTokenExpiresAt { get; init; }
    public string? Scope { get; init; }
    public int? ApplicationVersion { get; init; }

    /// <summary>The webhook the relay registered in the shop, so that uninstall and reinstall can delete it.</summary>
    public string? WebhookId { get; init; }
    public string? ProtectedWebhookSecret { get; init; }

    public DateTimeOffset? BilledAt { get; init; }
    public DateTimeOffset? SubscriptionEndsAt { get; init; }
    public bool Trial { get; init; }
}

public sealed class ShoperShops(IRelayStore store)
{
    public const string Platform = "shoper";

    public static string KeyOf(string shopId) => ShopKeys.Of(Platform, shopId);

    private static string RecordKey(string shopKey) => StoreKeys.ShopItem(shopKey, "shoper");

    public async Task<ShoperShopRecord?> GetAsync(string shopKey)
    {
        var json = await store.GetAsync(RecordKey(shopKey));
        return json is null ? null : JsonSerializer.Deserialize<ShoperShopRecord>(json, JsonDefaults.Options);
    }

    public Task SaveAsync(string shopKey, ShoperShopRecord record) =>
        store.SetAsync(RecordKey(shopKey), JsonSerializer.Serialize(record, JsonDefaults.Options));
}

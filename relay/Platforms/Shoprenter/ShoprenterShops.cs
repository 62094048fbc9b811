using System.Text.Json;
using Relay.Shops;
using Relay.Storage;

namespace Relay.Platforms.Shoprenter;

/// <summary>A webhook the relay registered in a shop: its id there and the event it carries.</summary>
public sealed record ShoprenterWebhook(string Id, string Event);

/// <summary>
/// The deprecated Basic-auth API a merchant chose instead of the app's OAuth access (API URL, user
/// name and password from the shop's API settings). User name and password are ciphertexts.
/// </summary>
public sealed record ShoprenterLegacyAccess(string ApiUrl, string ProtectedUserName, string ProtectedPassword);

/// <summary>
/// What the relay keeps about one Shoprenter shop beside the shared <see cref="ShopInfo"/>. The token and
/// the webhook secret are ciphertexts from SecretProtector; everything else is harmless.
/// </summary>
public sealed record ShoprenterShopRecord
{
    /// <summary>The shop name: the first label of {shopName}.myshoprenter.hu, and the shop id of its key.</summary>
    public required string ShopName { get; init; }

    public string? ProtectedAccessToken { get; init; }
    public DateTimeOffset? AccessTokenExpiresAt { get; init; }

    /// <summary>
    /// The secret in the path of every webhook URL registered in this shop: Shoprenter signs no delivery,
    /// so knowing the URL is the proof. Replaced (and the old URLs deleted) whenever webhooks are registered again.
    /// </summary>
    public string? ProtectedWebhookSecret { get; init; }

    /// <summary>"json" or "xml", as registered: a delivery in the other type is refused.</summary>
    public string WebhookFormat { get; init; } = "json";

    public IReadOnlyList<ShoprenterWebhook> Webhooks { get; init; } = [];

    /// <summary>Set while the merchant uses the deprecated Basic-auth API instead of the app's OAuth access.</summary>
    public ShoprenterLegacyAccess? Legacy { get; init; }
}

public sealed class ShoprenterShops(IRelayStore store)
{
    public const string Platform = "shoprenter";

    public static string KeyOf(string shopName) => ShopKeys.Of(Platform, shopName);

    private static string RecordKey(string shopKey) => StoreKeys.ShopItem(shopKey, "shoprenter");

    /// <summary>
    /// A shop name as Shoprenter sends it: the first label of its myshoprenter.hu address, so lower-case
    /// letters, digits and hyphens. Anything else is refused before it becomes a key or a host name.
    /// </summary>
    public static bool IsShopName(string? value) =>
        !string.IsNullOrEmpty(value) && value.Length <= 63 && value[0] != '-' && value[^1] != '-'
        && value.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '-');

    public async Task<ShoprenterShopRecord?> GetAsync(string shopKey)
    {
        var json = await store.GetAsync(RecordKey(shopKey));
        return json is null ? null : JsonSerializer.Deserialize<ShoprenterShopRecord>(json, JsonDefaults.Options);
    }

    public Task SaveAsync(string shopKey, ShoprenterShopRecord record) =>
        store.SetAsync(RecordKey(shopKey), JsonSerializer.Serialize(record, JsonDefaults.Options));
}

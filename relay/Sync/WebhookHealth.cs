using System.Text.Json;
using Relay.Storage;

namespace Relay.Sync;

/// <summary>The state names a platform reports its webhooks in; its own words are mapped onto these.</summary>
public static class WebhookState
{
    /// <summary>Delivering.</summary>
    public const string Healthy = "healthy";
    /// <summary>Failing lately; the shop still tries.</summary>
    public const string Degraded = "degraded";
    /// <summary>The shop has stopped delivering for now.</summary>
    public const string Suspended = "suspended";
    /// <summary>Switched off: nothing arrives until it is switched on again.</summary>
    public const string Disabled = "disabled";
}

/// <summary>One of the relay's webhooks in a shop as the shop last reported it.</summary>
/// <param name="Name">The shop's name for it.</param>
/// <param name="Event">The event it delivers.</param>
/// <param name="State">One of <see cref="WebhookState"/>.</param>
/// <param name="Failures">Failed deliveries in a row, as far as the shop counts them.</param>
/// <param name="Since">When it entered a state other than healthy, where the shop says.</param>
/// <param name="Note">Why it stays in that state, when the relay cannot change it (it is the shop owner's to switch on).</param>
/// <param name="RevivedAt">When the relay last switched it back on.</param>
public sealed record WebhookHealth(
    string Name, string? Event, string State, int Failures, DateTimeOffset? Since = null, string? Note = null, DateTimeOffset? RevivedAt = null);

/// <summary>A shop's webhooks as its platform last checked them (with the reconciliation), and how it could tell.</summary>
/// <param name="Detailed">True when the shop reports health per webhook; false when it only says on or off.</param>
public sealed record WebhookHealthReport(DateTimeOffset CheckedAt, bool Detailed, IReadOnlyList<WebhookHealth> Webhooks);

/// <summary>
/// The last webhook health report of each shop, for its status view. Platforms write it when they check
/// their webhooks; reading it costs the shop no API call.
/// </summary>
public sealed class ShopWebhookHealth(IRelayStore store)
{
    private static string Key(string shopKey) => StoreKeys.ShopItem(shopKey, "webhook-health");

    public Task SaveAsync(string shopKey, WebhookHealthReport report) =>
        store.SetAsync(Key(shopKey), JsonSerializer.Serialize(report, JsonDefaults.Options));

    public async Task<WebhookHealthReport?> GetAsync(string shopKey) =>
        await store.GetAsync(Key(shopKey)) is { } json ? JsonSerializer.Deserialize<WebhookHealthReport>(json, JsonDefaults.Options) : null;
}

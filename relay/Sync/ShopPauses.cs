using System.Text.Json;
using Relay.Pipeline;
using Relay.Storage;

namespace Relay.Sync;

/// <summary>
/// What the relay does in a shop, as far as the shop can take permission for it away. A platform that
/// learns which permissions the merchant granted says which of these lack one (<see cref="ShopPauses"/>);
/// the engine then pauses just that part instead of letting its calls fail.
/// </summary>
public static class ShopFeature
{
    /// <summary>Reading customers and subscribers: forwarding shop events, the full sync, reconciliation's re-sends.</summary>
    public const string ReadContacts = "readContacts";

    /// <summary>Writing unsubscribes and hard bounces from the marketing system into the shop (pull-back).</summary>
    public const string WriteOptOuts = "writeOptOuts";

    /// <summary>Finding the relay's own webhooks in the shop and switching them back on.</summary>
    public const string WebhookUpkeep = "webhookUpkeep";

    /// <summary>Reading orders: order events, the order sync, purchase figures and the orders a till books.</summary>
    public const string ReadOrders = "readOrders";

    /// <summary>Writing products, variants, categories and stock into the shop (a till's catalog).</summary>
    public const string WriteCatalog = "writeCatalog";

    /// <summary>What the feature does, for messages (the admin page has its own translations).</summary>
    public static string Describe(string feature) => feature switch
    {
        ReadContacts => "Reading customers and subscribers from the shop",
        WriteOptOuts => "Writing unsubscribes and bounces into the shop",
        WebhookUpkeep => "Switching the relay's webhooks back on",
        ReadOrders => "Reading orders from the shop",
        WriteCatalog => "Writing products and stock into the shop",
        _ => feature,
    };
}

/// <summary>A paused feature of one shop: the permissions it lacks (as the platform names them) and since when.</summary>
public sealed record FeaturePause(string Feature, IReadOnlyList<string> Missing, DateTimeOffset Since)
{
    public string Reason =>
        $"{ShopFeature.Describe(Feature)} is paused: the shop no longer grants the relay {string.Join(", ", Missing)}. It resumes when the merchant grants it again.";
}

/// <summary>A shop's feature is paused; work that needs it waits instead of failing (the queue keeps the event).</summary>
public sealed class FeaturePausedException(FeaturePause pause) : WaitingException(pause.Reason)
{
    public FeaturePause Pause { get; } = pause;
}

/// <summary>
/// Each shop's paused features, one document per shop. The platform replaces the whole set whenever the
/// shop reports its permissions; a report older than the one applied is ignored (deliveries can overtake
/// each other). Nothing is dropped while paused: events wait in the queue, scheduled jobs skip and say why.
/// </summary>
public sealed class ShopPauses(IRelayStore store, TimeProvider time)
{
    private sealed record Document(DateTimeOffset AsOf, IReadOnlyList<FeaturePause> Pauses);

    private static string Key(string shopKey) => StoreKeys.ShopItem(shopKey, "pauses");

    public async Task<IReadOnlyList<FeaturePause>> ListAsync(string shopKey) =>
        (await ReadAsync(shopKey))?.Pauses ?? [];

    /// <summary>
    /// Pauses the features in <paramref name="missing"/> (feature → the permissions it lacks) and resumes all
    /// others, as the shop reported at <paramref name="asOf"/>. A feature that stays paused keeps its
    /// <see cref="FeaturePause.Since"/>. Returns the features that paused and resumed with this report.
    /// </summary>
    public async Task<(IReadOnlyList<FeaturePause> Paused, IReadOnlyList<FeaturePause> Resumed)> ApplyAsync(
        string shopKey, IReadOnlyDictionary<string, IReadOnlyList<string>> missing, DateTimeOffset asOf)
    {
        var before = await ReadAsync(shopKey);
        if (before is not null && before.AsOf > asOf) return ([], []);
        var old = (before?.Pauses ?? []).ToDictionary(p => p.Feature, StringComparer.Ordinal);
        var now = time.GetUtcNow();
        var pauses = missing.Where(m => m.Value.Count > 0).OrderBy(m => m.Key, StringComparer.Ordinal)
            .Select(m => new FeaturePause(m.Key, m.Value, old.TryGetValue(m.Key, out var kept) ? kept.Since : now))
            .ToList();
        await store.SetAsync(Key(shopKey), JsonSerializer.Serialize(new Document(asOf, pauses), JsonDefaults.Options));
        var paused = pauses.Where(p => !old.ContainsKey(p.Feature)).ToList();
        var resumed = old.Values.Where(p => pauses.All(n => n.Feature != p.Feature)).ToList();
        return (paused, resumed);
    }

    private async Task<Document?> ReadAsync(string shopKey) =>
        await store.GetAsync(Key(shopKey)) is { } json ? JsonSerializer.Deserialize<Document>(json, JsonDefaults.Options) : null;
}

using System.Text.Json;
using Relay.Mapping;
using Relay.Secrets;
using Relay.Storage;
using Relay.Sync;
using Relay.Targets;

namespace Relay.Settings;

/// <summary>
/// A shop's connection to its till and how the point-of-sale flows run: one versioned document beside
/// the marketing settings, so a shop can have a marketing system and a till at once.
/// </summary>
public sealed record PosSettings
{
    public const int MinPollSeconds = 2;

    public int Version { get; init; }
    public DateTimeOffset? UpdatedAt { get; init; }

    /// <summary>Which till and how to reach it (<see cref="IPosProvider.Kind"/>); credentials encrypted at rest, never returned.</summary>
    public TargetSettings? Till { get; init; }

    /// <summary>Off while the merchant sets up: nothing is pulled or booked.</summary>
    public bool Enabled { get; init; }

    public bool SyncProducts { get; init; } = true;
    public bool SyncStock { get; init; } = true;
    public bool SyncOrders { get; init; } = true;

    public OverwriteOnUpdate Overwrite { get; init; } = new();

    /// <summary>Further till fields onto shop product fields or custom fields (targets: the catalog's fields; sources: the till's).</summary>
    public FieldMapping ProductFields { get; init; } = new();
    public StockCalculation StockCalculation { get; init; } = StockCalculation.FreeMinusReserved;

    /// <summary>The shop stops selling an article at zero stock (Shopware: isCloseout). Off: the shop shows the stock but keeps selling.</summary>
    public bool ManageStock { get; init; } = true;

    /// <summary>Shop order statuses whose orders go to the till, as the platform's order reader names them (<see cref="Orders.ShopOrder.StatusId"/>: "payment:paid", "order:completed"…).</summary>
    public IReadOnlyList<string> OrderStatuses { get; init; } = ["payment:paid"];

    /// <summary>Book web orders as invoices instead of orders.</summary>
    public bool OrdersAsInvoice { get; init; }

    /// <summary>The till's customer number all web orders are booked on; null: find or create each customer by e-mail.</summary>
    public long? DefaultDebtor { get; init; }

    /// <summary>Shop payment method (its name as the shop shows it, any case) → the till's payment method.</summary>
    public IReadOnlyDictionary<string, string> PaymentMethods { get; init; } = new Dictionary<string, string>();

    /// <summary>Seconds between pulls from the till; <see cref="MinPollSeconds"/> is the tightest.</summary>
    public int PollSeconds { get; init; } = 60;

    public PosOrderOptions OrderOptions => new(OrdersAsInvoice, DefaultDebtor, PaymentMethods);

    public TargetAccount? TillAccountFor(string shopKey) => Till is { } till ? till.ToAccount(shopKey) with { AccountId = $"{shopKey}/pos/{till.Kind}" } : null;
}

/// <summary>Reads and writes a shop's <see cref="PosSettings"/>; the till's credentials are encrypted on the way in.</summary>
public sealed class PosSettingsStore(IRelayStore store, SecretProtector secrets, TimeProvider time)
{
    private static string Key(string shopKey) => StoreKeys.ShopItem(shopKey, "pos:settings");

    public async Task<PosSettings> GetAsync(string shopKey)
    {
        var settings = await GetWithoutCredentialsAsync(shopKey, keepCiphertexts: true);
        return settings.Till is { } till ? settings with { Till = ShopSettingsStore.Decrypt(till, secrets) } : settings;
    }

    /// <summary>The saved settings with the credentials' names but not their values: readable whatever the keys.</summary>
    public Task<PosSettings> GetWithoutCredentialsAsync(string shopKey) => GetWithoutCredentialsAsync(shopKey, keepCiphertexts: false);

    private async Task<PosSettings> GetWithoutCredentialsAsync(string shopKey, bool keepCiphertexts)
    {
        var json = await store.GetAsync(Key(shopKey));
        if (json is null) return new PosSettings();
        var settings = JsonSerializer.Deserialize<PosSettings>(json, JsonDefaults.Options)!;
        // The names stay (the page shows which are set); the values do not.
        return keepCiphertexts || settings.Till is not { } till ? settings : settings with { Till = till.MapCredentials(_ => "") };
    }

    public async Task<(SaveOutcome Outcome, PosSettings Settings)> SaveAsync(string shopKey, PosSettings settings, int expectedVersion)
    {
        var current = await GetAsync(shopKey);
        if (current.Version != expectedVersion) return (SaveOutcome.VersionConflict, current);
        var saved = settings with { Version = current.Version + 1, UpdatedAt = time.GetUtcNow() };
        var stored = saved.Till is { } till ? saved with { Till = till.MapCredentials(secrets.Protect) } : saved;
        await store.SetAsync(Key(shopKey), JsonSerializer.Serialize(stored, JsonDefaults.Options));
        return (SaveOutcome.Saved, saved);
    }
}

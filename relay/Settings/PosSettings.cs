using Relay.Mapping;
using Relay.Sync;
using Relay.Targets;

namespace Relay.Settings;

/// <summary>
/// A shop's connection to its till and how the point-of-sale flows run: one versioned document beside
/// the marketing settings, so a shop can have a marketing system and a till at once.
/// </summary>
public sealed record PosSettings : ISettingsDocument<PosSettings>
{
    public const int MinPollSeconds = 2;

    public int Version { get; init; }
    public DateTimeOffset? UpdatedAt { get; init; }

    /// <summary>Which till and how to reach it (<see cref="IPosProvider.Kind"/>); credentials encrypted at rest, never returned.</summary>
    public TargetSettings? Till { get; init; }

    TargetSettings? ISettingsDocument<PosSettings>.Account => Till;
    PosSettings ISettingsDocument<PosSettings>.WithAccount(TargetSettings? account) => this with { Till = account };
    PosSettings ISettingsDocument<PosSettings>.AsSaved(int version, DateTimeOffset at) => this with { Version = version, UpdatedAt = at };

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

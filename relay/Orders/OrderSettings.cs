namespace Relay.Orders;

/// <summary>
/// How a shop's orders go to an order-keeping target; saved with the shop's settings. Off until the
/// merchant pairs statuses and switches it on.
/// </summary>
public sealed record OrderSettings
{
    public bool Enabled { get; init; }

    /// <summary>Shop status id → target status id. A shop status missing here is unpaired: its orders wait, never guessed.</summary>
    public IReadOnlyDictionary<string, string> StatusPairs { get; init; } = new Dictionary<string, string>();

    /// <summary>
    /// The shop statuses from which an order is sent (only paid ones, say). Empty: every paired status.
    /// An order sent once is kept up to date whatever its later status.
    /// </summary>
    public IReadOnlyList<string> SendFrom { get; init; } = [];

    /// <summary>"HH:mm" in the shop's time zone when changes are synced every night; null: no nightly sync.</summary>
    public string? NightlyAt { get; init; }
}

using System.Text.Json.Serialization;

namespace Simulators.Shopware;

/// <summary>
/// Counts every change to a simulated customer or newsletter recipient, made through the API or by a
/// test setting a property: the Admin API keeps a search's sorted matches only while it is unchanged.
/// </summary>
public static class ShopwareEntityChanges
{
    private static long _version;

    public static long Version => Interlocked.Read(ref _version);

    internal static void Record() => Interlocked.Increment(ref _version);
}

/// <summary>A customer as the Admin API returns it (the fields a contact sync reads).</summary>
public sealed class SimulatedCustomer
{
    public string Id { get; init; } = ShopwareIds.New();
    public required string Email { get; set { field = value; ShopwareEntityChanges.Record(); } }
    public string? FirstName { get; set { field = value; ShopwareEntityChanges.Record(); } }
    public string? LastName { get; set { field = value; ShopwareEntityChanges.Record(); } }
    public string? SalutationId { get; set { field = value; ShopwareEntityChanges.Record(); } }
    public string SalesChannelId { get; set { field = value; ShopwareEntityChanges.Record(); } } = ShopwareIds.DefaultSalesChannel;
    public string LanguageId { get; set { field = value; ShopwareEntityChanges.Record(); } } = ShopwareIds.DefaultLanguage;
    public string? CustomerNumber { get; set { field = value; ShopwareEntityChanges.Record(); } }
    public bool Guest { get; set { field = value; ShopwareEntityChanges.Record(); } }
    public bool Active { get; set { field = value; ShopwareEntityChanges.Record(); } } = true;
    public DateTimeOffset CreatedAt { get; set { field = value; ShopwareEntityChanges.Record(); } }
    public DateTimeOffset? UpdatedAt { get; set { field = value; ShopwareEntityChanges.Record(); } }
    [JsonPropertyName("apiAlias")] public string ApiAlias => "customer";
}

/// <summary>A newsletter_recipient row. Status is one of notSet, optIn, direct, optOut.</summary>
public sealed class SimulatedNewsletterRecipient
{
    public string Id { get; init; } = ShopwareIds.New();
    public required string Email { get; set { field = value; ShopwareEntityChanges.Record(); } }
    public string? Title { get; set { field = value; ShopwareEntityChanges.Record(); } }
    public string? FirstName { get; set { field = value; ShopwareEntityChanges.Record(); } }
    public string? LastName { get; set { field = value; ShopwareEntityChanges.Record(); } }
    public string Status { get; set { field = value; ShopwareEntityChanges.Record(); } } = "direct";
    public string Hash { get; set { field = value; ShopwareEntityChanges.Record(); } } = ShopwareIds.New();
    public DateTimeOffset? ConfirmedAt { get; set { field = value; ShopwareEntityChanges.Record(); } }
    public string? SalutationId { get; set { field = value; ShopwareEntityChanges.Record(); } }
    public string LanguageId { get; set { field = value; ShopwareEntityChanges.Record(); } } = ShopwareIds.DefaultLanguage;
    public string SalesChannelId { get; set { field = value; ShopwareEntityChanges.Record(); } } = ShopwareIds.DefaultSalesChannel;
    public DateTimeOffset CreatedAt { get; set { field = value; ShopwareEntityChanges.Record(); } }
    public DateTimeOffset? UpdatedAt { get; set { field = value; ShopwareEntityChanges.Record(); } }
    [JsonPropertyName("apiAlias")] public string ApiAlias => "newsletter_recipient";
}

/// <summary>
/// A row of Shopware's webhook table with its health (the 6.8 health model: healthy, degraded, suspended,
/// disabled). The health fields are not on the DAL entity, so a search does not show them; <see cref="Active"/>
/// is the legacy mirror: true while healthy or degraded. Older Shopware sets Active=false after ten failed deliveries.
/// </summary>
public sealed class SimulatedWebhook
{
    public string Id { get; init; } = ShopwareIds.New();
    public required string Name { get; init; }
    public required string EventName { get; init; }
    public required string Url { get; init; }

    public bool Active
    {
        get => EndpointState is WebhookHealthStates.Healthy or WebhookHealthStates.Degraded;
        set
        {
            if (value == Active) return;
            EndpointState = value ? WebhookHealthStates.Healthy : WebhookHealthStates.Disabled;
            DisabledOrigin = value ? null : WebhookHealthStates.Escalation;
        }
    }

    public int ErrorCount { get; set; }
    public string? AppId { get; init; }
    public bool OnlyLiveVersion { get; init; }
    [JsonPropertyName("apiAlias")] public string ApiAlias => "webhook";

    [JsonIgnore] public string EndpointState { get; set; } = WebhookHealthStates.Healthy;
    [JsonIgnore] public DateTimeOffset? SuspendedSince { get; set; }
    [JsonIgnore] public DateTimeOffset? DisabledSince { get; set; }
    /// <summary>operator (the merchant switched it off: apps may not undo it) or escalation (suspended too long).</summary>
    [JsonIgnore] public string? DisabledOrigin { get; set; }
}

public static class WebhookHealthStates
{
    public const string Healthy = "healthy";
    public const string Degraded = "degraded";
    public const string Suspended = "suspended";
    public const string Disabled = "disabled";
    public const string Operator = "operator";
    public const string Escalation = "escalation";
}

public static class ShopwareIds
{
    public const string DefaultSalesChannel = "98432def39fc4624b33213a56b8c944d";
    public const string DefaultLanguage = "2fbb5fe2e29a4d70aa5854ce7ce3e20b";

    /// <summary>Shopware ids are UUIDs as 32 lowercase hex characters.</summary>
    public static string New() => Guid.NewGuid().ToString("N");
}

using Relay.Mapping;

namespace Relay.Sync;

/// <summary>A page of shop records and the total the shop reported (null when it does not say).</summary>
public sealed record ShopPage(IReadOnlyList<ShopRecord> Records, long? Total);

/// <summary>
/// The shop side of the sync, one implementation per platform: read customers and subscribers as
/// canonical <see cref="ShopRecord"/>s, and write the two things the relay ever writes into a shop,
/// an opt-out and a hard bounce. Platform API failures surface as the platform's own exceptions;
/// <see cref="SyncFailures"/> sorts them into retry or dead letter.
/// </summary>
public interface IShopContacts
{
    /// <summary>"shopware", "shoper": the platform part of a shop key.</summary>
    string Platform { get; }

    /// <summary>The largest page the shop's API serves (Shopware: api.max_limit, 500 by default; Shoper: 50). The target client splits it into its own batches.</summary>
    int PageSize { get; }

    /// <summary>How the platform stamps its times: the zone of zone-less ones and how far they may be off (<see cref="ConsentPolicy.OptInIsClearlyNewer"/>).</summary>
    PartnerClock Clock { get; }

    Task<IReadOnlyList<ShopRecord>> GetAsync(string shopKey, ShopRecordKind kind, IReadOnlyList<string> ids, CancellationToken ct);

    /// <summary>One page (1-based) in a stable order, so a stored page number resumes where it stopped.</summary>
    Task<ShopPage> ReadPageAsync(string shopKey, ShopRecordKind kind, int page, CancellationToken ct);

    /// <summary>Customers with these addresses: a subscriber borrows its customer's number or id when that is the unique key.</summary>
    Task<IReadOnlyList<ShopRecord>> FindCustomersByEmailAsync(string shopKey, IReadOnlyList<string> emails, CancellationToken ct);

    /// <summary>Addresses subscribed or waiting for confirmation: what SARE is asked about, having no change feed.</summary>
    IAsyncEnumerable<string> SubscribedEmailsAsync(string shopKey, CancellationToken ct);

    /// <summary>
    /// Opts the address out of the shop's newsletter. Returns how many subscriptions changed (0: none
    /// was active). Only records whose own address is this one are touched (<see cref="WriteBackGuard"/>),
    /// whatever the shop's search returned.
    /// </summary>
    Task<int> OptOutAsync(string shopKey, string email, CancellationToken ct);
}

/// <summary>Finds the <see cref="IShopContacts"/> of a shop key's platform.</summary>
public sealed class ShopPlatforms(IEnumerable<IShopContacts> platforms)
{
    private readonly Dictionary<string, IShopContacts> _byPlatform = platforms.ToDictionary(p => p.Platform, StringComparer.Ordinal);

    public static string PlatformOf(string shopKey) => shopKey[..Math.Max(0, shopKey.IndexOf(':'))];

    public static string ShopIdOf(string shopKey) => shopKey[(shopKey.IndexOf(':') + 1)..];

    public IShopContacts? For(string shopKey) => _byPlatform.GetValueOrDefault(PlatformOf(shopKey));

    public IEnumerable<IShopContacts> All => _byPlatform.Values;
}

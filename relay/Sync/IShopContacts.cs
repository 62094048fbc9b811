using Relay.Mapping;

namespace Relay.Sync;

/// <summary>A page of shop records and the total the shop reported (null when it does not say).</summary>
public sealed record ShopPage(IReadOnlyList<ShopRecord> Records, long? Total);

/// <summary>
/// The shop side of the sync, one implementation per platform (<see cref="Platforms.IPlatform.Contacts"/>):
/// read customers and subscribers as canonical <see cref="ShopRecord"/>s, and write the two things the
/// relay ever writes into a shop, an opt-out and a hard bounce. Platform API failures surface as the
/// platform's own <see cref="Platforms.ShopApiException"/>s; <see cref="SyncFailures"/> sorts them into
/// retry or dead letter.
/// </summary>
public interface IShopContacts
{
    /// <summary>The largest page the shop's API serves (hundreds on some platforms, tens on others). The target client splits it into its own batches.</summary>
    int PageSize { get; }

    /// <summary>How the platform stamps its times: the zone of zone-less ones and how far they may be off (<see cref="ConsentPolicy.OptInIsClearlyNewer"/>).</summary>
    PartnerClock Clock { get; }

    Task<IReadOnlyList<ShopRecord>> GetAsync(string shopKey, ShopRecordKind kind, IReadOnlyList<string> ids, CancellationToken ct);

    /// <summary>One page (1-based) in a stable order, so a stored page number resumes where it stopped.</summary>
    Task<ShopPage> ReadPageAsync(string shopKey, ShopRecordKind kind, int page, CancellationToken ct);

    /// <summary>Customers with these addresses: a subscriber borrows its customer's number or id when that is the unique key.</summary>
    Task<IReadOnlyList<ShopRecord>> FindCustomersByEmailAsync(string shopKey, IReadOnlyList<string> emails, CancellationToken ct);

    /// <summary>Addresses subscribed or waiting for confirmation: what a target without a change feed is asked about (<see cref="Targets.ITargetProvider.PullsByAddress"/>).</summary>
    IAsyncEnumerable<string> SubscribedEmailsAsync(string shopKey, CancellationToken ct);

    /// <summary>
    /// Opts the address out of the shop's newsletter. Returns how many subscriptions changed (0: none
    /// was active). Only records whose own address is this one are touched (<see cref="WriteBackGuard"/>),
    /// whatever the shop's search returned.
    /// </summary>
    Task<int> OptOutAsync(string shopKey, string email, CancellationToken ct);
}

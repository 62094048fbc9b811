using System.Globalization;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.Options;
using Relay.Mapping;
using Relay.Settings;
using Relay.Sync;

namespace Relay.Platforms.Shoper;

/// <summary>
/// Shoper's REST API as the sync's shop side: customers are "users", consent lives in
/// "subscribers" (users.newsletter is read-only), pages hold at most 50, and the client paces
/// itself into the shop's leaky bucket shared by all instances. Its times are zone-less wall-clock
/// times of the shop's zone (<see cref="ShoperOptions.TimeZone"/>, or the shop's own setting).
/// </summary>
public sealed class ShoperContacts(IServiceProvider services, IOptions<ShoperOptions> options, ShopSettingsStore settings, ILogger<ShoperContacts> logger) : IShopContacts
{
    public int PageSize => ShoperClient.MaxPageSize;
    public PartnerClock Clock => options.Value.Clock;

    private ShoperClient Client => services.GetRequiredService<ShoperClient>();

    /// <summary>The zone this shop writes its times in: its own setting, else Shoper's (Europe/Warsaw).</summary>
    public async Task<TimeZoneInfo> ZoneOfAsync(string shopKey) =>
        ZonelessTime.Zone((await settings.GetWithoutCredentialsAsync(shopKey)).TimeZone ?? options.Value.TimeZone);

    public async Task<IReadOnlyList<ShopRecord>> GetAsync(string shopKey, ShopRecordKind kind, IReadOnlyList<string> ids, CancellationToken ct)
    {
        var records = new List<ShopRecord>();
        var zone = await ZoneOfAsync(shopKey);
        foreach (var chunk in ids.Distinct().Chunk(PageSize))
        {
            if (kind == ShopRecordKind.Customer)
            {
                var page = await Client.ListUsersAsync(shopKey, 1, PageSize, In("user_id", chunk), ct);
                records.AddRange(page.List.Select(u => ToRecord(u, zone)));
            }
            else
            {
                var page = await Client.ListSubscribersAsync(shopKey, 1, PageSize, In("subscriber_id", chunk), ct);
                records.AddRange(page.List.Select(s => ToRecord(s, zone)));
            }
        }
        return records;
    }

    public async Task<ShopPage> ReadPageAsync(string shopKey, ShopRecordKind kind, int page, CancellationToken ct)
    {
        var zone = await ZoneOfAsync(shopKey);
        if (kind == ShopRecordKind.Customer)
        {
            var users = await Client.ListUsersAsync(shopKey, page, PageSize, ct: ct);
            return new ShopPage(users.List.Select(u => ToRecord(u, zone)).ToList(), users.Count);
        }
        var subscribers = await Client.ListSubscribersAsync(shopKey, page, PageSize, ct: ct);
        return new ShopPage(subscribers.List.Select(s => ToRecord(s, zone)).ToList(), subscribers.Count);
    }

    public async Task<IReadOnlyList<ShopRecord>> FindCustomersByEmailAsync(string shopKey, IReadOnlyList<string> emails, CancellationToken ct)
    {
        var records = new List<ShopRecord>();
        var zone = await ZoneOfAsync(shopKey);
        foreach (var chunk in emails.Distinct(StringComparer.Ordinal).Chunk(PageSize))
            records.AddRange((await Client.ListUsersAsync(shopKey, 1, PageSize, In("email", chunk), ct)).List.Select(u => ToRecord(u, zone)));
        return records;
    }

    public async IAsyncEnumerable<string> SubscribedEmailsAsync(string shopKey, [EnumeratorCancellation] CancellationToken ct)
    {
        for (var page = 1; ; page++)
        {
            var result = await Client.ListSubscribersAsync(shopKey, page, PageSize, ct: ct);
            foreach (var subscriber in result.List)
                if (subscriber.Active && subscriber.Email is { } email) yield return email;
            if (page >= result.Pages || result.List.Count < PageSize) yield break;
        }
    }

    public async Task<int> OptOutAsync(string shopKey, string email, CancellationToken ct)
    {
        var client = Client;
        var filter = new Dictionary<string, object?> { ["email"] = email.Trim() };
        var changed = 0;
        for (var page = 1; ; page++)
        {
            var found = await client.ListSubscribersAsync(shopKey, page, PageSize, filter, ct);
            var own = WriteBackGuard.OnlyAddress(found.List, s => s.Email, email, shopKey, logger);
            foreach (var subscriber in own.Where(s => s.Active))
            {
                await client.DeactivateSubscriberAsync(shopKey, subscriber.SubscriberId, ct);
                changed++;
            }
            // A shop that applied the filter answered with this address alone; one that ignored it is read to the end,
            // so the opt-out still reaches the subscriber wherever the list has it.
            if (own.Count == found.List.Count || page >= found.Pages || found.List.Count == 0) return changed;
        }
    }

    private static Dictionary<string, object?> In(string field, IEnumerable<string> values) =>
        new() { [field] = new Dictionary<string, object?> { ["in"] = values.ToArray() } };

    public static ShopRecord ToRecord(ShoperUser user, TimeZoneInfo zone) => new()
    {
        Kind = ShopRecordKind.Customer,
        Id = user.UserId,
        Fields = new Dictionary<string, string?>
        {
            [ShopFields.Id] = user.UserId,
            [ShopFields.Email] = user.Email,
            [ShopFields.FirstName] = user.Firstname,
            [ShopFields.LastName] = user.Lastname,
            [ShopFields.CreatedAt] = ZonelessTime.Read(user.DateAdd, zone)?.ToString("O", CultureInfo.InvariantCulture),
            ["languageId"] = user.LangId,
            ["groupId"] = user.GroupId,
        },
    };

    /// <summary>
    /// Shoper's subscribers know only active or not. Active counts as an explicit subscription at
    /// dateadd, read in the shop's zone: the only time Shoper gives, so a subscription from before a
    /// target's opt-out never outranks it, and an edit (groups, language) is no new opt-in.
    /// </summary>
    public static ShopRecord ToRecord(ShoperSubscriber subscriber, TimeZoneInfo zone)
    {
        var added = ZonelessTime.Read(subscriber.DateAdd, zone) ?? DateTimeOffset.UnixEpoch;
        return new ShopRecord
        {
            Kind = ShopRecordKind.Subscriber,
            Id = subscriber.SubscriberId,
            Fields = new Dictionary<string, string?>
            {
                [ShopFields.Id] = subscriber.SubscriberId,
                [ShopFields.Email] = subscriber.Email,
                [ShopFields.CreatedAt] = added.ToString("O", CultureInfo.InvariantCulture),
                ["languageId"] = subscriber.LangId,
            },
            Consent = subscriber.Active
                ? new ShopConsent(ConsentState.Subscribed, added, Confirmed: true)
                : new ShopConsent(ConsentState.Unsubscribed, added),
        };
    }
}

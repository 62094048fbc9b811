using System.Globalization;
using System.Runtime.CompilerServices;
using Relay.Mapping;
using Relay.Platforms.Shoper;

namespace Relay.Sync.Platforms;

/// <summary>
/// Shoper's REST API as the sync's shop side: customers are "users", consent lives in
/// "subscribers" (users.newsletter is read-only), pages hold at most 50, and the client paces
/// itself into the shop's leaky bucket shared by all instances.
/// </summary>
public sealed class ShoperContacts(IServiceProvider services) : IShopContacts
{
    public string Platform => ShoperShops.Platform;
    public int PageSize => ShoperClient.MaxPageSize;

    private ShoperClient Client => services.GetRequiredService<ShoperClient>();

    public async Task<IReadOnlyList<ShopRecord>> GetAsync(string shopKey, ShopRecordKind kind, IReadOnlyList<string> ids, CancellationToken ct)
    {
        var records = new List<ShopRecord>();
        foreach (var chunk in ids.Distinct().Chunk(PageSize))
        {
            if (kind == ShopRecordKind.Customer)
            {
                var page = await Client.ListUsersAsync(shopKey, 1, PageSize, In("user_id", chunk), ct);
                records.AddRange(page.List.Select(ToRecord));
            }
            else
            {
                var page = await Client.ListSubscribersAsync(shopKey, 1, PageSize, In("subscriber_id", chunk), ct);
                records.AddRange(page.List.Select(ToRecord));
            }
        }
        return records;
    }

    public async Task<ShopPage> ReadPageAsync(string shopKey, ShopRecordKind kind, int page, CancellationToken ct)
    {
        if (kind == ShopRecordKind.Customer)
        {
            var users = await Client.ListUsersAsync(shopKey, page, PageSize, ct: ct);
            return new ShopPage(users.List.Select(ToRecord).ToList(), users.Count);
        }
        var subscribers = await Client.ListSubscribersAsync(shopKey, page, PageSize, ct: ct);
        return new ShopPage(subscribers.List.Select(ToRecord).ToList(), subscribers.Count);
    }

    public async Task<IReadOnlyList<ShopRecord>> FindCustomersByEmailAsync(string shopKey, IReadOnlyList<string> emails, CancellationToken ct)
    {
        var records = new List<ShopRecord>();
        foreach (var chunk in emails.Distinct(StringComparer.Ordinal).Chunk(PageSize))
            records.AddRange((await Client.ListUsersAsync(shopKey, 1, PageSize, In("email", chunk), ct)).List.Select(ToRecord));
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
        var found = await client.ListSubscribersAsync(shopKey, 1, PageSize, new Dictionary<string, object?> { ["email"] = email.Trim() }, ct);
        var changed = 0;
        foreach (var subscriber in found.List.Where(s => s.Active))
        {
            await client.DeactivateSubscriberAsync(shopKey, subscriber.SubscriberId, ct);
            changed++;
        }
        return changed;
    }

    private static Dictionary<string, object?> In(string field, IEnumerable<string> values) =>
        new() { [field] = new Dictionary<string, object?> { ["in"] = values.ToArray() } };

    public static ShopRecord ToRecord(ShoperUser user) => new()
    {
        Kind = ShopRecordKind.Customer,
        Id = user.UserId,
        Fields = new Dictionary<string, string?>
        {
            [ShopFields.Id] = user.UserId,
            [ShopFields.Email] = user.Email,
            [ShopFields.FirstName] = user.Firstname,
            [ShopFields.LastName] = user.Lastname,
            [ShopFields.CreatedAt] = ShoperTime(user.DateAdd)?.ToString("O", CultureInfo.InvariantCulture),
            ["languageId"] = user.LangId,
            ["groupId"] = user.GroupId,
        },
    };

    /// <summary>
    /// Shoper's subscribers know only active or not. Active counts as an explicit subscription at
    /// dateadd: the only time Shoper gives, so a subscription from before a target's opt-out never
    /// outranks it.
    /// </summary>
    public static ShopRecord ToRecord(ShoperSubscriber subscriber)
    {
        var added = ShoperTime(subscriber.DateAdd) ?? DateTimeOffset.UnixEpoch;
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

    /// <summary>Zone-less "YYYY-MM-DD HH:MM:SS" in the shop's time (Polish shops: Europe/Warsaw), read as UTC: an hour or two off at most.</summary>
    private static DateTimeOffset? ShoperTime(string? text) =>
        DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t) ? t : null;
}

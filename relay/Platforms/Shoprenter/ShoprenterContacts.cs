using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Relay.Mapping;
using Relay.Settings;
using Relay.Sync;

namespace Relay.Platforms.Shoprenter;

/// <summary>
/// Shoprenter's REST API as the sync's shop side: customers are "customers", consent lives in
/// "newsletterSubscribers" (status 0/1), pages hold at most 200 and start at 0, and every call is paced
/// into the shop's 3-a-second budget. Ids are Shoprenter's base64 resource ids. Its times are zone-less
/// wall-clock times of the shop's zone (<see cref="ShoprenterOptions.TimeZone"/>, or the shop's own setting).
/// </summary>
public sealed class ShoprenterContacts(IServiceProvider services, IOptions<ShoprenterOptions> options, ShopSettingsStore settings, ILogger<ShoprenterContacts> logger) : IShopContacts
{
    public const string Customers = "customers";
    public const string Subscribers = "newsletterSubscribers";

    public int PageSize => ShoprenterClient.MaxPageSize;
    public PartnerClock Clock => options.Value.Clock;

    private ShoprenterClient Client => services.GetRequiredService<ShoprenterClient>();

    /// <summary>The zone this shop writes its times in: its own setting, else Shoprenter's (Europe/Budapest).</summary>
    public async Task<TimeZoneInfo> ZoneOfAsync(string shopKey) =>
        ZonelessTime.Zone((await settings.GetWithoutCredentialsAsync(shopKey)).TimeZone ?? options.Value.TimeZone);

    public static string ResourceOf(ShopRecordKind kind) => kind == ShopRecordKind.Customer ? Customers : Subscribers;

    public async Task<IReadOnlyList<ShopRecord>> GetAsync(string shopKey, ShopRecordKind kind, IReadOnlyList<string> ids, CancellationToken ct)
    {
        var zone = await ZoneOfAsync(shopKey);
        return (await Client.GetManyAsync(shopKey, ResourceOf(kind), ids, ct)).Select(row => ToRecord(kind, row, zone)).ToList();
    }

    public async Task<ShopPage> ReadPageAsync(string shopKey, ShopRecordKind kind, int page, CancellationToken ct)
    {
        var zone = await ZoneOfAsync(shopKey);
        var client = Client;
        var result = await client.ListAsync(shopKey, ResourceOf(kind), page - 1, PageSize, ct: ct);
        var records = result.Items.Select(row => ToRecord(kind, row, zone)).ToList();
        return new ShopPage(records, page == 1 ? await TotalAsync(shopKey, kind, result, client, ct) : null);
    }

    /// <summary>
    /// Lists carry no count: the last page's number (last.href) and one look at that page, hrefs only,
    /// give it. Asked once per full sync, for its progress.
    /// </summary>
    private async Task<long?> TotalAsync(string shopKey, ShopRecordKind kind, ShoprenterPage first, ShoprenterClient client, CancellationToken ct)
    {
        if (!first.HasNext) return first.Items.Count;
        if (first.LastPage is not { } last || last <= 0) return null;
        var lastPage = await client.ListAsync(shopKey, ResourceOf(kind), last, PageSize, full: false, ct: ct);
        return (long)last * PageSize + lastPage.Items.Count;
    }

    public async Task<IReadOnlyList<ShopRecord>> FindCustomersByEmailAsync(string shopKey, IReadOnlyList<string> emails, CancellationToken ct)
    {
        var zone = await ZoneOfAsync(shopKey);
        var client = Client;
        var records = new List<ShopRecord>();
        // The email filter takes one address: one call each, paced like every other.
        foreach (var email in emails.Distinct(StringComparer.Ordinal))
        {
            var page = await client.ListAsync(shopKey, Customers, 0, filters: new Dictionary<string, string> { ["email"] = email }, ct: ct);
            records.AddRange(WriteBackGuard.OnlyAddress(page.Items, row => JsonFields.Str(row, "email"), email, shopKey, logger)
                .Select(row => ToRecord(ShopRecordKind.Customer, row, zone)));
        }
        return records;
    }

    public async IAsyncEnumerable<string> SubscribedEmailsAsync(string shopKey, [EnumeratorCancellation] CancellationToken ct)
    {
        var client = Client;
        var filter = new Dictionary<string, string> { ["status"] = "1" };
        for (var page = 0; ; page++)
        {
            var result = await client.ListAsync(shopKey, Subscribers, page, filters: filter, ct: ct);
            foreach (var row in result.Items)
                if (IsSubscribed(row) && JsonFields.Str(row, "email") is { } email) yield return email;
            if (!result.HasNext || result.Items.Count == 0) yield break;
        }
    }

    public async Task<int> OptOutAsync(string shopKey, string email, CancellationToken ct)
    {
        var client = Client;
        var filter = new Dictionary<string, string> { ["email"] = email.Trim() };
        var changed = 0;
        for (var page = 0; ; page++)
        {
            var found = await client.ListAsync(shopKey, Subscribers, page, filters: filter, ct: ct);
            var own = WriteBackGuard.OnlyAddress(found.Items, row => JsonFields.Str(row, "email"), email, shopKey, logger);
            foreach (var row in own.Where(IsSubscribed))
            {
                await client.UnsubscribeAsync(shopKey, JsonFields.Str(row, "id")!, ct);
                changed++;
            }
            // A shop that applied the filter answered with this address alone; one that ignored it is read to
            // the end, so the opt-out still reaches the subscriber wherever the list has it.
            if (own.Count == found.Items.Count || !found.HasNext || found.Items.Count == 0) return changed;
        }
    }

    private static bool IsSubscribed(JsonElement row) => JsonFields.Str(row, "status") == "1" && JsonFields.Str(row, "blacklisted") != "1";

    /// <summary>A customers or newsletterSubscribers row (REST, batch or full=1 list) as the relay's record.</summary>
    public static ShopRecord ToRecord(ShopRecordKind kind, JsonElement row, TimeZoneInfo zone)
    {
        var id = JsonFields.Str(row, "id") ?? "";
        var created = ZonelessTime.Read(JsonFields.Str(row, "dateCreated"), zone);
        var updated = ZonelessTime.Read(JsonFields.Str(row, "dateUpdated"), zone);
        var fields = new Dictionary<string, string?>
        {
            [ShopFields.Id] = id,
            [ShopFields.Email] = JsonFields.Str(row, "email"),
            [ShopFields.FirstName] = JsonFields.Str(row, "firstname"),
            [ShopFields.LastName] = JsonFields.Str(row, "lastname"),
            [ShopFields.Phone] = JsonFields.Str(row, kind == ShopRecordKind.Customer ? "telephone" : "phone"),
            [ShopFields.CreatedAt] = created?.ToString("O", CultureInfo.InvariantCulture),
            [ShopFields.UpdatedAt] = updated?.ToString("O", CultureInfo.InvariantCulture),
        };
        if (kind == ShopRecordKind.Customer)
        {
            fields["innerId"] = JsonFields.Str(row, "innerId");
            fields["newsletter"] = JsonFields.Str(row, "newsletter");
            return new ShopRecord { Kind = kind, Id = id, Fields = fields };
        }
        fields["dateSubscribed"] = JsonFields.Str(row, "dateSubscribed");
        return new ShopRecord { Kind = kind, Id = id, Fields = fields, Consent = ConsentOf(row, zone) };
    }

    /// <summary>
    /// Status 1 (and not blacklisted) is an explicit subscription at dateSubscribed, when the person
    /// subscribed; anything else is an opt-out at dateUpdated, when it last changed.
    /// </summary>
    private static ShopConsent ConsentOf(JsonElement row, TimeZoneInfo zone)
    {
        var created = ZonelessTime.Read(JsonFields.Str(row, "dateCreated"), zone) ?? DateTimeOffset.UnixEpoch;
        return IsSubscribed(row)
            ? new ShopConsent(ConsentState.Subscribed, ZonelessTime.Read(JsonFields.Str(row, "dateSubscribed"), zone) ?? created, Confirmed: true)
            : new ShopConsent(ConsentState.Unsubscribed, ZonelessTime.Read(JsonFields.Str(row, "dateUpdated"), zone) ?? created);
    }
}

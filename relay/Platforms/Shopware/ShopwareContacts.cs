using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Relay.Mapping;
using Relay.Sync;

namespace Relay.Platforms.Shopware;

/// <summary>
/// Shopware's Admin API as the sync's shop side. Customers carry no consent since 6.5 (it lives in
/// newsletter_recipient, matched by address). Rows are read as raw JSON so every field the shop
/// returns, custom fields included, can be a mapping source.
/// </summary>
public sealed class ShopwareContacts(IServiceProvider services, IOptions<ShopwareOptions> options, ILogger<ShopwareContacts> logger) : IShopContacts
{
    public int PageSize => options.Value.SearchPageSize;
    public PartnerClock Clock => ShopwareShops.Clock;

    // A typed HttpClient: transient, so taken per use rather than held by this singleton.
    private ShopwareAdminClient Client => services.GetRequiredService<ShopwareAdminClient>();

    private static string Entity(ShopRecordKind kind) => kind == ShopRecordKind.Customer ? "customer" : "newsletter-recipient";

    private async Task<ShopwareApiAccess> AccessAsync(ShopwareAdminClient client, string shopKey) =>
        await client.AccessForAsync(ShopPlatforms.ShopIdOf(shopKey))
        ?? throw new ShopNotReachableException($"The Shopware shop {shopKey} has no confirmed Admin API access; the app may need a reinstall.");

    public async Task<IReadOnlyList<ShopRecord>> GetAsync(string shopKey, ShopRecordKind kind, IReadOnlyList<string> ids, CancellationToken ct)
    {
        if (ids.Count == 0) return [];
        var client = Client;
        var access = await AccessAsync(client, shopKey);
        var result = await client.SearchAsync<JsonElement>(access, Entity(kind),
            new ShopwareCriteria { Limit = Math.Max(ids.Count, 1), Filter = [ShopwareFilter.EqualsAny("id", [.. ids])] }, ct);
        return result.Data.Select(row => ToRecord(kind, row)).ToList();
    }

    public async Task<ShopPage> ReadPageAsync(string shopKey, ShopRecordKind kind, int page, CancellationToken ct)
    {
        var client = Client;
        var access = await AccessAsync(client, shopKey);
        // createdAt then id: a stable order, so new rows land at the end and a resumed page number still points where it did.
        var result = await client.SearchAsync<JsonElement>(access, Entity(kind), new ShopwareCriteria
        {
            Page = page,
            Limit = PageSize,
            Sort = [new ShopwareSort("createdAt"), new ShopwareSort("id")],
        }, ct);
        return new ShopPage(result.Data.Select(row => ToRecord(kind, row)).ToList(), result.Total);
    }

    public async Task<IReadOnlyList<ShopRecord>> FindCustomersByEmailAsync(string shopKey, IReadOnlyList<string> emails, CancellationToken ct)
    {
        if (emails.Count == 0) return [];
        var client = Client;
        var access = await AccessAsync(client, shopKey);
        // Room for two customers per address (a guest order and an account), within the page limit the shop allows.
        var found = new List<ShopRecord>(emails.Count);
        foreach (var chunk in emails.Chunk(Math.Max(PageSize / 2, 1)))
        {
            var result = await client.SearchAsync<JsonElement>(access, "customer",
                new ShopwareCriteria { Limit = chunk.Length * 2, Filter = [ShopwareFilter.EqualsAny("email", [.. chunk])] }, ct);
            found.AddRange(result.Data.Select(row => ToRecord(ShopRecordKind.Customer, row)));
        }
        return found;
    }

    public async IAsyncEnumerable<string> SubscribedEmailsAsync(string shopKey, [EnumeratorCancellation] CancellationToken ct)
    {
        var client = Client;
        var access = await AccessAsync(client, shopKey);
        var criteria = new ShopwareCriteria
        {
            Limit = 500,
            TotalCountMode = 0,
            Filter = [ShopwareFilter.EqualsAny("status", ShopwareNewsletterStatus.OptIn, ShopwareNewsletterStatus.Direct, ShopwareNewsletterStatus.NotSet)],
            Sort = [new ShopwareSort("createdAt"), new ShopwareSort("id")],
        };
        await foreach (var row in client.SearchAllAsync<JsonElement>(access, "newsletter-recipient", criteria, ct))
            if (Str(row, "email") is { } email) yield return email;
    }

    public async Task<int> OptOutAsync(string shopKey, string email, CancellationToken ct)
    {
        var client = Client;
        var access = await AccessAsync(client, shopKey);
        // One address can be a recipient in several sales channels; every one of them opts out.
        var result = await client.SearchAsync<JsonElement>(access, "newsletter-recipient",
            new ShopwareCriteria { Limit = 100, Filter = [ShopwareFilter.EqualTo("email", email.Trim())] }, ct);
        var changed = 0;
        foreach (var row in WriteBackGuard.OnlyAddress(result.Data, r => Str(r, "email"), email, shopKey, logger))
        {
            if (Str(row, "status") == ShopwareNewsletterStatus.OptOut || Str(row, "id") is not { } id) continue;
            await client.SetNewsletterStatusAsync(access, id, ShopwareNewsletterStatus.OptOut, ct);
            changed++;
        }
        return changed;
    }

    public static ShopRecord ToRecord(ShopRecordKind kind, JsonElement row)
    {
        var fields = new Dictionary<string, string?>(StringComparer.Ordinal)
        {
            [ShopFields.Id] = Str(row, "id"),
            [ShopFields.Email] = Str(row, "email"),
            [ShopFields.FirstName] = Str(row, "firstName"),
            [ShopFields.LastName] = Str(row, "lastName"),
            [ShopFields.Title] = Str(row, "title"),
            [ShopFields.CreatedAt] = Str(row, "createdAt"),
            [ShopFields.UpdatedAt] = Str(row, "updatedAt"),
            ["languageId"] = Str(row, "languageId"),
            ["salesChannelId"] = Str(row, "salesChannelId"),
        };
        if (kind == ShopRecordKind.Customer)
        {
            fields[ShopFields.CustomerNumber] = Str(row, "customerNumber");
            fields[ShopFields.Company] = Str(row, "company");
            fields[ShopFields.Birthday] = Str(row, "birthday");
            // Present only when the shop returns the association; the relay does not request it yet.
            if (row.TryGetProperty("defaultBillingAddress", out var address) && address.ValueKind == JsonValueKind.Object)
            {
                fields[ShopFields.Street] = Str(address, "street");
                fields[ShopFields.PostalCode] = Str(address, "zipcode");
                fields[ShopFields.City] = Str(address, "city");
                fields[ShopFields.Phone] = Str(address, "phoneNumber");
                fields[ShopFields.Company] ??= Str(address, "company");
                if (address.TryGetProperty("country", out var country) && country.ValueKind == JsonValueKind.Object)
                    fields[ShopFields.Country] = Str(country, "iso");
            }
        }
        else
        {
            fields[ShopFields.Street] = Str(row, "street");
            fields[ShopFields.PostalCode] = Str(row, "zipCode");
            fields[ShopFields.City] = Str(row, "city");
        }
        if (row.TryGetProperty("customFields", out var custom) && custom.ValueKind == JsonValueKind.Object)
            foreach (var p in custom.EnumerateObject())
                fields[ShopFields.CustomFieldPrefix + p.Name] = p.Value.ValueKind switch
                {
                    JsonValueKind.String => p.Value.GetString(),
                    JsonValueKind.Null or JsonValueKind.Undefined => null,
                    _ => p.Value.GetRawText(),
                };

        return new ShopRecord
        {
            Kind = kind,
            Id = Str(row, "id") ?? "",
            Fields = fields,
            Consent = kind == ShopRecordKind.Subscriber ? ConsentOf(row) : null,
        };
    }

    /// <summary>
    /// optIn is a confirmed double opt-in (at confirmedAt); direct is a subscription the person made
    /// without double opt-in, explicit too; notSet waits for confirmation; optOut is unsubscribed.
    /// </summary>
    public static ShopConsent? ConsentOf(JsonElement row)
    {
        var changed = Time(row, "updatedAt") ?? Time(row, "createdAt") ?? DateTimeOffset.UnixEpoch;
        return Str(row, "status") switch
        {
            ShopwareNewsletterStatus.OptIn => new ShopConsent(ConsentState.Subscribed, Time(row, "confirmedAt") ?? changed, Confirmed: true),
            ShopwareNewsletterStatus.Direct => new ShopConsent(ConsentState.Subscribed, changed, Confirmed: true),
            ShopwareNewsletterStatus.NotSet => new ShopConsent(ConsentState.Unconfirmed, changed),
            ShopwareNewsletterStatus.OptOut => new ShopConsent(ConsentState.Unsubscribed, changed),
            _ => null,
        };
    }

    private static DateTimeOffset? Time(JsonElement row, string name) =>
        Str(row, name) is { } text && DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t) ? t : null;

    private static string? Str(JsonElement obj, string name) => JsonFields.Str(obj, name);
}

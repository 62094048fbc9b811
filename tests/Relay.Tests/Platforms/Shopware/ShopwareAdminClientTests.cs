using System.Net;
using Relay.Platforms.Shopware;
using Simulators.Shopware;

namespace Relay.Tests.Platforms.Shopware;

/// <summary>Protocol §2: the Admin API client against the simulated shop.</summary>
public sealed class ShopwareAdminClientTests
{
    private static async Task<(ShopwareTestbed Bed, ShopwareAdminClient Client, ShopwareApiAccess Access)> InstalledAsync(
        string shopPath = "", Dictionary<string, string?>? settings = null)
    {
        var bed = await ShopwareTestbed.StartAsync(shopPath: shopPath, settings: settings);
        await bed.InstallAsync();
        var client = bed.AdminClient();
        var access = await client.AccessForAsync(bed.Shop.ShopId);
        Assert.NotNull(access);
        return (bed, client, access!);
    }

    [Fact]
    public async Task Token_is_fetched_once_and_reused_until_shortly_before_expiry()
    {
        var (bed, client, access) = await InstalledAsync();
        await using var _ = bed;
        bed.Shop.Api.AddCustomer(new SimulatedCustomer { Email = "a@example.com" });

        await client.SearchCustomersAsync(access, new ShopwareCriteria());
        await client.SearchCustomersAsync(access, new ShopwareCriteria());
        Assert.Equal(1, bed.Shop.Api.TokenRequests);

        bed.Time.Advance(TimeSpan.FromSeconds(600 - 31));
        await client.SearchCustomersAsync(access, new ShopwareCriteria());
        Assert.Equal(1, bed.Shop.Api.TokenRequests);

        bed.Time.Advance(TimeSpan.FromSeconds(2));
        await client.SearchCustomersAsync(access, new ShopwareCriteria());
        Assert.Equal(2, bed.Shop.Api.TokenRequests);
    }

    [Fact]
    public async Task Revoked_token_is_renewed_once_on_401()
    {
        var (bed, client, access) = await InstalledAsync();
        await using var _ = bed;
        await client.SearchCustomersAsync(access, new ShopwareCriteria());

        bed.Shop.Api.RevokeTokens();
        var result = await client.SearchCustomersAsync(access, new ShopwareCriteria());

        Assert.Equal(0, result.Total);
        Assert.Equal(2, bed.Shop.Api.TokenRequests);
    }

    [Fact]
    public async Task Persistent_401_is_reported_after_one_renewal()
    {
        var (bed, client, access) = await InstalledAsync();
        await using var _ = bed;

        bed.Shop.Api.FailNext(401, 2);
        var error = await Assert.ThrowsAsync<ShopwareApiException>(() => client.SearchCustomersAsync(access, new ShopwareCriteria()));

        Assert.Equal(HttpStatusCode.Unauthorized, error.Status);
        Assert.False(error.IsTransient);
        Assert.Equal(2, bed.Shop.Api.TokenRequests);
    }

    [Fact]
    public async Task Rejected_integration_credentials_are_reported_without_revealing_them()
    {
        var (bed, client, access) = await InstalledAsync();
        await using var _ = bed;

        var error = await Assert.ThrowsAsync<ShopwareApiException>(() =>
            client.SearchCustomersAsync(access with { SecretKey = "wrong-secret-key" }, new ShopwareCriteria()));

        Assert.Equal(HttpStatusCode.Unauthorized, error.Status);
        Assert.DoesNotContain("wrong-secret-key", error.Message);
        Assert.DoesNotContain("wrong-secret-key", access.ToString());
    }

    [Fact]
    public async Task Search_customers_pages_by_page_and_limit_with_exact_total()
    {
        var (bed, client, access) = await InstalledAsync();
        await using var _ = bed;
        for (var i = 0; i < 250; i++)
            bed.Shop.Api.AddCustomer(new SimulatedCustomer { Email = $"c{i:D3}@example.com", Active = i % 10 != 0 });

        var page2 = await client.SearchCustomersAsync(access, new ShopwareCriteria { Page = 2, Limit = 100 });
        Assert.Equal(250, page2.Total);
        Assert.Equal(100, page2.Data.Count);
        Assert.Equal("c100@example.com", page2.Data[0].Email);

        var all = new List<ShopwareCustomer>();
        await foreach (var c in client.SearchAllAsync<ShopwareCustomer>(access, "customer", new ShopwareCriteria { Limit = 100 }))
            all.Add(c);
        Assert.Equal(250, all.Select(c => c.Id).Distinct().Count());

        var active = await client.SearchCustomersAsync(access, new ShopwareCriteria { Limit = 500, Filter = [ShopwareFilter.EqualTo("active", true)] });
        Assert.Equal(225, active.Total);
        Assert.All(bed.Shop.Api.Requests.Where(r => r.Contains("/api/search")), r => Assert.Equal("POST /api/search/customer", r));
    }

    [Fact]
    public async Task Paging_through_1000_customers_reads_each_once_and_renews_a_token_revoked_midway()
    {
        var (bed, client, access) = await InstalledAsync();
        await using var _ = bed;
        for (var i = 0; i < 1000; i++)
            bed.Shop.Api.AddCustomer(new SimulatedCustomer { Email = $"c{i:D4}@example.com" });

        var ids = new List<string>();
        await foreach (var customer in client.SearchAllAsync<ShopwareCustomer>(access, "customer", new ShopwareCriteria { Limit = 100 }))
        {
            ids.Add(customer.Id);
            if (ids.Count == 500) bed.Shop.Api.RevokeTokens(); // the shop drops the token between two pages
        }

        Assert.Equal(1000, ids.Count);
        Assert.Equal(1000, ids.Distinct().Count());
        Assert.Equal(bed.Shop.Api.Customers.Select(c => c.Id).Order(), ids.Order());
        // 10 full pages and the empty one that ends the walk; page 6 once refused (401) and once repeated.
        Assert.Equal(12, bed.Shop.Api.Requests.Count(r => r == "POST /api/search/customer"));
        Assert.Equal(2, bed.Shop.Api.TokenRequests);
    }

    [Fact]
    public async Task Search_newsletter_recipients_by_status()
    {
        var (bed, client, access) = await InstalledAsync();
        await using var _ = bed;
        bed.Shop.Api.AddNewsletterRecipient(new SimulatedNewsletterRecipient { Email = "in@example.com", Status = "optIn" });
        bed.Shop.Api.AddNewsletterRecipient(new SimulatedNewsletterRecipient { Email = "direct@example.com", Status = "direct" });
        bed.Shop.Api.AddNewsletterRecipient(new SimulatedNewsletterRecipient { Email = "out@example.com", Status = "optOut" });

        var subscribed = await client.SearchNewsletterRecipientsAsync(access, new ShopwareCriteria
        {
            Filter = [ShopwareFilter.EqualsAny("status", ShopwareNewsletterStatus.OptIn, ShopwareNewsletterStatus.Direct)],
        });

        Assert.Equal(2, subscribed.Total);
        Assert.All(subscribed.Data, r => Assert.True(ShopwareNewsletterStatus.IsSubscribed(r.Status)));
    }

    [Fact]
    public async Task Patch_newsletter_recipient_status_to_opt_out()
    {
        var (bed, client, access) = await InstalledAsync();
        await using var _ = bed;
        var recipient = bed.Shop.Api.AddNewsletterRecipient(new SimulatedNewsletterRecipient { Email = "leaving@example.com", Status = "optIn" });

        await client.SetNewsletterStatusAsync(access, recipient.Id, ShopwareNewsletterStatus.OptOut);

        Assert.Equal("optOut", bed.Shop.Api.NewsletterRecipients.Single().Status);
        Assert.Contains($"PATCH /api/newsletter-recipient/{recipient.Id}", bed.Shop.Api.Requests);
        await Assert.ThrowsAsync<ArgumentException>(() => client.SetNewsletterStatusAsync(access, recipient.Id, "unsubscribed"));
    }

    [Fact]
    public async Task A_429_and_a_503_are_waited_out_and_retried_to_the_answer()
    {
        var (bed, client, access) = await InstalledAsync();
        await using var _ = bed;
        bed.Shop.Api.AddCustomer(new SimulatedCustomer { Email = "a@example.com" });

        bed.Shop.Api.FailNext(429);
        Assert.Equal(1, (await client.SearchCustomersAsync(access, new ShopwareCriteria())).Total);
        bed.Shop.Api.FailNext(503);
        Assert.Equal(1, (await client.SearchCustomersAsync(access, new ShopwareCriteria())).Total);

        Assert.Equal(2, bed.Shop.Api.Faults.Served);
        Assert.Equal(4, bed.Shop.Api.Requests.Count(r => r == "POST /api/search/customer"));
    }

    [Fact]
    public async Task Rate_limited_and_failing_shop_surfaces_transient_errors_with_retry_after()
    {
        // Without the outbound chain's own retries, what the pipeline's retry schedule gets to see.
        var (bed, client, access) = await InstalledAsync(settings: new() { ["Shopware:Http:MaxRetryAttempts"] = "0" });
        await using var _ = bed;
        bed.Shop.Api.RateLimit = (2, TimeSpan.FromSeconds(10));

        await client.SearchCustomersAsync(access, new ShopwareCriteria());
        await client.SearchCustomersAsync(access, new ShopwareCriteria());
        var limited = await Assert.ThrowsAsync<ShopwareApiException>(() => client.SearchCustomersAsync(access, new ShopwareCriteria()));
        Assert.Equal(HttpStatusCode.TooManyRequests, limited.Status);
        Assert.True(limited.IsTransient);
        Assert.Equal(TimeSpan.FromSeconds(10), limited.RetryAfter);

        bed.Time.Advance(TimeSpan.FromSeconds(10));
        bed.Shop.Api.FailNext(503);
        var unavailable = await Assert.ThrowsAsync<ShopwareApiException>(() => client.SearchCustomersAsync(access, new ShopwareCriteria()));
        Assert.True(unavailable.IsTransient);
        await client.SearchCustomersAsync(access, new ShopwareCriteria());
    }

    [Fact]
    public async Task Deactivated_own_webhooks_are_re_enabled_and_foreign_ones_left_alone()
    {
        var (bed, client, access) = await InstalledAsync();
        await using var _ = bed;
        var off = bed.Shop.Api.AddWebhook(new SimulatedWebhook { Name = "customerWritten", EventName = "customer.written", Url = "http://localhost/shopware/webhook", Active = false });
        var on = bed.Shop.Api.AddWebhook(new SimulatedWebhook { Name = "nlConfirm", EventName = "newsletter.confirm", Url = "http://localhost/shopware/webhook" });
        var foreign = bed.Shop.Api.AddWebhook(new SimulatedWebhook { Name = "other", EventName = "customer.written", Url = "https://other-app.example/hook", Active = false });

        var own = await client.ListOwnWebhooksAsync(access);
        var reactivated = await client.ReactivateOwnWebhooksAsync(access);

        Assert.Equal(2, own.Count);
        Assert.Equal(1, reactivated);
        Assert.True(off.Active);
        Assert.True(on.Active);
        Assert.False(foreign.Active);
    }

    [Fact]
    public async Task Shop_under_a_path_with_trailing_slash_is_called_without_double_slashes()
    {
        var (bed, client, access) = await InstalledAsync(shopPath: "/staging/");
        await using var _ = bed;
        bed.Shop.Api.AddCustomer(new SimulatedCustomer { Email = "a@example.com" });

        var result = await client.SearchCustomersAsync(access, new ShopwareCriteria());

        Assert.EndsWith("/staging/", access.ShopUrl);
        Assert.Equal(1, result.Total);
        Assert.DoesNotContain(bed.Shop.Api.Requests, r => r.Contains("//"));
    }
}

using Relay.Platforms.Shoper;
using Relay.Storage;
using Relay.Storage.Embedded;

namespace Relay.Tests.Platforms.Shoper;

/// <summary>Protocol §4 and §6: listing, consent writes, bulk, and staying inside the shop's leaky bucket.</summary>
[Collection(ShoperTestbed.Collection)]
public sealed class ShoperClientTests
{
    [Fact]
    public async Task Users_are_listed_page_by_page_with_string_ids_and_zero_one_booleans()
    {
        await using var bed = await ShoperTestbed.StartAsync();
        await bed.InstallAsync();
        for (var i = 0; i < 120; i++)
            bed.Shop.SeedUser($"user{i}@example.com", active: i % 3 != 0, newsletter: i % 2 == 0);
        var client = bed.ShoperClient();

        var pages = new List<ShoperPage<ShoperUser>>();
        for (var page = 1; pages.Count == 0 || page <= pages[^1].Pages; page++)
            pages.Add(await client.ListUsersAsync(bed.ShopKey, page, 50));

        Assert.Equal([50, 50, 20], pages.Select(p => p.List.Count));
        Assert.All(pages, p => Assert.Equal(120, p.Count));
        Assert.Equal([1, 2, 3], pages.Select(p => p.Page));
        var users = pages.SelectMany(p => p.List).ToList();
        Assert.Equal(120, users.Select(u => u.UserId).Distinct().Count());
        var expected = bed.Shop.Users.Values.ToDictionary(u => u.UserId);
        Assert.All(users, u =>
        {
            Assert.Equal(expected[u.UserId].Email, u.Email);
            Assert.Equal(expected[u.UserId].Active, u.Active);
            Assert.Equal(expected[u.UserId].Newsletter, u.Newsletter);
            Assert.Equal("1", u.GroupId);
        });
        Assert.All(bed.Shop.Requests.Where(r => r.Path == "/webapi/rest/users"), r => Assert.Contains("limit=50", r.Query));
    }

    [Fact]
    public async Task Filters_travel_as_one_json_query_parameter()
    {
        await using var bed = await ShoperTestbed.StartAsync();
        await bed.InstallAsync();
        bed.Shop.SeedSubscriber("anna@example.com");
        bed.Shop.SeedSubscriber("piotr@example.com", active: false);
        bed.Shop.SeedUser("anna@example.com", newsletter: true);
        bed.Shop.SeedUser("jan@example.com", newsletter: false);
        var client = bed.ShoperClient();

        var byEmail = await client.ListSubscribersAsync(bed.ShopKey, filters: new Dictionary<string, object?> { ["email"] = "piotr@example.com" });
        var inactive = await client.ListSubscribersAsync(bed.ShopKey, filters: new Dictionary<string, object?> { ["active"] = new Dictionary<string, object?> { ["="] = 0 } });
        var newsletter = await client.ListUsersAsync(bed.ShopKey, filters: new Dictionary<string, object?> { ["newsletter"] = 1 });

        var piotr = Assert.Single(byEmail.List);
        Assert.False(piotr.Active);
        Assert.Equal(1, byEmail.Count);
        Assert.Equal("piotr@example.com", Assert.Single(inactive.List).Email);
        Assert.Equal("anna@example.com", Assert.Single(newsletter.List).Email);
        Assert.Contains(bed.Shop.Requests, r => r.Query.Contains("filters=%7B%22email%22%3A%22piotr%40example.com%22%7D"));
    }

    [Fact]
    public async Task Page_and_limit_outside_shopers_bounds_are_refused_before_any_call()
    {
        await using var bed = await ShoperTestbed.StartAsync();
        await bed.InstallAsync();
        var client = bed.ShoperClient();

        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => client.ListUsersAsync(bed.ShopKey, page: 0));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => client.ListUsersAsync(bed.ShopKey, limit: 51));
        Assert.DoesNotContain(bed.Shop.Requests, r => r.Path == "/webapi/rest/users");
    }

    [Fact]
    public async Task Unsubscribing_puts_active_false_on_the_subscriber()
    {
        await using var bed = await ShoperTestbed.StartAsync();
        await bed.InstallAsync();
        var id = bed.Shop.SeedSubscriber("anna@example.com");

        await bed.ShoperClient().DeactivateSubscriberAsync(bed.ShopKey, id);

        Assert.False(bed.Shop.Subscribers[id].Active);
        Assert.Contains(bed.Shop.Requests, r => r.Method == "PUT" && r.Path == $"/webapi/rest/subscribers/{id}" && r.Status == 200);
    }

    [Fact]
    public async Task A_404_is_reported_with_its_status_and_error_code()
    {
        await using var bed = await ShoperTestbed.StartAsync();
        await bed.InstallAsync();

        var error = await Assert.ThrowsAsync<ShoperApiException>(() => bed.ShoperClient().DeactivateSubscriberAsync(bed.ShopKey, "424242"));

        Assert.Equal(404, error.StatusCode);
        Assert.Equal("not_found", error.Error);
    }

    [Fact]
    public async Task A_429_waits_for_retry_after_and_then_succeeds()
    {
        await using var bed = await ShoperTestbed.StartAsync();
        await bed.InstallAsync();
        bed.Shop.SeedSubscriber("anna@example.com");
        bed.Shop.FailNext(429, retryAfterSeconds: 1);

        var page = await bed.ShoperClient().ListSubscribersAsync(bed.ShopKey);

        Assert.Single(page.List);
        Assert.Equal(1, bed.Shop.TooManyRequests);
        // The simulator answers 429 again to anything that comes back before Retry-After has passed.
        Assert.Equal(0, bed.Shop.EarlyRetries);
        Assert.Equal([429, 200], bed.Shop.Requests.Where(r => r.Path == "/webapi/rest/subscribers").Select(r => r.Status));
    }

    [Fact]
    public async Task Server_errors_are_retried_a_bounded_number_of_times()
    {
        await using var bed = await ShoperTestbed.StartAsync(settings: new() { ["Shoper:Http:MaxRetryAttempts"] = "2" });
        await bed.InstallAsync();
        bed.Shop.FailNext(503);
        var client = bed.ShoperClient();

        await client.ListSubscribersAsync(bed.ShopKey);
        bed.Shop.FailNext(503, times: 3);
        var error = await Assert.ThrowsAsync<ShoperApiException>(() => client.ListSubscribersAsync(bed.ShopKey));

        Assert.Equal(503, error.StatusCode);
        Assert.Equal([503, 200, 503, 503, 503], bed.Shop.Requests.Where(r => r.Path == "/webapi/rest/subscribers").Select(r => r.Status));
    }

    [Fact]
    public async Task Bulk_goes_out_in_calls_of_at_most_25_operations()
    {
        await using var bed = await ShoperTestbed.StartAsync();
        await bed.InstallAsync();
        var ids = Enumerable.Range(0, 60).Select(i => bed.Shop.SeedSubscriber($"s{i}@example.com")).ToList();
        var operations = ids.Select(id => new ShoperBulkOperation($"op-{id}", "PUT", $"/webapi/rest/subscribers/{id}", Body: new { active = false })).ToList();

        var results = await bed.ShoperClient().BulkAsync(bed.ShopKey, operations);

        Assert.Equal([25, 25, 10], bed.Shop.BulkSizes);
        Assert.Equal(operations.Select(o => o.Id), results.Select(r => r.Id));
        Assert.All(results, r => Assert.True(r.IsSuccess));
        Assert.All(ids, id => Assert.False(bed.Shop.Subscribers[id].Active));
    }

    [Fact]
    public async Task Bulk_reports_each_item_and_carries_list_params()
    {
        await using var bed = await ShoperTestbed.StartAsync();
        await bed.InstallAsync();
        bed.Shop.SeedSubscriber("anna@example.com");
        var operations = new List<ShoperBulkOperation>
        {
            new("list", "GET", "/webapi/rest/subscribers", Params: new Dictionary<string, object?> { ["limit"] = 50, ["page"] = 1, ["filters"] = "{\"email\":\"anna@example.com\"}" }),
            new("missing", "DELETE", "/webapi/rest/subscribers/999999"),
        };

        var results = await bed.ShoperClient().BulkAsync(bed.ShopKey, operations);

        Assert.Equal(200, results[0].Code);
        Assert.Equal("1", results[0].Body.GetProperty("count").GetString());
        Assert.Equal(404, results[1].Code);
        Assert.False(results[1].IsSuccess);
    }

    [Fact]
    public async Task Two_relay_instances_sharing_one_store_stay_inside_the_shops_bucket()
    {
        var shared = new EmbeddedRelayStore(TimeProvider.System, 4);
        void Bucket(Simulators.Shoper.ShoperSimulatorOptions o) { o.ApiLimit = 5; o.ApiBandwidth = 20; }
        await using var first = await ShoperTestbed.StartAsync(manualTime: false, shop: Bucket, sharedStore: shared);
        await first.InstallAsync();
        // The second instance talks to the same shop through the same store: same record, same bucket.
        await using var second = await ShoperTestbed.StartAsync(manualTime: false, shop: Bucket, sharedStore: shared);
        var secondClient = second.ShoperClient();
        var shopKey = first.ShopKey;
        Assert.NotNull(await second.RecordAsync());
        first.Shop.SeedSubscriber("anna@example.com");

        // Each instance works through its calls one after another, as a sync worker does; unpaced, two such
        // loops on loopback would send hundreds a second into a bucket of 5 draining 20 a second.
        await Task.WhenAll(CallsInSequence(first.ShoperClient(), shopKey, 20), CallsInSequence(secondClient, shopKey, 20));

        Assert.Equal(40, first.Shop.Requests.Count(r => r.Path == "/webapi/rest/subscribers" && r.Status == 200));
        Assert.Equal(0, first.Shop.TooManyRequests);
    }

    [Fact]
    public async Task Two_relay_instances_with_separate_stores_still_get_every_call_through()
    {
        // Misconfigured (no shared store), each instance paces alone: the shop's X-Shop-Api-Calls
        // feedback and the 429 retries have to carry them. Whether 429s happen depends on timing, so
        // only the outcome is asserted.
        void Bucket(Simulators.Shoper.ShoperSimulatorOptions o) { o.ApiLimit = 5; o.ApiBandwidth = 20; }
        await using var first = await ShoperTestbed.StartAsync(manualTime: false, shop: Bucket);
        await first.InstallAsync();
        var record = (await first.RecordAsync())!;
        await using var second = await ShoperTestbed.StartAsync(manualTime: false, shop: Bucket);
        await second.Get<ShoperShops>().SaveAsync(first.ShopKey, record);
        await second.Get<Relay.Shops.ShopDirectory>().SaveAsync((await first.InfoAsync())!);

        await Task.WhenAll(CallsInSequence(first.ShoperClient(), first.ShopKey, 15), CallsInSequence(second.ShoperClient(), first.ShopKey, 15));

        Assert.Equal(30, first.Shop.Requests.Count(r => r.Path == "/webapi/rest/subscribers" && r.Status == 200));
    }

    /// <summary>The shop's documented default bucket: 10 calls, draining 2 a second.</summary>
    internal static void DefaultBucket(Simulators.Shoper.ShoperSimulatorOptions o)
    {
        o.ApiLimit = 10;
        o.ApiBandwidth = 2;
    }

    /// <summary>
    /// Every page of subscribers at the largest page size, page p through clients[(p-1) % n] (a sync worker
    /// per relay instance taking turns); any 429 the client could not absorb would throw here.
    /// </summary>
    internal static async Task<List<string>> PageAllSubscribers(IReadOnlyList<ShoperClient> clients, string shopKey)
    {
        var ids = new List<string>();
        for (int page = 1, pages = 1; page <= pages; page++)
        {
            var result = await clients[(page - 1) % clients.Count].ListSubscribersAsync(shopKey, page, ShoperClient.MaxPageSize);
            pages = result.Pages;
            ids.AddRange(result.List.Select(s => s.SubscriberId));
        }
        return ids;
    }

    [Fact]
    public async Task Paging_5000_subscribers_through_a_bucket_of_10_draining_2_a_second_meets_no_429()
    {
        // The relay's pacing and the shop's bucket share one virtual clock that jumps over every wait:
        // ~50 s of bucket time run in a moment, and the bucket sees exactly the schedule the client kept.
        var clock = new Relay.Tests.Targets.VirtualTimeProvider();
        await using var bed = await ShoperTestbed.StartAsync(clock: clock, shop: DefaultBucket);
        await bed.InstallAsync();
        for (var i = 0; i < 5000; i++)
            bed.Shop.SeedSubscriber($"s{i:D4}@example.com");
        var started = clock.GetUtcNow();

        var ids = await PageAllSubscribers([bed.ShoperClient()], bed.ShopKey);

        Assert.Equal(5000, ids.Distinct().Count());
        var calls = bed.Shop.Requests.Where(r => r.Path == "/webapi/rest/subscribers").ToList();
        Assert.Equal(0, bed.Shop.TooManyRequests);
        Assert.Equal(0, calls.Count(c => c.Status == 429));
        // A call may be repeated when the jumping clock times out a request still in flight on a busy
        // machine; what the shop must never see is a 429.
        Assert.InRange(calls.Count(c => c.Status == 200), 100, 102);
        // 100 calls through a bucket of 10 draining 2 a second take at least 45 s: the client did wait, on the shared clock.
        Assert.True(clock.GetUtcNow() - started >= TimeSpan.FromSeconds(45), $"only {clock.GetUtcNow() - started} of bucket time passed");
    }

    [Fact]
    public async Task Calls_made_outside_the_relay_are_learnt_from_x_shop_api_calls_before_they_cause_a_429()
    {
        // Real time: the shop's bucket drains as it would. Only the absence of 429s is asserted, and a
        // slow machine can only make calls later, which never adds one.
        await using var bed = await ShoperTestbed.StartAsync(manualTime: false, shop: DefaultBucket);
        await bed.InstallAsync();
        bed.Shop.SeedSubscriber("anna@example.com");
        var client = bed.ShoperClient();

        // Something else with the app's access leaves room for one call, while the relay has most of its
        // burst left. Its first call goes at once; unless it believes the answer that the bucket is now
        // full, the next goes at once too and meets a 429.
        bed.Shop.SpendApiCalls(bed.Shop.Options.ApiLimit - 1 - bed.Shop.ApiBucketLevel);
        for (var i = 0; i < 3; i++)
            await client.ListSubscribersAsync(bed.ShopKey);

        Assert.Equal(0, bed.Shop.TooManyRequests);
        Assert.Equal(3, bed.Shop.Requests.Count(r => r.Path == "/webapi/rest/subscribers" && r.Status == 200));
    }

    private static async Task CallsInSequence(ShoperClient client, string shopKey, int count)
    {
        for (var i = 0; i < count; i++)
            await client.ListSubscribersAsync(shopKey);
    }

    [Fact]
    public async Task The_bucket_size_is_learnt_from_the_shops_headers_and_shared_through_the_store()
    {
        await using var bed = await ShoperTestbed.StartAsync(shop: o => { o.ApiLimit = 7; o.ApiBandwidth = 3; },
            settings: new() { ["Shoper:DefaultApiLimit"] = "10", ["Shoper:DefaultApiBandwidth"] = "2" });
        await bed.InstallAsync();

        await bed.ShoperClient().ListSubscribersAsync(bed.ShopKey);

        Assert.Equal("7,3", await bed.Get<IRelayStore>().GetAsync(StoreKeys.ShopItem(bed.ShopKey, "shoper:api-limits")));
    }
}

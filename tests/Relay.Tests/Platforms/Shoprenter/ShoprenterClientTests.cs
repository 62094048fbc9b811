using System.Net;
using System.Net.Http.Json;
using System.Text;
using Relay.Mapping;
using Relay.Platforms.Shoprenter;
using Relay.Tests.Infrastructure;
using Simulators.Shoprenter;

namespace Relay.Tests.Platforms.Shoprenter;

/// <summary>
/// The API side: one-hour client-credentials tokens asked for again, JSON asked for explicitly, 0-based
/// pages of up to 200 with full=1, the batch endpoint, 3 requests a second per shop shared by every
/// relay instance, and the deprecated Basic-auth API when the merchant chooses it.
/// </summary>
[Collection(ShoprenterTestbed.Collection)]
public sealed class ShoprenterClientTests
{
    [Fact]
    public async Task A_token_is_used_for_its_hour_and_asked_for_again_when_it_ends()
    {
        await using var bed = await ShoprenterTestbed.StartAsync();
        await bed.InstallAsync();
        var client = bed.ShoprenterClient();

        await client.ListAsync(bed.ShopKey, "customers", 0);
        await client.ListAsync(bed.ShopKey, "customers", 0);
        Assert.Equal(1, bed.Shop.TokenGrants);

        bed.ManualTime!.Advance(TimeSpan.FromMinutes(56));
        await client.ListAsync(bed.ShopKey, "customers", 0);

        Assert.Equal(2, bed.Shop.TokenGrants);
        Assert.DoesNotContain(bed.Shop.Read(s => s.Requests.ToList()), r => r.Status == 401);
    }

    [Fact]
    public async Task A_rejected_token_is_replaced_once_and_the_call_succeeds()
    {
        await using var bed = await ShoprenterTestbed.StartAsync();
        await bed.InstallAsync();
        bed.Shop.RevokeTokens();

        var page = await bed.ShoprenterClient().ListAsync(bed.ShopKey, "customers", 0);

        Assert.Empty(page.Items);
        Assert.Equal(2, bed.Shop.TokenGrants);
    }

    [Fact]
    public async Task A_shop_that_refuses_the_app_is_marked_for_reinstall_with_the_scope_approval_link()
    {
        await using var bed = await ShoprenterTestbed.StartAsync();
        await bed.InstallAsync();
        bed.Shop.RevokeTokens();
        bed.Shop.RefuseTokens = true;

        var e = await Assert.ThrowsAsync<ShoprenterAccessRefusedException>(() => bed.ShoprenterClient().ListAsync(bed.ShopKey, "customers", 0));

        Assert.True(e.IsPermanent);
        var info = await bed.InfoAsync();
        Assert.Equal(Relay.Shops.ShopStatus.NeedsReinstall, info!.Status);
        Assert.Contains("/admin/app/sim-client-id/approveScopes", info.StatusReason);
    }

    [Fact]
    public async Task Pages_start_at_0_hold_up_to_200_full_records_and_say_when_there_is_a_next()
    {
        await using var bed = await ShoprenterTestbed.StartAsync();
        await bed.InstallAsync();
        for (var i = 0; i < 450; i++) bed.Shop.SeedCustomer($"c{i:D3}@example.hu");
        var contacts = bed.Get<ShoprenterContacts>();

        var first = await contacts.ReadPageAsync(bed.ShopKey, ShopRecordKind.Customer, 1, CancellationToken.None);
        var third = await contacts.ReadPageAsync(bed.ShopKey, ShopRecordKind.Customer, 3, CancellationToken.None);

        Assert.Equal(200, first.Records.Count);
        Assert.Equal(450, first.Total);
        Assert.Equal("c000@example.hu", first.Records[0].Email);
        Assert.Equal(ShoprenterShopSimulator.CustomerId(1), first.Records[0].Id);
        Assert.Equal("+36201234567", first.Records[0].Field(ShopFields.Phone));
        Assert.Equal(50, third.Records.Count);
        var lists = bed.Shop.Read(s => s.Requests.Where(r => r.Path == "/customers").Select(r => r.Query).ToList());
        Assert.Contains(lists, q => q.Contains("page=0") && q.Contains("limit=200") && q.Contains("full=1"));
        Assert.Contains(lists, q => q.Contains("page=2"));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => bed.ShoprenterClient().ListAsync(bed.ShopKey, "customers", 0, 201));
    }

    [Fact]
    public async Task The_shop_answers_XML_without_Accept_and_refuses_a_call_without_Content_Type()
    {
        await using var bed = await ShoprenterTestbed.StartAsync();
        await bed.InstallAsync();
        using var http = new HttpClient();
        using var token = await http.PostAsJsonAsync(bed.Shop.TokenUrl.Replace("{shopName}", "demoshop"),
            new { grant_type = "client_credentials", client_id = "sim-client-id", client_secret = "sim-client-secret" });
        var access = (await token.Content.ReadFromJsonAsync<Dictionary<string, object>>())!["access_token"].ToString();
        var url = bed.Shop.ApiUrl.Replace("{shopName}", "demoshop") + "/customers";

        using var xml = new HttpRequestMessage(HttpMethod.Get, url) { Content = new StringContent("", Encoding.UTF8, "application/json") };
        xml.Headers.Authorization = new("Bearer", access);
        using var xmlAnswer = await http.SendAsync(xml);
        using var bare = new HttpRequestMessage(HttpMethod.Get, url);
        bare.Headers.Authorization = new("Bearer", access);
        bare.Headers.Accept.ParseAdd("application/json");
        using var bareAnswer = await http.SendAsync(bare);

        Assert.Equal("application/xml", xmlAnswer.Content.Headers.ContentType?.MediaType);
        Assert.StartsWith("<response>", await xmlAnswer.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.BadRequest, bareAnswer.StatusCode);
    }

    [Fact]
    public async Task Records_by_id_come_in_one_batch_and_ids_the_shop_lacks_are_left_out()
    {
        await using var bed = await ShoprenterTestbed.StartAsync();
        await bed.InstallAsync();
        var a = bed.Shop.SeedSubscriber("a@example.hu");
        var b = bed.Shop.SeedSubscriber("b@example.hu", subscribed: false);

        var records = await bed.Get<ShoprenterContacts>().GetAsync(bed.ShopKey, ShopRecordKind.Subscriber,
            [ShoprenterShopSimulator.SubscriberId(a), ShoprenterShopSimulator.SubscriberId(b), ShoprenterShopSimulator.SubscriberId(999)], CancellationToken.None);

        Assert.Equal(["a@example.hu", "b@example.hu"], records.Select(r => r.Email).Order());
        Assert.Equal(ConsentState.Subscribed, records.Single(r => r.Email == "a@example.hu").Consent!.State);
        Assert.Equal(ConsentState.Unsubscribed, records.Single(r => r.Email == "b@example.hu").Consent!.State);
        Assert.Equal([3], bed.Shop.Read(s => s.BatchSizes.ToList()));
    }

    [Fact]
    public async Task An_opt_out_is_PUT_status_0_on_the_subscriber_with_that_address_only()
    {
        await using var bed = await ShoprenterTestbed.StartAsync();
        await bed.InstallAsync();
        var anna = bed.Shop.SeedSubscriber("anna@example.hu");
        var bela = bed.Shop.SeedSubscriber("bela@example.hu");

        var changed = await bed.Get<ShoprenterContacts>().OptOutAsync(bed.ShopKey, " Anna@example.hu", CancellationToken.None);

        Assert.Equal(1, changed);
        Assert.False(bed.Shop.Read(s => s.Subscribers[anna].Subscribed));
        Assert.True(bed.Shop.Read(s => s.Subscribers[bela].Subscribed));
        Assert.Single(bed.Shop.Read(s => s.Requests.Where(r => r.Method == "PUT").ToList()));
    }

    [Fact]
    public async Task A_429_is_waited_out_and_retried()
    {
        // Only the two injected 429s count: the real clock on a busy machine can bunch paced calls into the
        // simulator's one-second window, which is another (legitimate) 429 this test is not about.
        await using var bed = await ShoprenterTestbed.StartAsync(o => o.RequestsPerSecond = 1000, time: TimeProvider.System);
        await bed.InstallAsync();
        bed.Shop.FailNext(429, times: 2);

        var page = await bed.ShoprenterClient().ListAsync(bed.ShopKey, "customers", 0);

        Assert.Empty(page.Items);
        Assert.Equal(2, bed.Shop.Read(s => s.Requests.Count(r => r.Status == 429)));
    }

    [Fact]
    public async Task The_shop_answers_429_beyond_3_requests_a_second()
    {
        var clock = new ManualTimeProvider();
        await using var shop = await ShoprenterShopSimulator.StartAsync(new ShoprenterSimulatorOptions { Time = clock, LimiterTime = clock });
        using var http = new HttpClient();
        using var token = await http.PostAsJsonAsync(shop.TokenUrl.Replace("{shopName}", "demoshop"),
            new { grant_type = "client_credentials", client_id = "sim-client-id", client_secret = "sim-client-secret" });
        var access = (await token.Content.ReadFromJsonAsync<Dictionary<string, object>>())!["access_token"].ToString();

        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 5; i++)
        {
            if (i == 4) clock.Advance(TimeSpan.FromSeconds(1));
            using var request = new HttpRequestMessage(HttpMethod.Get, shop.ApiUrl.Replace("{shopName}", "demoshop") + "/customers?page=0&limit=200")
            {
                Content = new StringContent("", Encoding.UTF8, "application/json"),
            };
            request.Headers.Authorization = new("Bearer", access);
            using var response = await http.SendAsync(request);
            statuses.Add(response.StatusCode);
            if (response.StatusCode == HttpStatusCode.TooManyRequests) Assert.Equal(TimeSpan.FromSeconds(1), response.Headers.RetryAfter?.Delta);
        }

        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.TooManyRequests, HttpStatusCode.OK], statuses);
    }

    [Fact]
    public async Task Two_relay_instances_on_one_store_pace_one_shop_together_under_3_a_second()
    {
        // One virtual clock for both relays and the shop's window: a paced wait jumps it, so seconds of
        // schedule pass at once. Taking turns keeps it exact; two instances pacing alone would each send
        // 3 a second, 6 together, and the shop would answer 429.
        var clock = new Relay.Tests.Targets.VirtualTimeProvider();
        var store = new Relay.Storage.Embedded.EmbeddedRelayStore(clock, 4);
        await using var first = await ShoprenterTestbed.StartAsync(time: clock, sharedStore: store);
        await first.InstallAsync();
        await using var second = await ShoprenterTestbed.StartAsync(time: clock, sharedStore: store,
            settings: new() { ["Shoprenter:TokenUrl"] = first.Shop.TokenUrl, ["Shoprenter:ApiUrl"] = first.Shop.ApiUrl });
        var started = clock.GetUtcNow();

        for (var i = 0; i < 9; i++)
        {
            await first.ShoprenterClient().ListAsync(first.ShopKey, "customers", 0);
            await second.ShoprenterClient().ListAsync(first.ShopKey, "customers", 0);
        }

        Assert.True(first.Shop.TooManyRequests == 0, string.Join(", ", first.Shop.Read(s => s.Requests.Select(r => $"{r.Method} {r.Path} {r.Status} {(r.At - started.UtcTicks) / 10000.0}ms").ToList())));
        Assert.Equal(18, first.Shop.Read(s => s.Requests.Count(r => r.Path == "/customers" && r.Status == 200)));
        Assert.True(clock.GetUtcNow() - started >= TimeSpan.FromSeconds(17.0 / 3), $"only {clock.GetUtcNow() - started} of schedule passed");
    }

    [Fact]
    public async Task The_merchant_may_choose_the_deprecated_Basic_auth_API_and_is_told_it_is_deprecated()
    {
        await using var bed = await ShoprenterTestbed.StartAsync();
        await bed.InstallAsync();
        bed.Shop.SeedCustomer("anna@example.hu");
        var session = bed.Get<Relay.Admin.AdminSessions>().Issue(bed.ShopKey);
        bed.Client.DefaultRequestHeaders.Authorization = new("Bearer", session);
        var legacyUrl = bed.Shop.LegacyApiUrl.Replace("{shopName}", "demoshop");

        using var wrong = await bed.Client.PutAsJsonAsync("/shoprenter/connection", new { mode = "legacy", apiUrl = legacyUrl, userName = "api-user", password = "nope" });
        using var elsewhere = await bed.Client.PutAsJsonAsync("/shoprenter/connection", new { mode = "legacy", apiUrl = "https://evil.example", userName = "api-user", password = "api-password" });
        using var right = await bed.Client.PutAsJsonAsync("/shoprenter/connection", new { mode = "legacy", apiUrl = legacyUrl, userName = "api-user", password = "api-password" });

        Assert.Equal(HttpStatusCode.UnprocessableEntity, wrong.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, elsewhere.StatusCode);
        Assert.Equal(HttpStatusCode.OK, right.StatusCode);
        var view = await right.Content.ReadAsStringAsync();
        Assert.Contains("\"mode\":\"legacy\"", view);
        Assert.Contains("deprecated", view);
        Assert.DoesNotContain("api-password", view);
        using var status = await bed.Client.GetAsync("/admin/api/status");
        Assert.Contains("deprecated Basic-auth API", await status.Content.ReadAsStringAsync());
        var grants = bed.Shop.TokenGrants;
        var page = await bed.ShoprenterClient().ListAsync(bed.ShopKey, "customers", 0);
        Assert.Single(page.Items);
        Assert.Equal(grants, bed.Shop.TokenGrants);

        using var back = await bed.Client.PutAsJsonAsync("/shoprenter/connection", new { mode = "oauth" });
        Assert.Contains("\"mode\":\"oauth\"", await back.Content.ReadAsStringAsync());
        Assert.Null((await bed.RecordAsync())!.Legacy);
        Assert.Null((await bed.InfoAsync())!.StatusReason);
    }
}

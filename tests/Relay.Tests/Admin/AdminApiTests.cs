using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Relay.Admin;
using Relay.Settings;
using Relay.Shops;
using Relay.Sync;
using Relay.Tests.Infrastructure;
using Simulators.Spotler;
using static Relay.Tests.Admin.AdminTestData;

namespace Relay.Tests.Admin;

/// <summary>The admin JSON API: session-only authorisation, one shop per token, write-only credentials, versioned saves.</summary>
public sealed class AdminApiTests : IAsyncLifetime
{
    private const string ShopA = "shopware:AAAAAAAAAAAAAAAA";
    private const string ShopB = "shopware:BBBBBBBBBBBBBBBB";

    private readonly ManualTimeProvider _time = new();
    private RelayApplication _relay = null!;
    private HttpClient _client = null!;
    private SpotlerSimulator _spotler = null!;
    private string _tokenA = "";
    private string _tokenB = "";

    /// <summary>Every route of the admin API, with a body that passes model binding.</summary>
    public static readonly (HttpMethod Method, string Path, object? Body)[] Routes =
    [
        (HttpMethod.Get, "/admin/api/settings", null),
        (HttpMethod.Put, "/admin/api/settings", new { expectedVersion = 0 }),
        (HttpMethod.Get, "/admin/api/targets", null),
        (HttpMethod.Post, "/admin/api/targets/test", new { }),
        (HttpMethod.Get, "/admin/api/targets/fields", null),
        (HttpMethod.Post, "/admin/api/targets/fields", new { }),
        (HttpMethod.Get, "/admin/api/shop-fields", null),
        (HttpMethod.Get, "/admin/api/sync", null),
        (HttpMethod.Post, "/admin/api/sync", null),
        (HttpMethod.Delete, "/admin/api/sync", null),
        (HttpMethod.Get, "/admin/api/activity", null),
        (HttpMethod.Get, "/admin/api/dead-letters", null),
        (HttpMethod.Post, "/admin/api/dead-letters/1-0/replay", null),
        (HttpMethod.Get, "/admin/api/status", null),
        (HttpMethod.Get, "/admin/api/orders/statuses", null),
        (HttpMethod.Post, "/admin/api/orders/statuses", new { }),
        (HttpMethod.Get, "/admin/api/orders/sync", null),
        (HttpMethod.Post, "/admin/api/orders/sync", null),
        (HttpMethod.Get, "/admin/api/pos", null),
        (HttpMethod.Put, "/admin/api/pos", new { expectedVersion = 0 }),
        (HttpMethod.Post, "/admin/api/pos/test", new { }),
        (HttpMethod.Get, "/admin/api/pos/status", null),
        (HttpMethod.Get, "/admin/api/pos/order-statuses", null),
        (HttpMethod.Post, "/admin/api/pos/run", null),
    ];

    public async Task InitializeAsync()
    {
        // The sync engine's background worker stays off: these tests look at the API, not at a running sync.
        _relay = new RelayApplication(new()
        {
            ["Pipeline:WorkersEnabled"] = "false",
            ["Sync:BackgroundEnabled"] = "false",
            ["Admin:AllowInsecureTargetUrls"] = "true",
        }, _time);
        _client = _relay.CreateClient();
        _spotler = await SpotlerSimulator.StartAsync("ck", "cs", _time);
        await SeedShopAsync(_relay.Services, "AAAAAAAAAAAAAAAA", "https://shop-a.example");
        await SeedShopAsync(_relay.Services, "BBBBBBBBBBBBBBBB", "https://shop-b.example");
        _tokenA = Session(_relay.Services, ShopA);
        _tokenB = Session(_relay.Services, ShopB);
    }

    public async Task DisposeAsync()
    {
        await _spotler.DisposeAsync();
        _client.Dispose();
        await _relay.DisposeAsync();
    }

    private async Task<(HttpStatusCode Status, JsonNode? Body, HttpResponseMessage Response)> SendAsync(HttpMethod method, string path, string? token, object? body = null)
    {
        var response = await _client.SendAsync(Request(method, path, token, body));
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, text.Length > 0 ? JsonNode.Parse(text) : null, response);
    }

    private object SpotlerTarget(string secret = "cs") => new
    {
        kind = "spotler",
        baseUrl = _spotler.BaseUrl,
        credentials = new Dictionary<string, string> { ["consumerKey"] = "ck", ["consumerSecret"] = secret },
        options = new Dictionary<string, string> { ["permissionBit"] = "1" },
    };

    private async Task<JsonNode> SaveSpotlerAsync(string token, int expectedVersion = 0)
    {
        var (status, body, _) = await SendAsync(HttpMethod.Put, "/admin/api/settings", token, new { expectedVersion, target = SpotlerTarget() });
        Assert.True(status == HttpStatusCode.OK, body?.ToJsonString());
        return body!;
    }

    // ---- Authorisation --------------------------------------------------------------------------

    [Fact]
    public async Task Every_route_refuses_missing_forged_and_expired_tokens()
    {
        var foreignKey = new SymmetricSecurityKey(new byte[32]);
        var forged = new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = AdminSessions.Issuer,
            Audience = AdminSessions.Audience,
            Expires = _time.GetUtcNow().UtcDateTime.AddMinutes(30),
            Claims = new Dictionary<string, object> { [AdminSessions.ShopClaim] = ShopA },
            SigningCredentials = new SigningCredentials(foreignKey, SecurityAlgorithms.HmacSha256),
        });
        var parts = _tokenA.Split('.');
        var unsigned = $"{Base64UrlEncoder.Encode("{\"alg\":\"none\",\"typ\":\"JWT\"}")}.{parts[1]}.";
        var expiring = Session(_relay.Services, ShopA);
        _time.Advance(AdminSessions.Lifetime + TimeSpan.FromMinutes(1));

        foreach (var (method, path, body) in Routes)
        {
            foreach (var token in new[] { null, "not-a-token", forged, unsigned, expiring })
            {
                var (status, problem, response) = await SendAsync(method, path, token, body);
                Assert.True(status == HttpStatusCode.Unauthorized, $"{method} {path} with token '{token?[..Math.Min(token.Length, 12)]}' answered {status}");
                Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
                Assert.Equal(401, (int?)problem?["status"]);
            }
        }
    }

    [Fact]
    public async Task A_token_of_shop_B_never_reaches_shop_A()
    {
        await SaveSpotlerAsync(_tokenA);
        await _relay.Get<ActivityLog>().AppendAsync(ShopA, new ActivityEntry(_time.GetUtcNow(), "customer.written", ActivityOutcome.Failed, "marker-of-shop-a", "a***@shop-a.example"));
        var letter = await DeadLetterAsync(_relay.Services, ShopA, "event-of-shop-a", "marker-of-shop-a");
        await _relay.Get<FullSync>().StartAsync(ShopA);

        foreach (var (method, path, body) in Routes)
        {
            var routed = path.Replace("1-0", letter.Id);
            var (status, answer, _) = await SendAsync(method, routed, _tokenB, body);
            // A problem's "instance" echoes the caller's own path; everything else must be free of shop A.
            (answer as JsonObject)?.Remove("instance");
            var text = answer?.ToJsonString() ?? "";
            Assert.DoesNotContain("shop-a", text, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain(ShopA, text);
            Assert.DoesNotContain(letter.Id, text);
            if (routed.Contains("/replay")) Assert.Equal(HttpStatusCode.NotFound, status);
        }

        // Shop A is untouched by everything B did.
        var settingsA = await _relay.Get<ShopSettingsStore>().GetAsync(ShopA);
        Assert.Equal(1, settingsA.Version);
        Assert.Equal("spotler", settingsA.Target?.Kind);
        Assert.Single(await _relay.Get<Relay.Storage.IRelayStore>().ListDeadLettersAsync(ShopA, 10));
        Assert.Equal(SyncState.Running, (await _relay.Get<FullSync>().GetAsync(ShopA)).State);
        var (_, deadLettersOfA, _) = await SendAsync(HttpMethod.Get, "/admin/api/dead-letters", _tokenA);
        Assert.Equal(letter.Id, (string?)deadLettersOfA!.AsArray().Single()!["id"]);
    }

    [Fact]
    public async Task A_session_of_an_uninstalled_shop_opens_nothing()
    {
        await SeedShopAsync(_relay.Services, "AAAAAAAAAAAAAAAA", "https://shop-a.example", ShopStatus.Deleted);

        var (status, problem, _) = await SendAsync(HttpMethod.Get, "/admin/api/settings", _tokenA);

        Assert.Equal(HttpStatusCode.Forbidden, status);
        Assert.Equal("App not installed", (string?)problem?["title"]);
    }

    // ---- Settings -------------------------------------------------------------------------------

    private static List<string?> RuleTargets(JsonNode settings, string kind) =>
        settings[kind]!["rules"]!.AsArray().Select(r => (string?)r!["target"]).ToList();

    [Fact]
    public async Task New_shop_has_no_target_and_then_shows_the_default_map_the_sync_uses_for_its_target()
    {
        var (status, settings, response) = await SendAsync(HttpMethod.Get, "/admin/api/settings", _tokenA);

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("no-store", response.Headers.CacheControl?.ToString());
        Assert.Equal(0, (int)settings!["version"]!);
        Assert.Null(settings["target"]);
        Assert.Equal("email", (string?)settings["uniqueKey"]);
        Assert.Empty(RuleTargets(settings, "customers"));

        // Saved without a mapping: the page shows the target's default map for this platform, and the saved mapping stays empty.
        var spotler = await SaveSpotlerAsync(_tokenA);
        Assert.Contains("firstName", RuleTargets(spotler, "customers"));
        Assert.Contains("city", RuleTargets(spotler, "customers"));
        Assert.Contains("city", RuleTargets(spotler, "subscribers"));
        Assert.Empty((await _relay.Get<ShopSettingsStore>().GetAsync(ShopA)).Customers.Rules);

        // SARE's default map asks for the phone as gsm and has no address: the page shows what the sync will use.
        var (_, sare, _) = await SendAsync(HttpMethod.Put, "/admin/api/settings", _tokenA, new
        {
            expectedVersion = 1,
            target = new { kind = "sare", credentials = new Dictionary<string, string> { ["uid"] = "123", ["apiKey"] = "k" } },
        });
        Assert.Contains("gsm", RuleTargets(sare!, "customers"));
        Assert.DoesNotContain("city", RuleTargets(sare!, "customers"));
        Assert.Equal(["firstName", "lastName"], RuleTargets(sare!, "subscribers"));
    }

    [Fact]
    public async Task Credentials_are_write_only_and_kept_when_a_save_leaves_them_out()
    {
        var saved = await SaveSpotlerAsync(_tokenA);
        Assert.Equal(1, (int)saved["version"]!);
        Assert.Equal(["consumerKey", "consumerSecret"], saved["target"]!["credentialsSet"]!.AsArray().Select(n => (string)n!));

        var (_, read, _) = await SendAsync(HttpMethod.Get, "/admin/api/settings", _tokenA);
        Assert.DoesNotContain("\"cs\"", read!.ToJsonString());
        Assert.DoesNotContain("\"ck\"", read.ToJsonString());

        var (status, second, _) = await SendAsync(HttpMethod.Put, "/admin/api/settings", _tokenA, new
        {
            expectedVersion = 1,
            target = new { kind = "spotler", baseUrl = _spotler.BaseUrl, credentials = new Dictionary<string, string?> { ["consumerKey"] = "", ["consumerSecret"] = null } },
            pullIntervalMinutes = 30,
            syncEnabled = true,
        });
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(2, (int)second!["version"]!);

        // A save that names nothing but the version keeps everything.
        var (third, _, _) = await SendAsync(HttpMethod.Put, "/admin/api/settings", _tokenA, new { expectedVersion = 2 });
        Assert.Equal(HttpStatusCode.OK, third);

        var stored = await _relay.Get<ShopSettingsStore>().GetAsync(ShopA);
        Assert.Equal(3, stored.Version);
        Assert.Equal("ck", stored.Target!.Credentials["consumerKey"]);
        Assert.Equal("cs", stored.Target.Credentials["consumerSecret"]);
        Assert.Equal(TimeSpan.FromMinutes(30), stored.PullInterval);
        Assert.True(stored.SyncEnabled);
        Assert.Equal("1", stored.Target.Options.GetValueOrDefault("permissionBit") ?? "1");
    }

    [Fact]
    public async Task A_save_over_a_stale_version_is_409_and_changes_nothing()
    {
        await SaveSpotlerAsync(_tokenA);

        var (status, problem, response) = await SendAsync(HttpMethod.Put, "/admin/api/settings", _tokenA, new { expectedVersion = 0, syncEnabled = true });

        Assert.Equal(HttpStatusCode.Conflict, status);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(1, (int)problem!["currentVersion"]!);
        Assert.False((await _relay.Get<ShopSettingsStore>().GetAsync(ShopA)).SyncEnabled);
    }

    [Fact]
    public async Task Invalid_settings_are_a_validation_problem_naming_each_field()
    {
        var (status, problem, _) = await SendAsync(HttpMethod.Put, "/admin/api/settings", _tokenA, new
        {
            expectedVersion = 0,
            target = new { kind = "spotler", baseUrl = "ftp://nope", credentials = new Dictionary<string, string> { ["consumerKey"] = "ck", ["password"] = "x" } },
            customers = new { rules = new object[] { new { target = "firstName", sources = new[] { "noSuchField" } }, new { target = "firstName", constant = "x" },
                new { target = "color", sources = new[] { "customFields.color" }, transforms = new[] { "date:%" } } } },
            uniqueKey = "phoneNumber",
            pullIntervalMinutes = 1,
        });

        Assert.Equal(HttpStatusCode.BadRequest, status);
        var errors = problem!["errors"]!.AsObject().Select(e => e.Key).ToList();
        Assert.Contains("target.baseUrl", errors);
        Assert.Contains("target.credentials.password", errors);
        Assert.Contains("target.credentials.consumerSecret", errors);
        Assert.Contains("customers.rules[0].sources", errors);
        Assert.Contains("customers.rules[1].target", errors);
        Assert.Contains("customers.rules[2].transforms", errors);
        Assert.DoesNotContain("customers.rules[2].sources", errors);
        Assert.Contains("uniqueKey", errors);
        Assert.Contains("pullIntervalMinutes", errors);
        Assert.Equal(0, (await _relay.Get<ShopSettingsStore>().GetAsync(ShopA)).Version);

        // A save must name the version it edited.
        var (noVersion, versionProblem, _) = await SendAsync(HttpMethod.Put, "/admin/api/settings", _tokenA, new { syncEnabled = false });
        Assert.Equal(HttpStatusCode.BadRequest, noVersion);
        Assert.Contains("expectedVersion", versionProblem!.ToJsonString());
        Assert.Equal(0, (await _relay.Get<ShopSettingsStore>().GetAsync(ShopA)).Version);
    }

    [Fact]
    public async Task A_shops_time_zone_must_be_a_known_IANA_zone_and_an_empty_one_goes_back_to_the_platforms()
    {
        var (bad, problem, _) = await SendAsync(HttpMethod.Put, "/admin/api/settings", _tokenA, new { expectedVersion = 0, timeZone = "Europe/Atlantis" });
        Assert.Equal(HttpStatusCode.BadRequest, bad);
        Assert.Contains("timeZone", problem!["errors"]!.AsObject().Select(e => e.Key));

        var (ok, saved, _) = await SendAsync(HttpMethod.Put, "/admin/api/settings", _tokenA, new { expectedVersion = 0, timeZone = "Europe/Budapest" });
        Assert.Equal(HttpStatusCode.OK, ok);
        Assert.Equal("Europe/Budapest", saved!["timeZone"]!.GetValue<string>());

        var (cleared, view, _) = await SendAsync(HttpMethod.Put, "/admin/api/settings", _tokenA, new { expectedVersion = 1, timeZone = "" });
        Assert.Equal(HttpStatusCode.OK, cleared);
        Assert.Null(view!["timeZone"]?.GetValue<string>());
    }

    [Fact]
    public async Task Option_values_the_target_refuses_are_a_validation_problem()
    {
        var (status, problem, _) = await SendAsync(HttpMethod.Put, "/admin/api/settings", _tokenA, new
        {
            expectedVersion = 0,
            target = new
            {
                kind = "spotler", baseUrl = _spotler.BaseUrl,
                credentials = new Dictionary<string, string> { ["consumerKey"] = "ck", ["consumerSecret"] = "cs" },
                options = new Dictionary<string, string> { ["permissionBit"] = "3" },
            },
        });

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("power of two", problem!["errors"]!.ToJsonString());
    }

    [Fact]
    public async Task Plain_http_target_addresses_are_refused_unless_the_operator_allows_them()
    {
        await using var strict = new RelayApplication(new() { ["Pipeline:WorkersEnabled"] = "false" }, _time);
        await SeedShopAsync(strict.Services, "AAAAAAAAAAAAAAAA", "https://shop-a.example");
        using var client = strict.CreateClient();

        using var response = await client.SendAsync(Request(HttpMethod.Put, "/admin/api/settings", Session(strict.Services, ShopA),
            new { expectedVersion = 0, target = SpotlerTarget() }));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("https://", await response.Content.ReadAsStringAsync());
    }

    // ---- Targets --------------------------------------------------------------------------------

    [Fact]
    public async Task Targets_lists_every_provider_with_the_names_it_asks_for()
    {
        var (_, targets, _) = await SendAsync(HttpMethod.Get, "/admin/api/targets", _tokenA);

        var spotler = targets!.AsArray().Single(t => (string?)t!["kind"] == "spotler")!;
        Assert.Equal("Spotler Mail+", (string?)spotler["displayName"]);
        Assert.Contains("consumerSecret", spotler["credentialNames"]!.AsArray().Select(n => (string?)n));
        Assert.Equal(["minicrm", "sare", "spotler"], targets.AsArray().Select(t => (string)t!["kind"]!).Order());
        // Each with its default map for this shop's platform: Shopware recipients carry an address, so Spotler maps it.
        Assert.Contains("city", spotler["defaultSubscribers"]!["rules"]!.AsArray().Select(r => (string?)r!["target"]));
        var sare = targets.AsArray().Single(t => (string?)t!["kind"] == "sare")!;
        Assert.Contains("gsm", sare["defaultCustomers"]!["rules"]!.AsArray().Select(r => (string?)r!["target"]));
    }

    [Fact]
    public async Task Connection_test_says_ok_or_why_not_for_entered_and_saved_settings()
    {
        var (_, ok, _) = await SendAsync(HttpMethod.Post, "/admin/api/targets/test", _tokenA, new { target = SpotlerTarget() });
        var (_, refused, _) = await SendAsync(HttpMethod.Post, "/admin/api/targets/test", _tokenA, new { target = SpotlerTarget("wrong") });
        var (_, nothingSaved, _) = await SendAsync(HttpMethod.Post, "/admin/api/targets/test", _tokenA);
        await SaveSpotlerAsync(_tokenA);
        var (_, savedOk, _) = await SendAsync(HttpMethod.Post, "/admin/api/targets/test", _tokenA);
        // Entered without a secret: the saved secret of the same kind is used.
        var (_, mergedOk, _) = await SendAsync(HttpMethod.Post, "/admin/api/targets/test", _tokenA,
            new { target = new { kind = "spotler", baseUrl = _spotler.BaseUrl, credentials = new Dictionary<string, string> { ["consumerKey"] = "ck" } } });
        var (_, incomplete, _) = await SendAsync(HttpMethod.Post, "/admin/api/targets/test", _tokenA, new { target = new { kind = "sare", baseUrl = _spotler.BaseUrl } });
        var (unknownStatus, _, _) = await SendAsync(HttpMethod.Post, "/admin/api/targets/test", _tokenA, new { target = new { kind = "mailchimp" } });

        Assert.True((bool)ok!["ok"]!, ok.ToJsonString());
        Assert.Equal("ok", (string?)ok["outcome"]);
        Assert.False((bool)refused!["ok"]!);
        Assert.Equal("auth", (string?)refused["outcome"]);
        Assert.Contains("Spotler Mail+ refused the credentials", (string?)refused["message"]);
        Assert.False((bool)nothingSaved!["ok"]!);
        Assert.Equal("configuration", (string?)nothingSaved["outcome"]);
        Assert.True((bool)savedOk!["ok"]!, savedOk.ToJsonString());
        Assert.True((bool)mergedOk!["ok"]!, mergedOk.ToJsonString());
        Assert.Equal("configuration", (string?)incomplete!["outcome"]);
        Assert.Contains("uid", (string?)incomplete["message"]);
        Assert.Equal(HttpStatusCode.BadRequest, unknownStatus);
    }

    [Fact]
    public async Task Target_fields_come_from_the_target()
    {
        var (noTarget, _, _) = await SendAsync(HttpMethod.Get, "/admin/api/targets/fields", _tokenA);
        var (status, fields, _) = await SendAsync(HttpMethod.Post, "/admin/api/targets/fields", _tokenA, new { target = SpotlerTarget() });
        var (refusedStatus, refused, _) = await SendAsync(HttpMethod.Post, "/admin/api/targets/fields", _tokenA, new { target = SpotlerTarget("wrong") });

        Assert.Equal(HttpStatusCode.Conflict, noTarget);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Contains("email", fields!["fields"]!.AsArray().Select(f => (string?)f!["id"]));
        Assert.Contains("Nieuwsbrief", fields["lists"]!.AsArray().Select(l => (string?)l!["label"]));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, refusedStatus);
        Assert.Equal("auth", (string?)refused!["outcome"]);
    }

    // ---- Sync, activity, dead letters, status ---------------------------------------------------

    [Fact]
    public async Task Full_sync_needs_a_target_then_starts_joins_and_cancels()
    {
        var (refused, _, _) = await SendAsync(HttpMethod.Post, "/admin/api/sync", _tokenA);
        await SaveSpotlerAsync(_tokenA);
        var (syncOff, offProblem, _) = await SendAsync(HttpMethod.Post, "/admin/api/sync", _tokenA);
        await SendAsync(HttpMethod.Put, "/admin/api/settings", _tokenA, new { expectedVersion = 1, syncEnabled = true });
        var (started, first, _) = await SendAsync(HttpMethod.Post, "/admin/api/sync", _tokenA);
        await ReportSyncProgressAsync(_relay.Services, ShopA, (await _relay.Get<FullSync>().GetAsync(ShopA)) with { Done = 10, Total = 40 });
        var (_, joined, _) = await SendAsync(HttpMethod.Post, "/admin/api/sync", _tokenA);
        var (_, cancelled, _) = await SendAsync(HttpMethod.Delete, "/admin/api/sync", _tokenA);

        Assert.Equal(HttpStatusCode.Conflict, refused);
        Assert.Equal(HttpStatusCode.Conflict, syncOff);
        Assert.Equal("Synchronisation is off", (string?)offProblem!["title"]);
        Assert.Equal(HttpStatusCode.Accepted, started);
        Assert.Equal("running", (string?)first!["state"]);
        Assert.Equal(10, (long)joined!["done"]!);
        Assert.Equal("cancelled", (string?)cancelled!["state"]);
    }

    [Fact]
    public void Sync_view_derives_percent_rate_and_eta()
    {
        var start = new DateTimeOffset(2026, 11, 22, 9, 0, 0, TimeSpan.Zero);
        var running = AdminApi.SyncView(new SyncProgress(SyncState.Running, 250, 1000, start, null), start.AddSeconds(10));
        var unknownTotal = AdminApi.SyncView(new SyncProgress(SyncState.Running, 0, null, start, null), start.AddSeconds(10));
        var done = AdminApi.SyncView(new SyncProgress(SyncState.Completed, 1000, 1000, start, start.AddSeconds(100)), start.AddHours(1));

        Assert.Equal(25, running.Percent);
        Assert.Equal(25, running.RatePerSecond);
        Assert.Equal(30, running.EtaSeconds);
        Assert.Null(unknownTotal.Percent);
        Assert.Null(unknownTotal.EtaSeconds);
        Assert.Equal(100, done.Percent);
        Assert.Equal(10, done.RatePerSecond);
        Assert.Null(done.EtaSeconds);
    }

    [Fact]
    public async Task Activity_is_filtered_by_outcome_and_shows_masked_addresses_only()
    {
        var log = _relay.Get<ActivityLog>();
        await log.AppendAsync(ShopA, new ActivityEntry(_time.GetUtcNow(), "customer.written", ActivityOutcome.Ok, "Sent", ActivityLog.MaskEmail("jane@example.com")));
        await log.AppendAsync(ShopA, new ActivityEntry(_time.GetUtcNow(), "newsletter.register", ActivityOutcome.Failed, "Spotler refused john@example.com"));

        var (_, all, _) = await SendAsync(HttpMethod.Get, "/admin/api/activity", _tokenA);
        var (_, failed, _) = await SendAsync(HttpMethod.Get, "/admin/api/activity?outcome=failed", _tokenA);
        var (badStatus, _, _) = await SendAsync(HttpMethod.Get, "/admin/api/activity?outcome=exploded", _tokenA);

        Assert.Equal(2, all!.AsArray().Count);
        var entry = Assert.Single(failed!.AsArray())!;
        Assert.Equal("failed", (string?)entry["outcome"]);
        Assert.DoesNotContain("john@example.com", all.ToJsonString());
        Assert.Contains("j***@example.com", all.ToJsonString());
        Assert.Equal(HttpStatusCode.BadRequest, badStatus);
    }

    [Fact]
    public async Task A_dead_letter_is_replayed_into_the_queue_once()
    {
        var letter = await DeadLetterAsync(_relay.Services, ShopA, "evt-1", "Spotler refused the credentials");

        var (_, list, _) = await SendAsync(HttpMethod.Get, "/admin/api/dead-letters", _tokenA);
        var (first, _, _) = await SendAsync(HttpMethod.Post, $"/admin/api/dead-letters/{letter.Id}/replay", _tokenA);
        var (second, _, _) = await SendAsync(HttpMethod.Post, $"/admin/api/dead-letters/{letter.Id}/replay", _tokenA);

        Assert.Equal("Spotler refused the credentials", (string?)list!.AsArray().Single()!["error"]);
        Assert.Equal(HttpStatusCode.NoContent, first);
        Assert.Equal(HttpStatusCode.NotFound, second);
        Assert.Equal(1, await QueuedAsync(_relay.Services, ShopA));
    }

    [Fact]
    public async Task Status_reports_events_token_health_and_reinstall()
    {
        await SeedShopAsync(_relay.Services, "AAAAAAAAAAAAAAAA", "https://shop-a.example", ShopStatus.NeedsReinstall,
            lastEventAt: _time.GetUtcNow().AddHours(-2), reason: "Admin API refused the integration keys");
        await SeedShopAsync(_relay.Services, "BBBBBBBBBBBBBBBB", "https://shop-b.example", lastEventAt: _time.GetUtcNow().AddDays(-3));

        var (_, a, _) = await SendAsync(HttpMethod.Get, "/admin/api/status", _tokenA);
        var (_, b, _) = await SendAsync(HttpMethod.Get, "/admin/api/status", _tokenB);

        Assert.True((bool)a!["webhooksArriving"]!);
        Assert.True((bool)a["needsReinstall"]!);
        Assert.Equal("failing", (string?)a["tokenHealth"]);
        Assert.Equal("needsReinstall", (string?)a["shopStatus"]);
        Assert.False((bool)b!["webhooksArriving"]!);
        Assert.Equal("ok", (string?)b["tokenHealth"]);
        Assert.Equal("https://shop-b.example", (string?)b["shopUrl"]);
    }

    // ---- The page -------------------------------------------------------------------------------

    [Fact]
    public async Task The_page_may_be_framed_by_its_own_shop_only()
    {
        await SeedShopAsync(_relay.Services, "0123456789abcdef0123456789abcdef01234567", "http://demo.shoparena.pl", platform: "shoper");

        using var forShop = await _client.GetAsync($"/admin/?shop={Uri.EscapeDataString(ShopA)}");
        using var forShoper = await _client.GetAsync("/admin/?shop=shoper%3A0123456789abcdef0123456789abcdef01234567&platform=shoper");
        using var unknown = await _client.GetAsync("/admin/?shop=shopware%3Anobody");
        using var bare = await _client.GetAsync("/admin/");
        using var direct = await _client.GetAsync("/admin/index.html");
        using var script = await _client.GetAsync("/admin/admin.js");

        Assert.Equal("text/html", forShop.Content.Headers.ContentType?.MediaType);
        var csp = forShop.Headers.GetValues("Content-Security-Policy").Single();
        Assert.Contains("frame-ancestors https://shop-a.example;", csp);
        Assert.Contains("default-src 'self'", csp);
        Assert.Contains("script-src 'self';", csp);
        var shoper = forShoper.Headers.GetValues("Content-Security-Policy").Single();
        Assert.Contains("frame-ancestors http://demo.shoparena.pl https://demo.shoparena.pl https://*.shoparena.pl;", shoper);
        Assert.Contains($"script-src 'self' {Relay.Platforms.Shoper.ShoperPlatform.SdkOrigin};", shoper);
        Assert.Contains("frame-ancestors 'none'", unknown.Headers.GetValues("Content-Security-Policy").Single());
        Assert.Contains("frame-ancestors 'none'", bare.Headers.GetValues("Content-Security-Policy").Single());
        Assert.Contains("frame-ancestors 'none'", direct.Headers.GetValues("Content-Security-Policy").Single());
        Assert.Equal(HttpStatusCode.OK, script.StatusCode);
        Assert.Equal("nosniff", script.Headers.GetValues("X-Content-Type-Options").Single());
    }

    [Fact]
    public void The_page_loads_nothing_from_third_parties_but_the_Shoper_SDK()
    {
        var root = Repository.Path("relay", "wwwroot", "admin");
        var files = Directory.GetFiles(root, "*", SearchOption.AllDirectories).Where(f => !f.Contains("i18n")).ToList();
        Assert.NotEmpty(files);
        foreach (var file in files)
        {
            var urls = System.Text.RegularExpressions.Regex.Matches(File.ReadAllText(file), @"(https?:)?//[a-z0-9.-]+\.[a-z]{2,}[^\s'""`)]*")
                .Select(m => m.Value).Where(u => !u.StartsWith(Relay.Platforms.Shoper.ShoperPlatform.SdkOrigin + "/", StringComparison.Ordinal));
            Assert.Empty(urls);
        }
        var languages = Directory.GetFiles(Path.Combine(root, "i18n"), "*.json").Select(Path.GetFileNameWithoutExtension).Order();
        Assert.Equal(["de", "en", "hu", "nl", "pl"], languages);
        var english = JsonSerializer.Deserialize<Dictionary<string, string>>(File.ReadAllText(Path.Combine(root, "i18n", "en.json")))!;
        foreach (var language in new[] { "de", "hu", "nl", "pl" })
        {
            var dictionary = JsonSerializer.Deserialize<Dictionary<string, string>>(File.ReadAllText(Path.Combine(root, "i18n", $"{language}.json")))!;
            Assert.Empty(english.Keys.Except(dictionary.Keys));
        }
    }
}

using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Relay.Tests.Admin;
using Relay.Platforms.Shopware;
using Relay.Settings;
using Relay.Shops;
using Relay.Storage;
using Relay.Tests.Infrastructure;
using Simulators.Shopware;

namespace Relay.Tests.Platforms.Shopware;

/// <summary>
/// Protocol §1.5 and §3.5: a shop that moved re-registers under its shop id with a new shop-url
/// (move-shop-permanently), a staging copy registers under a new shop id (reinstall-apps), and
/// app.deleted says whether the shop's user data is kept for a reinstall. On every store.
/// </summary>
public abstract class ShopwareShopIdentityContract(ITestRedis? redis) : IAsyncLifetime
{
    private Dictionary<string, string?> StoreSettings => redis is null ? [] : new() { ["Storage:Redis"] = redis.ConnectionString };

    // Queues are counted per partition, which the shops of earlier tests on the same Redis share.
    public Task InitializeAsync() => redis?.FlushAllAsync() ?? Task.CompletedTask;

    public Task DisposeAsync() => Task.CompletedTask;

    private Task<ShopwareTestbed> StartAsync(Dictionary<string, string?>? extra = null)
    {
        var settings = new Dictionary<string, string?>(StoreSettings);
        foreach (var (key, value) in extra ?? []) settings[key] = value;
        return ShopwareTestbed.StartAsync(settings: settings);
    }

    // ---- A shop moved to a new URL ------------------------------------------------------------

    [Fact]
    public async Task A_moved_shop_keeps_its_old_url_and_secret_until_the_re_registration_is_confirmed()
    {
        await using var bed = await StartAsync();
        await bed.InstallAsync();
        var oldUrl = bed.Shop.ShopUrl;
        var oldSecret = bed.Shop.ShopSecret!;

        await bed.Shop.MoveAsync();
        var unconfirmed = await bed.Shop.RegisterAsync(confirm: false);

        Assert.True(unconfirmed.ProofValid);
        Assert.NotEqual(oldUrl, bed.Shop.ShopUrl);
        var credentials = (await bed.CredentialsAsync())!;
        Assert.Equal(oldUrl, credentials.ShopUrl);
        Assert.Equal(oldSecret, credentials.ShopSecret);
        Assert.Equal(oldUrl, (await bed.ShopInfoAsync())!.Url);
        Assert.Equal(oldUrl, await StatusShopUrlAsync(bed));
        bed.Time.Advance(TimeSpan.FromMinutes(5)); // past any rotation grace: the old secret is still the secret
        using var webhook = await bed.Shop.SendWebhookAsync("customer.written", ShopwareTestbed.CustomerWritten("c1"));
        Assert.Equal(HttpStatusCode.NoContent, webhook.StatusCode);
    }

    [Fact]
    public async Task A_moved_shop_s_new_url_takes_effect_with_the_confirmation_and_the_relay_then_calls_the_new_server()
    {
        await using var bed = await StartAsync();
        await bed.InstallAsync();
        bed.Shop.Api.AddCustomer(new SimulatedCustomer { Email = "moved@example.com" });
        var settingsBefore = await SettingsAsync(bed, bed.ShopKey);

        await bed.Shop.MoveAsync();
        var moved = await bed.Shop.RegisterAsync();

        Assert.True(moved.Succeeded);
        var credentials = (await bed.CredentialsAsync())!;
        Assert.Equal(bed.Shop.ShopUrl, credentials.ShopUrl);
        Assert.Equal(bed.Shop.ShopSecret, credentials.ShopSecret);
        var info = (await bed.ShopInfoAsync())!;
        Assert.Equal(bed.Shop.ShopUrl, info.Url);
        Assert.Equal(ShopStatus.Active, info.Status);
        Assert.Equal(bed.Shop.ShopUrl, await StatusShopUrlAsync(bed));
        Assert.Equal(settingsBefore, await SettingsAsync(bed, bed.ShopKey));
        // The old server is gone: the Admin API answers only at the new address, with the new keys.
        var client = bed.AdminClient();
        var found = await client.SearchCustomersAsync((await client.AccessForAsync(bed.Shop.ShopId))!, new ShopwareCriteria());
        Assert.Equal("moved@example.com", Assert.Single(found.Data).Email);
    }

    [Fact]
    public async Task A_re_registration_with_a_bad_shop_signature_is_a_401_problem_and_the_url_stays()
    {
        await using var bed = await StartAsync();
        await bed.InstallAsync();
        var oldUrl = bed.Shop.ShopUrl;
        await bed.Shop.MoveAsync();

        var forged = await bed.Shop.RegisterAsync(signShopWith: "not-this-shop-s-secret");

        Assert.Equal(HttpStatusCode.Unauthorized, forged.RegistrationStatus);
        Assert.Contains("shopware-shop-signature", forged.RegistrationBody);
        Assert.Null(await bed.Relay.Get<ShopwareShops>().GetPendingAsync(bed.Shop.ShopId));
        Assert.Equal(oldUrl, (await bed.CredentialsAsync())!.ShopUrl);
        Assert.Equal(oldUrl, (await bed.ShopInfoAsync())!.Url);
    }

    [Fact]
    public async Task A_confirmation_without_a_pending_registration_is_a_401_problem_and_the_url_stays()
    {
        await using var bed = await StartAsync();
        await bed.InstallAsync();
        var oldUrl = bed.Shop.ShopUrl;
        var body = ShopwareShopSimulator.PhpJson(new JsonObject
        {
            ["apiKey"] = "SWIAFORGEDFORGEDFORGED00",
            ["secretKey"] = "forged-secret-key",
            ["timestamp"] = bed.Time.GetUtcNow().ToUnixTimeSeconds().ToString(),
            ["shopUrl"] = "https://elsewhere.example.com",
            ["shopId"] = bed.Shop.ShopId,
        });

        using var response = await bed.Shop.SendConfirmationAsync("/shopware/register/confirm", body,
            ShopwareShopSimulator.Sign("a-secret-the-relay-never-gave", body), ShopwareShopSimulator.Sign(bed.Shop.ShopSecret!, body));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(oldUrl, (await bed.CredentialsAsync())!.ShopUrl);
        Assert.Equal(bed.Shop.ShopSecret, (await bed.CredentialsAsync())!.ShopSecret);
    }

    // ---- A staging copy under a new shop id ---------------------------------------------------

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_staging_clone_under_a_new_shop_id_gets_its_own_unconfigured_tenant(bool sameUrl)
    {
        await using var bed = await StartAsync();
        await bed.InstallAsync();
        bed.Shop.Api.AddCustomer(new SimulatedCustomer { Email = "prod@example.com" });
        await ConfigureAsync(bed);
        using var queued = await bed.Shop.SendWebhookAsync("customer.written", ShopwareTestbed.CustomerWritten("c1"));
        var production = (await bed.CredentialsAsync())!;
        var productionSettings = await SettingsAsync(bed, bed.ShopKey);
        var productionKeys = await ShopKeysAsync(bed, bed.ShopKey);

        await using var staging = await bed.Shop.CloneAsStagingAsync(sameUrl);
        // reinstall-apps: the registration under the new id is signed with the secret the copy holds.
        var installed = await staging.InstallAsync();

        Assert.True(installed.Succeeded);
        var stagingKey = ShopwareShops.KeyOf(staging.ShopId);
        var stagingInfo = (await bed.Relay.Get<ShopDirectory>().GetAsync(stagingKey))!;
        Assert.Equal(ShopStatus.Active, stagingInfo.Status);
        Assert.Equal(staging.ShopUrl, stagingInfo.Url);
        var stagingCredentials = (await bed.Relay.Get<ShopwareShops>().GetCredentialsAsync(staging.ShopId))!;
        Assert.NotEqual(production.ShopSecret, stagingCredentials.ShopSecret);
        Assert.Equal(staging.ApiKey, stagingCredentials.ApiKey);
        var stagingSettings = await bed.Relay.Get<ShopSettingsStore>().GetAsync(stagingKey);
        Assert.Null(stagingSettings.Target);
        Assert.False(stagingSettings.SyncEnabled);
        Assert.Equal(0, stagingSettings.Version);
        Assert.DoesNotContain(await ShopKeysAsync(bed, stagingKey), k => k.Contains("ledger", StringComparison.Ordinal));

        // Production is untouched: its secret, URL, keys, settings, ledger and queue.
        Assert.Equal(production, await bed.CredentialsAsync());
        Assert.Equal(productionSettings, await SettingsAsync(bed, bed.ShopKey));
        Assert.Equal(productionKeys, await ShopKeysAsync(bed, bed.ShopKey));
        Assert.Equal(1, await bed.QueuedAsync());

        // The clone's events are its own tenant's; the production secret it copied opens nothing there.
        using var stagingEvent = await staging.SendWebhookAsync("customer.written", ShopwareTestbed.CustomerWritten("c2"));
        Assert.Equal(HttpStatusCode.NoContent, stagingEvent.StatusCode);
        var queuedFor = await QueuedShopKeysAsync(bed, bed.ShopKey, stagingKey);
        Assert.Equal(1, queuedFor.Count(k => k == bed.ShopKey));
        Assert.Equal(1, queuedFor.Count(k => k == stagingKey));
        using var copiedSecret = await staging.SendWebhookAsync("customer.written", ShopwareTestbed.CustomerWritten("c3"), signWith: production.ShopSecret);
        Assert.Equal(HttpStatusCode.Unauthorized, copiedSecret.StatusCode);

        // The relay reaches the clone only with the clone's keys: at the clone's own server its copied
        // rows; at a production URL it kept, production refuses them, so nothing is read or written there.
        var client = bed.AdminClient();
        var access = (await client.AccessForAsync(staging.ShopId))!;
        if (sameUrl)
        {
            var refused = await Assert.ThrowsAsync<ShopwareApiException>(() => client.SearchCustomersAsync(access, new ShopwareCriteria()));
            Assert.True(refused.AccessRefused);
            Assert.Equal(production.ApiKey, bed.Shop.Api.ClientId);
        }
        else
            Assert.Equal("prod@example.com", Assert.Single((await client.SearchCustomersAsync(access, new ShopwareCriteria())).Data).Email);
    }

    // ---- app.deleted and keepUserData -----------------------------------------------------------

    [Fact]
    public async Task App_deleted_with_keep_user_data_keeps_settings_and_ledger_until_the_retention_then_the_sweep_forgets_them()
    {
        await using var bed = await StartAsync();
        await bed.InstallAsync();
        await ConfigureAsync(bed);
        using var queued = await bed.Shop.SendWebhookAsync("customer.written", ShopwareTestbed.CustomerWritten("c1"));
        var uninstalledAt = bed.Time.GetUtcNow();

        using var deleted = await bed.Shop.UninstallAsync(keepUserData: true);

        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        var info = (await bed.ShopInfoAsync())!;
        Assert.Equal(ShopStatus.Deleted, info.Status);
        Assert.Equal(uninstalledAt + TimeSpan.FromDays(30), info.KeptUntil);
        Assert.NotNull((await bed.Relay.Get<ShopSettingsStore>().GetAsync(bed.ShopKey)).Target);
        Assert.Contains(await ShopKeysAsync(bed, bed.ShopKey), k => k.EndsWith("ledger:contact:anna", StringComparison.Ordinal));
        Assert.Equal(0, await bed.QueuedAsync());

        var sweep = bed.Relay.Get<KeptShopSweep>();
        bed.Time.Advance(TimeSpan.FromDays(30) - TimeSpan.FromSeconds(1));
        Assert.Equal(0, await sweep.SweepAsync());
        Assert.NotNull(await bed.ShopInfoAsync());
        bed.Time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(1, await sweep.SweepAsync());

        Assert.Null(await bed.ShopInfoAsync());
        Assert.Null(await bed.CredentialsAsync());
        Assert.Empty(await ShopKeysAsync(bed, bed.ShopKey));
        Assert.DoesNotContain(await bed.Relay.Get<ShopDirectory>().ListAsync(), s => s.Key == bed.ShopKey);
    }

    [Fact]
    public async Task A_reinstall_within_the_retention_resumes_with_its_settings_and_ledger()
    {
        await using var bed = await StartAsync();
        await bed.InstallAsync();
        await ConfigureAsync(bed);
        var settings = await SettingsAsync(bed, bed.ShopKey);
        using var deleted = await bed.Shop.UninstallAsync(keepUserData: true);
        bed.Time.Advance(TimeSpan.FromDays(10));

        await bed.InstallAsync();

        var info = (await bed.ShopInfoAsync())!;
        Assert.Equal(ShopStatus.Active, info.Status);
        Assert.Null(info.KeptUntil);
        Assert.Equal(settings, await SettingsAsync(bed, bed.ShopKey));
        Assert.Contains(await ShopKeysAsync(bed, bed.ShopKey), k => k.EndsWith("ledger:contact:anna", StringComparison.Ordinal));
        bed.Time.Advance(TimeSpan.FromDays(30));
        Assert.Equal(0, await bed.Relay.Get<KeptShopSweep>().SweepAsync());
        Assert.Equal(ShopStatus.Active, (await bed.ShopInfoAsync())!.Status);
    }

    [Fact]
    public async Task The_retention_is_configurable()
    {
        await using var bed = await StartAsync(new() { ["Shopware:KeepUserDataRetention"] = "2.00:00:00" });
        await bed.InstallAsync();

        using var deleted = await bed.Shop.UninstallAsync(keepUserData: true);

        Assert.Equal(bed.Time.GetUtcNow() + TimeSpan.FromDays(2), (await bed.ShopInfoAsync())!.KeptUntil);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(null)] // older Shopware: the payload is []
    public async Task App_deleted_without_keep_user_data_erases_settings_ledger_and_credentials(bool? keepUserData)
    {
        await using var bed = await StartAsync();
        await bed.InstallAsync();
        await ConfigureAsync(bed);

        using var deleted = await bed.Shop.UninstallAsync(keepUserData);

        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        Assert.Null(await bed.ShopInfoAsync());
        Assert.Empty(await ShopKeysAsync(bed, bed.ShopKey));
        Assert.Equal(0, (await bed.Relay.Get<ShopSettingsStore>().GetAsync(bed.ShopKey)).Version);
    }

    [Fact]
    public async Task App_deleted_from_an_unknown_shop_is_a_401_problem_and_changes_nothing()
    {
        await using var bed = await StartAsync();
        await bed.InstallAsync();
        await ConfigureAsync(bed);
        var keys = await ShopKeysAsync(bed, bed.ShopKey);
        await using var stranger = await ShopwareShopSimulator.StartAsync(bed.Client, new ShopwareShopSimulatorOptions
        {
            AppName = ShopwareTestbed.AppName,
            AppSecret = ShopwareTestbed.AppSecret,
            Time = bed.Time,
        });

        using var response = await stranger.SendLifecycleAsync("app.deleted", new JsonObject { ["keepUserData"] = false }, signWith: bed.Shop.ShopSecret);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Null(await bed.Relay.Get<ShopDirectory>().GetAsync(ShopwareShops.KeyOf(stranger.ShopId)));
        Assert.Equal(keys, await ShopKeysAsync(bed, bed.ShopKey));
        Assert.Equal(ShopStatus.Active, (await bed.ShopInfoAsync())!.Status);
    }

    // ---- Helpers --------------------------------------------------------------------------------

    /// <summary>Settings with a target's credentials, and a ledger entry as a sync leaves it.</summary>
    private static async Task ConfigureAsync(ShopwareTestbed bed)
    {
        var store = bed.Relay.Get<ShopSettingsStore>();
        var current = await store.GetAsync(bed.ShopKey);
        var (outcome, _) = await store.SaveAsync(bed.ShopKey, current with
        {
            SyncEnabled = true,
            Target = new TargetSettings
            {
                Kind = "spotler",
                BaseUrl = "https://spotler.example.com",
                Credentials = new Dictionary<string, string> { ["consumerKey"] = "ck", ["consumerSecret"] = "cs" },
            },
        }, current.Version);
        Assert.Equal(SaveOutcome.Saved, outcome);
        await bed.Relay.Get<IRelayStore>().SetAsync(StoreKeys.ShopItem(bed.ShopKey, "ledger:contact:anna"), "{}");
    }

    /// <summary>The settings as JSON, credentials included: records compare their lists by reference.</summary>
    private static async Task<string> SettingsAsync(ShopwareTestbed bed, string shopKey) =>
        System.Text.Json.JsonSerializer.Serialize(await bed.Relay.Get<ShopSettingsStore>().GetAsync(shopKey), JsonDefaults.Options);

    private static async Task<List<string>> ShopKeysAsync(ShopwareTestbed bed, string shopKey) =>
        (await bed.Relay.Get<IRelayStore>().ListKeysAsync(StoreKeys.Shop(shopKey))).Order(StringComparer.Ordinal).ToList();

    /// <summary>The shop key of every event waiting in the partitions of these shops.</summary>
    private static async Task<List<string>> QueuedShopKeysAsync(ShopwareTestbed bed, params string[] shopKeys)
    {
        var partitions = bed.Relay.Get<Microsoft.Extensions.Options.IOptions<Relay.Pipeline.PipelineOptions>>().Value.Partitions;
        var keys = new List<string>();
        foreach (var partition in shopKeys.Select(k => StoreKeys.PartitionOf(k, partitions)).Distinct())
            keys.AddRange((await bed.Relay.Get<IRelayStore>().ReadAsync(partition, "identity-test", 100)).Select(i => i.Event.ShopKey));
        return keys;
    }

    /// <summary>The shop URL the admin page's status view shows, read through its API with a session of the shop.</summary>
    private static async Task<string?> StatusShopUrlAsync(ShopwareTestbed bed)
    {
        using var request = AdminTestData.Request(HttpMethod.Get, "/admin/api/status", AdminTestData.Session(bed.Relay.Services, bed.ShopKey));
        using var response = await bed.Client.SendAsync(request);
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<JsonObject>())!["shopUrl"]?.GetValue<string>();
    }
}

public sealed class ShopwareShopIdentityTests() : ShopwareShopIdentityContract(null);

public sealed class ShopwareShopIdentityRedisTests(RedisServer redis) : ShopwareShopIdentityContract(redis), IClassFixture<RedisServer>;

[Collection(RedisCluster.Collection)]
public sealed class ShopwareShopIdentityRedisClusterTests(RedisCluster cluster) : ShopwareShopIdentityContract(cluster);

using Microsoft.Extensions.DependencyInjection;
using Relay.Admin;
using Relay.Mapping;
using Relay.Pipeline;
using Relay.Platforms;
using Relay.Settings;
using Relay.Targets;
using Relay.Tests.Infrastructure;

namespace Relay.Tests.Platforms;

/// <summary>
/// Every registered platform provides every part the shared code works through, and every target its
/// default maps for every platform: adding either is its folder and one registration line, and this
/// test names what the folder has to bring.
/// </summary>
public sealed class PlatformRegistrationTests : IDisposable
{
    private readonly RelayApplication _relay = new(new() { ["Sync:BackgroundEnabled"] = "false", ["Pipeline:WorkersEnabled"] = "false" });

    public void Dispose() => _relay.Dispose();

    private IReadOnlyList<IPlatform> Platforms => _relay.Services.GetServices<IPlatform>().ToList();

    [Fact]
    public void The_relay_serves_every_platform_by_the_name_in_its_shop_keys()
    {
        Assert.Equal(["shoper", "shoprenter", "shopware"], Platforms.Select(p => p.Name).Order());
        var registry = _relay.Get<ShopPlatforms>();
        foreach (var platform in Platforms)
            Assert.Same(platform, registry.For($"{platform.Name}:some-shop"));
    }

    [Fact]
    public void Every_platform_reads_its_shops_and_forwards_every_webhook_it_queues()
    {
        var handlers = _relay.Services.GetServices<IQueueHandler>().ToList();
        foreach (var platform in Platforms)
        {
            Assert.True(platform.Contacts.PageSize > 0, $"{platform.Name}: page size");
            Assert.NotNull(platform.Contacts.Clock);
            Assert.NotEmpty(platform.InboxKinds);
            foreach (var kind in platform.InboxKinds)
                Assert.True(handlers.Count(h => h.Handles(kind)) == 1, $"{platform.Name}: exactly one queue handler for {kind}");
        }
    }

    [Fact]
    public void Every_platform_says_how_the_admin_page_is_framed_inside_its_administration()
    {
        foreach (var platform in Platforms)
        {
            Assert.All(platform.AdminFrameAncestors(new Uri("https://shop.example")), source => Assert.True(AdminPage.IsFrameAncestorSource(source), source));
            Assert.All(platform.AdminScriptSources, source => Assert.True(AdminPage.IsFrameAncestorSource(source), source));
        }
    }

    [Fact]
    public void Every_target_has_a_valid_default_map_for_every_platform()
    {
        var validator = _relay.Get<ShopSettingsValidator>();
        var providers = _relay.Get<TargetFactory>().Providers;
        Assert.NotEmpty(providers);
        foreach (var platform in Platforms)
        foreach (var provider in providers)
        {
            var (customers, subscribers) = provider.DefaultMaps(platform.RecordShape);
            var settings = new ShopSettings
            {
                Target = new TargetSettings { Kind = provider.Kind, Credentials = provider.CredentialNames.ToDictionary(n => n, n => n is "uid" or "systemId" ? "123" : "x") },
                Customers = customers,
                Subscribers = subscribers,
                SyncEnabled = true,
            };
            Assert.True(validator.Validate(settings).Count == 0, $"{platform.Name} → {provider.Kind}");
            Assert.Contains(customers.Rules, r => r.Target == ContactFields.FirstName);
            Assert.Contains(subscribers.Rules, r => r.Target == ContactFields.FirstName);
        }
    }
}

using System.Xml.Linq;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Hosting.Internal;
using Microsoft.Extensions.Options;
using Relay.Platforms.Shopware;
using Relay.Pipeline;
using Relay.Secrets;
using Relay.Storage;
using Relay.Tests.Infrastructure;

namespace Relay.Tests.Platforms.Shopware;

/// <summary>Settings the Shopware app needs, and the manifest that must agree with the relay's routes.</summary>
public sealed class ShopwareSetupTests
{
    private static Exception? Validate(Dictionary<string, string?> settings, string environment = "Testing") =>
        StartupValidation.Run(settings, services => services.AddShopware(), environment);

    [Theory]
    [InlineData("Shopware:AppName", "My App")]
    [InlineData("Shopware:PublicBaseUrl", "relay.example.com")]
    [InlineData("Shopware:PublicBaseUrl", "https://relay.example.com/?x=1")]
    [InlineData("Shopware:WebhookTolerance", "00:00:10")]
    [InlineData("Shopware:MaxBodyBytes", "10")]
    public void An_invalid_shopware_setting_stops_start_up_naming_the_setting(string key, string value)
    {
        var validation = Assert.IsType<OptionsValidationException>(Validate(new() { [key] = value }));
        Assert.Contains(key, string.Join(" ", validation.Failures));
    }

    [Fact]
    public void Production_without_app_secret_and_base_url_stops_start_up_naming_both()
    {
        var failures = string.Join(" ", Assert.IsType<OptionsValidationException>(Validate([], "Production")).Failures);
        Assert.Contains("Shopware:AppSecret", failures);
        Assert.Contains("Shopware:PublicBaseUrl", failures);
    }

    [Fact]
    public void Production_with_app_secret_and_base_url_starts() =>
        Assert.Null(Validate(new() { ["Shopware:AppSecret"] = "s3cret", ["Shopware:PublicBaseUrl"] = "https://relay.example.com" }, "Production"));

    [Fact]
    public async Task Testing_environment_starts_with_harmless_defaults()
    {
        await using var app = new RelayApplication();
        var options = app.Get<IOptions<ShopwareOptions>>().Value;
        Assert.Equal(TimeSpan.FromMinutes(15), options.WebhookTolerance);
        Assert.False(string.IsNullOrEmpty(options.AppSecret));
        await using var other = new RelayApplication();
        Assert.NotEqual(other.Get<IOptions<ShopwareOptions>>().Value.AppSecret, options.AppSecret);
    }

    [Fact]
    public async Task Relay_public_base_url_is_used_when_no_shopware_one_is_set()
    {
        await using var app = new RelayApplication(new() { ["Relay:PublicBaseUrl"] = "https://relay.example.com/" });
        Assert.Equal("https://relay.example.com/shopware/register/confirm", app.Get<IOptions<ShopwareOptions>>().Value.ConfirmationUrl.ToString());
    }

    private static XDocument Manifest() => XDocument.Load(Repository.Path("app-manifests", "shopware", "manifest.xml"));

    [Fact]
    public void Manifest_subscribes_lifecycle_and_contact_events_to_the_relay_routes()
    {
        var webhooks = Manifest().Descendants("webhook").ToDictionary(w => (string)w.Attribute("event")!, w => (string)w.Attribute("url")!);

        foreach (var e in new[] { "app.installed", "app.activated", "app.deactivated", "app.updated", "app.deleted", "app.permissions.updated" })
            Assert.Equal("__RELAY_BASE_URL__/shopware/lifecycle", webhooks[e]);
        foreach (var e in new[] { "customer.written", "customer.deleted", "checkout.customer.register", "checkout.customer.deleted",
                     "newsletter.register", "newsletter.confirm", "newsletter.unsubscribe",
                     "checkout.order.placed", "order.written", "state_enter.order.state.completed", "state_enter.order.state.cancelled",
                     "state_enter.order.state.in_progress", "state_enter.order_transaction.state.paid",
                     "state_enter.order_transaction.state.refunded", "state_enter.order_transaction.state.cancelled" })
            Assert.Equal("__RELAY_BASE_URL__/shopware/webhook", webhooks[e]);
        Assert.Equal(21, webhooks.Count);
    }

    [Fact]
    public void Manifest_asks_for_exactly_the_permissions_the_relay_uses()
    {
        var manifest = Manifest();
        var permissions = manifest.Descendants("permissions").Elements().Select(p => $"{p.Name.LocalName}:{p.Value}").Order().ToArray();

        Assert.Equal(new[]
        {
            "read:currency", "read:customer", "read:language", "read:newsletter_recipient",
            "read:order", "read:order_customer", "read:order_delivery", "read:order_line_item", "read:order_transaction",
            "read:payment_method", "read:sales_channel", "read:shipping_method", "read:state_machine", "read:state_machine_state", "read:webhook",
            "update:newsletter_recipient", "update:webhook",
            // A till books a new customer with the order's billing address.
            "read:order_address", "read:country",
            // The till flows (ShopwareCatalog): products, variants, properties, categories, taxes, stock.
            "create:category", "create:product", "create:product_category", "create:product_configurator_setting", "create:product_option",
            "create:product_visibility", "create:property_group", "create:property_group_option", "create:tax",
            "read:category", "read:product", "read:property_group", "read:property_group_option", "read:tax",
            "update:category", "update:product", "update:product_configurator_setting", "update:property_group", "update:property_group_option",
        }.Order().ToArray(), permissions);
        Assert.Equal("__RELAY_BASE_URL__/shopware/register", manifest.Descendants("registrationUrl").Single().Value);
        Assert.Equal("__RELAY_BASE_URL__/shopware/module", (string)manifest.Descendants("module").Single().Attribute("source")!);
    }
}

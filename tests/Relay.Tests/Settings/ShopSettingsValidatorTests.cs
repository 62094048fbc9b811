using Relay.Mapping;
using Relay.Settings;
using Relay.Targets;
using Relay.Tests.Infrastructure;

namespace Relay.Tests.Settings;

public sealed class ShopSettingsValidatorTests : IDisposable
{
    private readonly RelayApplication _relay = new(new() { ["Sync:BackgroundEnabled"] = "false", ["Pipeline:WorkersEnabled"] = "false" });

    public void Dispose() => _relay.Dispose();

    private IReadOnlyDictionary<string, string[]> Validate(ShopSettings settings) => _relay.Get<ShopSettingsValidator>().Validate(settings);

    private static TargetSettings Spotler(string? secret = "cs", Dictionary<string, string>? options = null) => new()
    {
        Kind = "spotler",
        Credentials = secret is null ? new Dictionary<string, string> { ["consumerKey"] = "ck" } : new Dictionary<string, string> { ["consumerKey"] = "ck", ["consumerSecret"] = secret },
        Options = options ?? [],
    };

    [Fact]
    public void Complete_settings_are_valid()
    {
        Assert.Empty(Validate(new ShopSettings { Target = Spotler(), SyncEnabled = true }));
        Assert.Empty(Validate(new ShopSettings()));
    }

    [Fact]
    public void Each_problem_is_reported_on_its_field()
    {
        var errors = Validate(new ShopSettings
        {
            Target = Spotler(secret: null),
            PullInterval = TimeSpan.FromSeconds(10),
            Customers = new FieldMapping
            {
                Rules =
                [
                    new FieldRule { Target = "", Sources = ["email"] },
                    new FieldRule { Target = "firstName" },
                    new FieldRule { Target = "lastName", Sources = ["surname"], Transforms = ["reverse", "date:"] },
                ],
            },
        });

        Assert.Contains("consumerSecret", errors["target.credentials.consumerSecret"][0]);
        Assert.True(errors.ContainsKey("customers.rules[0].target"));
        Assert.True(errors.ContainsKey("customers.rules[1].sources"));
        Assert.Contains("surname", errors["customers.rules[2].sources"][0]);
        Assert.Contains("reverse", errors["customers.rules[2].transforms"][0]);
        Assert.Contains("date:", errors["customers.rules[2].transforms"][0]);
        Assert.True(errors.ContainsKey("pullInterval"));
    }

    [Fact]
    public void Unknown_targets_and_bad_option_values_are_refused()
    {
        Assert.True(Validate(new ShopSettings { Target = new TargetSettings { Kind = "mailchimp" } }).ContainsKey("target.kind"));
        Assert.True(Validate(new ShopSettings { Target = Spotler(options: new() { ["permissionBit"] = "3" }) }).ContainsKey("target"));
        Assert.True(Validate(new ShopSettings { Target = Spotler(options: new() { ["colour"] = "red" }) }).ContainsKey("target.options.colour"));
        Assert.True(Validate(new ShopSettings { SyncEnabled = true }).ContainsKey("target"));
        // Lists become the target's own option (Spotler: the permission bit), so they are checked by its rules.
        Assert.True(Validate(new ShopSettings { Target = Spotler(), Lists = ["3"] }).ContainsKey("target"));
        Assert.Empty(Validate(new ShopSettings { Target = Spotler(), Lists = ["2"] }));
    }
}

using Relay.Targets;
using Relay.Tests.Infrastructure;

namespace Relay.Tests.Targets;

public sealed class TargetRegistrationTests
{
    [Fact]
    public void The_relay_serves_every_target_through_one_factory()
    {
        using var app = new RelayApplication();

        var factory = app.Get<TargetFactory>();

        Assert.Equal(["minicrm", "sare", "spotler"], factory.Providers.Select(p => p.Kind).Order());
        var spotler = factory.Create(new TargetAccount
        {
            Kind = "spotler",
            AccountId = "shopware:abc/spotler",
            Credentials = new Dictionary<string, string> { ["consumerKey"] = "ck", ["consumerSecret"] = "cs" },
        });
        Assert.IsType<Relay.Targets.Spotler.SpotlerClient>(spotler);
    }

    [Fact]
    public void Resilience_settings_are_validated_at_start_with_a_message_that_says_what_to_set()
    {
        var error = StartupValidation.Run(new() { ["Targets:Http:MaxRetryAttempts"] = "50" }, services => services.AddTargets());

        Assert.Contains("Targets:Http:MaxRetryAttempts", error?.ToString());
    }
}

using Refit;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Relay.Infrastructure;
using Relay.Platforms.Shoprenter;

// In the root namespace so that Program.cs composes it with one line and no extra using.
namespace Relay;

public static class ShoprenterServices
{
    /// <summary>Resilience settings of the calls on shops' REST APIs and the token endpoint.</summary>
    public const string HttpSection = "Shoprenter:Http";

    /// <summary>The Shoprenter app's routes: /shoprenter/install, /entry, /uninstall, /webhooks/…, /connection.</summary>
    public static RouteGroupBuilder MapShoprenter(this IEndpointRouteBuilder routes) => ShoprenterEndpoints.Map(routes);

    public static IServiceCollection AddShoprenter(this IServiceCollection services)
    {
        services.AddOptions<ShoprenterOptions>()
            .BindConfiguration(ShoprenterOptions.Section)
            .Validate(o => !o.Enabled || !string.IsNullOrWhiteSpace(o.ClientId),
                "Shoprenter:ClientId must be set (the ClientId Shoprenter Partner Support sent) when any Shoprenter credential is given.")
            .Validate(o => !o.Enabled || !string.IsNullOrWhiteSpace(o.ClientSecret),
                "Shoprenter:ClientSecret must be set (the ClientSecret from Partner Support; it gets tokens and verifies install and app links).")
            .Validate(o => !o.Enabled || !string.IsNullOrWhiteSpace(o.AppId),
                "Shoprenter:AppId must be set (the AppId from Partner Support; the admin opens the app at /admin/app/{AppId}).")
            .Validate(o => !o.Enabled || Uri.TryCreate(o.PublicBaseUrl, UriKind.Absolute, out var u) && u.Scheme is "https" or "http",
                "Shoprenter:PublicBaseUrl must be the relay's public base URL (e.g. https://relay.example.com); shops deliver webhooks to {PublicBaseUrl}/shoprenter/webhooks/….")
            .Validate(o => new[] { o.TokenUrl, o.ApiUrl, o.LegacyApiUrl, o.AdminUrl }.All(t => t.Contains("{shopName}", StringComparison.Ordinal)
                    && Uri.TryCreate(t.Replace("{shopName}", "shop", StringComparison.Ordinal), UriKind.Absolute, out _)),
                "Shoprenter:TokenUrl, ApiUrl, LegacyApiUrl and AdminUrl must be absolute URLs containing {shopName}.")
            .Validate(o => o.TimestampTolerance >= TimeSpan.FromSeconds(10) && o.TimestampTolerance <= TimeSpan.FromHours(1),
                "Shoprenter:TimestampTolerance must be between 00:00:10 and 01:00:00.")
            .Validate(o => o.RequestsPerSecond is > 0 and <= 3,
                "Shoprenter:RequestsPerSecond must be above 0 and at most 3 (Shoprenter's limit per app and shop).")
            .Validate(o => o.WebhookFormat is "json" or "xml", "Shoprenter:WebhookFormat must be json or xml.")
            .Validate(o => o.AdminFrameAncestors.All(Admin.AdminPage.IsFrameAncestorSource),
                "Shoprenter:AdminFrameAncestors entries must be https origins such as https://*.myshoprenter.hu.")
            .Validate(o => o.MaxWebhookBodyBytes is >= 1024 and <= 16 * 1024 * 1024,
                "Shoprenter:MaxWebhookBodyBytes must be between 1024 and 16777216.")
            .Validate(o => ZonelessTime.IsKnown(o.TimeZone),
                "Shoprenter:TimeZone must be an IANA time zone this machine knows (default Europe/Budapest; is tzdata installed?).")
            .ValidateOnStart();

        // The parts the shared code works through (IPlatform).
        services.AddSingleton<ShoprenterContacts>();
        services.AddSingleton<ShoprenterOrders>();
        services.AddSingleton<ShoprenterReconciliation>();
        services.AddSingleton<Pipeline.IQueueHandler, ShoprenterWebhookForwarder>();
        services.AddSingleton<Platforms.IPlatform, ShoprenterPlatform>();

        services.AddSingleton<ShoprenterShops>();
        services.AddSingleton<ShoprenterTokens>();
        services.AddSingleton<ShoprenterWebhooks>();
        services.AddTransient<ShoprenterInstallation>();

        // 3 calls a second leave little room: a 429 is waited out (Retry-After, else a growing delay) and
        // retried up to 5 times; the shared pacing keeps every relay instance together under the limit.
        services.AddOutboundHttpOptions(HttpSection, o =>
        {
            o.MaxRetryAttempts = 5;
            o.RetryBaseDelay = TimeSpan.FromMilliseconds(400);
            o.MaxRetryAfter = TimeSpan.FromMinutes(1);
        });
        services.AddTransient<ShoprenterAuthHandler>();
        services.TryAddTransient<SharedPacingHandler>();
        var refit = OutboundHttp.RefitSettings(ShoprenterClient.Json);
        services.AddRefitGeneratedClient<IShoprenterOAuthApi>(refit).AddOutboundChain(HttpSection);
        services.AddRefitGeneratedClient<IShoprenterApi>(refit)
            .AddOutboundChain(HttpSection)
            .AddHttpMessageHandler<ShoprenterAuthHandler>()
            .AddHttpMessageHandler<SharedPacingHandler>();
        services.AddTransient<ShoprenterClient>();
        return services;
    }
}

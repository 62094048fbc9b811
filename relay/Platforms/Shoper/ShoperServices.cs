using Microsoft.Extensions.Options;
using Refit;
using Relay.Infrastructure;
using Relay.Platforms.Shoper;

// In the root namespace so that Program.cs composes it with one line and no extra using.
namespace Relay;

public static class ShoperServices
{
    /// <summary>Resilience settings of the calls on shops' REST APIs and token endpoints.</summary>
    public const string HttpSection = "Shoper:Http";

    /// <summary>The Shoper app's routes: /shoper/appstore, /shoper/webhooks, /shoper/iframe.</summary>
    public static RouteGroupBuilder MapShoper(this IEndpointRouteBuilder routes) => ShoperEndpoints.Map(routes);

    public static IServiceCollection AddShoper(this IServiceCollection services)
    {
        services.AddOptions<ShoperOptions>()
            .BindConfiguration(ShoperOptions.Section)
            .Validate(o => !o.Enabled || !string.IsNullOrWhiteSpace(o.AppId),
                "Shoper:AppId must be set (the application id from the Shoper developer panel) when any Shoper setting is given.")
            .Validate(o => !o.Enabled || !string.IsNullOrWhiteSpace(o.AppSecret),
                "Shoper:AppSecret must be set (the application secret from the Shoper developer panel; it authenticates the OAuth token calls).")
            .Validate(o => !o.Enabled || !string.IsNullOrWhiteSpace(o.AppstoreSecret),
                "Shoper:AppstoreSecret must be set (the AppStore secret from the Shoper developer panel; it verifies install notifications and iframe links).")
            .Validate(o => !o.Enabled || Uri.TryCreate(o.PublicBaseUrl, UriKind.Absolute, out var u) && u.Scheme is "https" or "http",
                "Shoper:PublicBaseUrl must be the relay's public base URL (e.g. https://relay.example.com); shops deliver webhooks to {PublicBaseUrl}/shoper/webhooks.")
            .Validate(o => o.IframeTimestampTolerance >= TimeSpan.FromSeconds(10) && o.IframeTimestampTolerance <= TimeSpan.FromHours(1),
                "Shoper:IframeTimestampTolerance must be between 00:00:10 and 01:00:00.")
            .Validate(o => o.AdminFrameAncestors.All(Admin.AdminPage.IsFrameAncestorSource),
                "Shoper:AdminFrameAncestors entries must be https origins such as https://*.shoparena.pl.")
            .Validate(o => o.RefreshAhead >= TimeSpan.Zero && o.RefreshAhead <= TimeSpan.FromDays(20),
                "Shoper:RefreshAhead must be between 00:00:00 and 20.00:00:00.")
            .Validate(o => o.MaxWebhookBodyBytes is >= 1024 and <= 16 * 1024 * 1024,
                "Shoper:MaxWebhookBodyBytes must be between 1024 and 16777216.")
            .Validate(o => o.DefaultApiLimit >= 1 && o.DefaultApiBandwidth > 0,
                "Shoper:DefaultApiLimit must be at least 1 and Shoper:DefaultApiBandwidth above 0.")
            .Validate(o => ZonelessTime.IsKnown(o.TimeZone),
                "Shoper:TimeZone must be an IANA time zone this machine knows (default Europe/Warsaw; is tzdata installed?).")
            .ValidateOnStart();

        // The parts the shared code works through (IPlatform).
        services.AddSingleton<ShoperContacts>();
        services.AddSingleton<ShoperOrders>();
        services.AddSingleton<Pipeline.IQueueHandler, ShoperWebhookForwarder>();
        services.AddSingleton<Platforms.IPlatform, ShoperPlatform>();

        services.AddSingleton<ShoperShops>();
        services.AddSingleton<ShoperTokens>();
        services.AddTransient<ShoperAppstoreNotifications>();
        services.AddSingleton<ShoperWebhookSignature>();

        // A shop's bucket is small (10 calls, 2 a second by default): a 429 or a 5xx is waited out and
        // retried up to 5 times, 250 ms apart and growing, and a Retry-After of up to a minute is honoured.
        services.AddOutboundHttpOptions(HttpSection, o =>
        {
            o.AttemptTimeout = TimeSpan.FromSeconds(60);
            o.MaxRetryAttempts = 5;
            o.RetryBaseDelay = TimeSpan.FromMilliseconds(250);
            o.MaxRetryAfter = TimeSpan.FromMinutes(1);
        });
        services.AddTransient<ShoperTokenHandler>();
        services.AddTransient<ShoperBucketHandler>();
        var refit = OutboundHttp.RefitSettings(ShoperClient.Json);
        services.AddRefitGeneratedClient<IShoperOAuthApi>(refit).AddOutboundChain(HttpSection);
        services.AddRefitGeneratedClient<IShoperRestApi>(refit)
            .AddOutboundChain(HttpSection)
            .AddHttpMessageHandler<ShoperTokenHandler>()
            .AddHttpMessageHandler<ShoperBucketHandler>();
        services.AddTransient<ShoperOAuth>();
        services.AddTransient<ShoperClient>();
        // Redirects are looked at, not followed: the point is to learn where the shop really lives.
        services.AddOutboundAddressOptions();
        services.AddHttpClient<ShoperShopUrlResolver>(c => c.Timeout = TimeSpan.FromSeconds(10))
            .ConfigurePrimaryHttpMessageHandler(services =>
                OutboundAddressGuard.Handler(services.GetRequiredService<IOptions<OutboundAddressOptions>>().Value, allowAutoRedirect: false));
        return services;
    }
}

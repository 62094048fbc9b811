using Relay.Platforms.Shoper;

// In the root namespace so that Program.cs composes it with one line and no extra using.
namespace Relay;

public static class ShoperServices
{
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
            .Validate(o => o.MaxRetries is >= 0 and <= 10, "Shoper:MaxRetries must be between 0 and 10.")
            .Validate(o => ZonelessTime.IsKnown(o.TimeZone),
                "Shoper:TimeZone must be an IANA time zone this machine knows (default Europe/Warsaw; is tzdata installed?).")
            .ValidateOnStart();

        // The parts the shared code works through (IPlatform).
        services.AddSingleton<ShoperContacts>();
        services.AddSingleton<Pipeline.IQueueHandler, ShoperWebhookForwarder>();
        services.AddSingleton<Platforms.IPlatform, ShoperPlatform>();

        services.AddSingleton<ShoperShops>();
        services.AddSingleton<ShoperTokens>();
        services.AddTransient<ShoperAppstoreNotifications>();
        services.AddSingleton<ShoperWebhookSignature>();

        services.AddHttpClient<ShoperOAuth>(c => c.Timeout = TimeSpan.FromSeconds(30));
        services.AddHttpClient<ShoperClient>(c => c.Timeout = TimeSpan.FromSeconds(60));
        // Redirects are looked at, not followed: the point is to learn where the shop really lives.
        services.AddHttpClient<ShoperShopUrlResolver>(c => c.Timeout = TimeSpan.FromSeconds(10))
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler { AllowAutoRedirect = false });
        return services;
    }
}

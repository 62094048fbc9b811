using Microsoft.Extensions.DependencyInjection.Extensions;
using Refit;
using Relay.Infrastructure;
using Relay.Platforms.Shopware;
using Relay.Telemetry;

// In the root namespace, like the other composition helpers, so Program.cs needs no extra using.
namespace Relay;

public static class ShopwareServices
{
    /// <summary>Resilience settings of the calls on shops' Admin APIs.</summary>
    public const string HttpSection = "Shopware:Http";

    public static IServiceCollection AddShopware(this IServiceCollection services)
    {
        services.AddOptions<ShopwareOptions>()
            .BindConfiguration(ShopwareOptions.Section)
            .PostConfigure<IConfiguration, IHostEnvironment, ILoggerFactory>((o, configuration, env, logs) =>
            {
                if (string.IsNullOrWhiteSpace(o.PublicBaseUrl))
                    o.PublicBaseUrl = configuration["Relay:PublicBaseUrl"];
                if (!env.IsDevelopment() && !env.IsEnvironment("Testing")) return;
                // Harmless local defaults: a random app secret cannot be guessed, so it only costs a dev who
                // wants to install a real shop the step of setting it (and the manifest secret) explicitly.
                if (string.IsNullOrWhiteSpace(o.AppSecret))
                {
                    o.AppSecret = Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
                    logs.CreateLogger("Relay.Shopware").LogWarning("Shopware:AppSecret is not set: using a random one; shops cannot register until it matches the manifest <secret>.");
                }
                if (string.IsNullOrWhiteSpace(o.PublicBaseUrl))
                    o.PublicBaseUrl = "http://localhost:5000";
            })
            .Validate(o => !string.IsNullOrWhiteSpace(o.AppName) && o.AppName.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-'),
                "Shopware:AppName must be the manifest's technical <meta><name> (letters, digits, '_' or '-'); it is part of the registration proof.")
            .Validate(o => !string.IsNullOrWhiteSpace(o.AppSecret),
                "Shopware:AppSecret must be set to the manifest <setup><secret> (or the store app secret from the Shopware Account).")
            .Validate(o => ShopwareOptions.IsBaseUrl(o.PublicBaseUrl),
                "Shopware:PublicBaseUrl (or Relay:PublicBaseUrl) must be the relay's absolute public http(s) base URL, e.g. https://relay.example.com.")
            .Validate(o => o.WebhookTolerance >= TimeSpan.FromMinutes(1) && o.WebhookTolerance <= TimeSpan.FromDays(1),
                "Shopware:WebhookTolerance must be between 00:01:00 and 1.00:00:00 (default 00:15:00).")
            .Validate(o => o.PendingRegistrationLifetime >= TimeSpan.FromMinutes(1),
                "Shopware:PendingRegistrationLifetime must be at least 00:01:00.")
            .Validate(o => o.KeepUserDataRetention >= TimeSpan.FromHours(1) && o.KeepUserDataRetention <= TimeSpan.FromDays(365),
                "Shopware:KeepUserDataRetention must be between 01:00:00 and 365.00:00:00 (default 30.00:00:00).")
            .Validate(o => o.MaxBodyBytes is >= 1024 and <= 64 * 1024 * 1024,
                "Shopware:MaxBodyBytes must be between 1024 and 67108864.")
            .Validate(o => o.AdminApiRequestsPerSecond > 0 && o.AdminApiBurst >= 1,
                "Shopware:AdminApiRequestsPerSecond must be positive and Shopware:AdminApiBurst at least 1.")
            .Validate(o => o.SearchPageSize is >= 1 and <= 10_000,
                "Shopware:SearchPageSize must be between 1 and 10000 (default 500, Shopware's api.max_limit).")
            .Validate(o => o.CatalogBatchSize is >= 1 and <= 1000,
                "Shopware:CatalogBatchSize must be between 1 and 1000 (default 100 till products per bulk write).")
            .ValidateOnStart();

        // The parts the shared code works through (IPlatform).
        services.AddSingleton<ShopwareContacts>();
        services.AddSingleton<ShopwareOrders>();
        services.AddSingleton<ShopwareReconciliation>();
        services.AddSingleton<ShopwareCatalog>();
        services.AddSingleton<Pipeline.IQueueHandler, ShopwareWebhookForwarder>();
        services.AddSingleton<Platforms.IPlatform, ShopwarePlatform>();

        services.AddSingleton<ShopwareShops>();

        // Shopware's own app client uses 5 s; the Admin API gets a little more for large search pages
        // (the default attempt timeout of the outbound chain, 30 s).
        services.AddOutboundHttpOptions(HttpSection);
        services.AddSingleton<ShopwareTokenCache>();
        services.AddTransient<ShopwareAdminTokenHandler>();
        services.TryAddTransient<SharedPacingHandler>();
        var refit = OutboundHttp.RefitSettings(ShopwareAdminClient.Json);
        services.AddRefitGeneratedClient<IShopwareOAuthApi>(refit).AddOutboundChain(HttpSection);
        services.AddRefitGeneratedClient<IShopwareAdminApi>(refit)
            .AddOutboundChain(HttpSection)
            .AddHttpMessageHandler<ShopwareAdminTokenHandler>()
            .AddHttpMessageHandler<SharedPacingHandler>();
        services.AddTransient<ShopwareAdminClient>();
        return services;
    }

    public static RouteGroupBuilder MapShopware(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/shopware").WithTags("Shopware");

        group.MapGet("/register", ShopwareRegistration.RegisterAsync)
            .WithName("ShopwareRegister")
            .WithSummary("Registration request from Shopware (signed with the app secret); answers proof, shop secret and confirmation URL.")
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status401Unauthorized);
        group.MapPost("/register/confirm", ShopwareRegistration.ConfirmAsync)
            .WithName("ShopwareRegisterConfirm")
            .WithSummary("Registration confirmation with the integration's API keys (signed with the new shop secret).")
            .AcceptsSignedJson();
        group.MapPost("/lifecycle", ShopwareWebhooks.ReceiveLifecycleAsync)
            .WithName("ShopwareLifecycle")
            .WithSummary("App lifecycle webhooks: app.installed, activated, deactivated, updated, deleted.")
            .AcceptsSignedJson();
        group.MapPost("/webhook", ShopwareWebhooks.ReceiveEventAsync)
            .WithName("ShopwareWebhook")
            .WithSummary("Contact and consent webhooks; verified, deduplicated by X-Shopware-Event-Id (else source.eventId) and queued with X-Shopware-Sequence where Shopware sends it.")
            .CountsRejections(ShopwareShops.Platform)
            .AcceptsSignedJson();
        group.MapGet("/module", ShopwareModule.OpenAsync)
            .WithName("ShopwareModule")
            .WithSummary("Admin module iframe entry (signed query); redirects to the admin page with a shop-scoped session.")
            .Produces(StatusCodes.Status302Found)
            .ProducesProblem(StatusCodes.Status401Unauthorized);
        return group;
    }

    /// <summary>Every signed JSON POST Shopware sends is read raw and refused the same ways.</summary>
    private static RouteHandlerBuilder AcceptsSignedJson(this RouteHandlerBuilder route) => route
        .Accepts<System.Text.Json.JsonElement>("application/json")
        .ProducesProblem(StatusCodes.Status400BadRequest)
        .ProducesProblem(StatusCodes.Status401Unauthorized)
        .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
        .ProducesProblem(StatusCodes.Status415UnsupportedMediaType);
}

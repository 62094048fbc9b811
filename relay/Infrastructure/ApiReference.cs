using Scalar.AspNetCore;

namespace Relay;

/// <summary>OpenAPI document at /openapi/v1.json and a browsable reference at /docs.</summary>
public static class ApiReference
{
    public const string DocumentPath = "/openapi/v1.json";
    public const string YamlDocumentPath = "/openapi/v1.yaml";

    public static IServiceCollection AddApiReference(this IServiceCollection services)
    {
        services.AddOpenApi(o => o.AddDocumentTransformer((doc, _, _) =>
        {
            doc.Info.Title = "Shop relay API";
            doc.Info.Version = "v1";
            doc.Info.Description = "Connects Shopware 6 and Shoper shops to marketing and CRM systems.";
            doc.Servers = [];
            return Task.CompletedTask;
        }));
        return services;
    }

    public static WebApplication MapApiReference(this WebApplication app)
    {
        app.MapOpenApi(DocumentPath);
        app.MapOpenApi(YamlDocumentPath);
        // The page is served whole by the relay: no fonts from a CDN and no telemetry, so opening it
        // sends nothing anywhere but here (an operator's network may not reach out at all). The AI chat
        // and the developer toolbar (share, generate an SDK) would hand the relay's document to Scalar's
        // service, so they are off too.
        app.MapScalarApiReference("/docs", o => o
            .WithTitle("Shop relay API")
            .WithOpenApiRoutePattern(DocumentPath)
            .DisableDefaultFonts()
            .DisableTelemetry()
            .DisableAgent()
            .HideDeveloperTools());
        return app;
    }
}

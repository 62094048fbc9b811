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
        // Only requests under /docs meet the UI's middleware; webhooks skip its path matching.
        app.UseWhen(http => http.Request.Path.StartsWithSegments("/docs"), docs => docs.UseSwaggerUI(o =>
        {
            o.RoutePrefix = "docs";
            o.SwaggerEndpoint(DocumentPath, "Shop relay API v1");
            o.DocumentTitle = "Shop relay API";
        }));
        return app;
    }
}

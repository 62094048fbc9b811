using Microsoft.Extensions.Logging.Console;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using Relay.Pipeline;
using Relay.Telemetry;

// In the root namespace, like the other composition helpers, so Program.cs needs no extra using.
namespace Relay;

/// <summary>
/// Logs, metrics and traces for operators. Logs: with Logging:Console:FormatterName=json every line is one
/// JSON object carrying its scopes (shop key and event id while a worker handles an event). Metrics: the
/// "Relay" meter (see <see cref="RelayMetrics"/>, <see cref="QueueDepthGauge"/>) beside ASP.NET Core's, the
/// HTTP client's and the runtime's; traces of incoming requests and outgoing HTTP calls. Both go out over
/// OTLP when OTEL_EXPORTER_OTLP_ENDPOINT is set; the SDK reads the other OTEL_* settings itself
/// (OTEL_EXPORTER_OTLP_PROTOCOL, _HEADERS, OTEL_METRIC_EXPORT_INTERVAL, OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES).
/// </summary>
public static class TelemetryServices
{
    public const string EndpointSetting = "OTEL_EXPORTER_OTLP_ENDPOINT";

    public static WebApplicationBuilder AddTelemetry(this WebApplicationBuilder builder)
    {
        // Scopes are where the shop key and event id live; a JSON log without them cannot be searched by shop.
        builder.Services.Configure<JsonConsoleFormatterOptions>(o =>
        {
            o.IncludeScopes = true;
            o.UseUtcTimestamp = true;
            o.TimestampFormat ??= "yyyy-MM-ddTHH:mm:ss.fffZ";
        });

        builder.Services.AddSingleton<QueueDepthGauge>();
        builder.Services.AddSingleton<IStartupFilter, TelemetryStartupFilter>();

        // Without an endpoint the SDK would send to localhost:4317; a relay nobody collects from sends nothing.
        if (Uri.TryCreate(builder.Configuration[EndpointSetting], UriKind.Absolute, out _))
            builder.Services.AddOpenTelemetry()
                // The environment detector comes last so OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES win.
                .ConfigureResource(r => r.Clear()
                    .AddService("shop-relay", serviceInstanceId: $"{Environment.MachineName}-{Environment.ProcessId}")
                    .AddTelemetrySdk()
                    .AddEnvironmentVariableDetector())
                .WithMetrics(metrics => metrics
                    .AddMeter(RelayMetrics.MeterName)
                    .AddAspNetCoreInstrumentation()
                    .AddHttpClientInstrumentation()
                    .AddRuntimeInstrumentation())
                .WithTracing(traces => traces
                    // A path can carry a secret (a webhook URL whose secret is its only authentication): traces
                    // keep the route's template instead, which http.route already names.
                    .AddAspNetCoreInstrumentation(o => o.EnrichWithHttpResponse = (activity, response) =>
                    {
                        if (response.HttpContext.GetEndpoint() is RouteEndpoint { RoutePattern.RawText: { } template })
                            activity.SetTag("url.path", template);
                    })
                    .AddHttpClientInstrumentation())
                .UseOtlpExporter();
        return builder;
    }

    /// <summary>Runs when the app is built: creates the gauges, says where telemetry goes, and counts webhook rejections.</summary>
    private sealed class TelemetryStartupFilter(IServiceProvider services, IConfiguration configuration, ILogger<TelemetryStartupFilter> logger) : IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            services.GetRequiredService<QueueDepthGauge>();
            var endpoint = configuration[EndpointSetting];
            if (services.GetService<MeterProvider>() is not null)
                logger.LogInformation("Exporting metrics and traces over OTLP to {Endpoint}", endpoint);
            else if (!string.IsNullOrWhiteSpace(endpoint))
                logger.LogWarning("{Setting} is not an absolute URL; metrics and traces are not exported", EndpointSetting);
            app.UseMiddleware<RejectionCounting>();
            next(app);
        };
    }
}

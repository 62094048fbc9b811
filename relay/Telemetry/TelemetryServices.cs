using Microsoft.Extensions.Logging.Console;
using Relay.Pipeline;
using Relay.Telemetry;

// In the root namespace, like the other composition helpers, so Program.cs needs no extra using.
namespace Relay;

/// <summary>
/// Logs and metrics for operators. Logs: with Logging:Console:FormatterName=json every line is one JSON
/// object carrying its scopes (shop key and event id while a worker handles an event). Metrics: the
/// "Relay" meter (see <see cref="RelayMetrics"/>, <see cref="QueueDepthGauge"/>), exported over OTLP
/// when OTEL_EXPORTER_OTLP_ENDPOINT is set, together with ASP.NET Core's and the runtime's meters.
/// </summary>
public static class TelemetryServices
{
    /// <summary>The meters exported over OTLP besides the relay's own.</summary>
    public static readonly string[] ExportedMeters =
    [
        RelayMetrics.MeterName,
        "Microsoft.AspNetCore.Hosting",
        "Microsoft.AspNetCore.Server.Kestrel",
        "System.Runtime",
    ];

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

        builder.Services.AddSingleton<OtlpMetricsExport>();
        return builder;
    }

    /// <summary>Runs when the app is built: creates the gauges and the exporter, and counts webhook rejections.</summary>
    private sealed class TelemetryStartupFilter(IServiceProvider services) : IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            services.GetRequiredService<QueueDepthGauge>();
            services.GetRequiredService<OtlpMetricsExport>();
            app.UseMiddleware<RejectionCounting>();
            next(app);
        };
    }
}

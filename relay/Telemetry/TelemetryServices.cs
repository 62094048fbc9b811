using Microsoft.Extensions.Logging.Console;
using OpenTelemetry;
using OpenTelemetry.Exporter;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
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

        var endpoint = builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"];
        if (!string.IsNullOrWhiteSpace(endpoint))
            builder.Services.AddSingleton(_ => BuildMeterProvider(endpoint, builder.Configuration));
        return builder;
    }

    /// <summary>
    /// Built by hand because OpenTelemetry.Extensions.Hosting is not available from the package
    /// registry here. The provider is a DI singleton, so the host disposes it on shutdown, which
    /// flushes the last figures.
    /// </summary>
    private static MeterProvider BuildMeterProvider(string endpoint, IConfiguration configuration)
    {
        var protocol = configuration["OTEL_EXPORTER_OTLP_PROTOCOL"] is "http/protobuf"
            ? OtlpExportProtocol.HttpProtobuf
            : OtlpExportProtocol.Grpc;
        var interval = int.TryParse(configuration["OTEL_METRIC_EXPORT_INTERVAL"], out var ms) && ms > 0 ? ms : 60_000;
        return Sdk.CreateMeterProviderBuilder()
            // The environment detector comes last so OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES win.
            .ConfigureResource(r => r.Clear()
                .AddService("shop-relay", serviceInstanceId: $"{Environment.MachineName}-{Environment.ProcessId}")
                .AddTelemetrySdk()
                .AddEnvironmentVariableDetector())
            .AddMeter(ExportedMeters)
            .AddOtlpExporter((exporter, reader) =>
            {
                exporter.Protocol = protocol;
                // An endpoint set in code is used as it is, so the signal path that the environment
                // variable would get appended is added here for http/protobuf.
                exporter.Endpoint = protocol == OtlpExportProtocol.HttpProtobuf
                    ? new Uri(endpoint.TrimEnd('/') + "/v1/metrics")
                    : new Uri(endpoint);
                reader.PeriodicExportingMetricReaderOptions.ExportIntervalMilliseconds = interval;
            })
            .Build();
    }

    /// <summary>Runs when the app is built: creates the gauges and the exporter, and counts webhook rejections.</summary>
    private sealed class TelemetryStartupFilter(IServiceProvider services) : IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            services.GetRequiredService<QueueDepthGauge>();
            services.GetService<MeterProvider>();
            app.UseMiddleware<RejectionCounting>();
            next(app);
        };
    }
}

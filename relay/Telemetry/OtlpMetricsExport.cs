using OpenTelemetry;
using OpenTelemetry.Exporter;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;

namespace Relay.Telemetry;

/// <summary>
/// Exports the relay's, ASP.NET Core's and the runtime's meters over OTLP when
/// OTEL_EXPORTER_OTLP_ENDPOINT is set (environment or configuration); does nothing otherwise.
/// OTEL_EXPORTER_OTLP_PROTOCOL (grpc, the default, or http/protobuf), OTEL_METRIC_EXPORT_INTERVAL
/// (ms, default 60000), OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES are honoured. Built by hand
/// because OpenTelemetry.Extensions.Hosting is not served by the package registry here; disposing it
/// at shutdown exports the last figures.
/// </summary>
public sealed class OtlpMetricsExport : IDisposable
{
    private readonly MeterProvider? _provider;

    public OtlpMetricsExport(IConfiguration configuration, ILogger<OtlpMetricsExport> logger)
    {
        var endpoint = configuration["OTEL_EXPORTER_OTLP_ENDPOINT"];
        if (string.IsNullOrWhiteSpace(endpoint)) return;
        if (!Uri.TryCreate(endpoint, UriKind.Absolute, out _))
        {
            logger.LogWarning("OTEL_EXPORTER_OTLP_ENDPOINT is not an absolute URL; metrics are not exported");
            return;
        }
        var protocol = configuration["OTEL_EXPORTER_OTLP_PROTOCOL"] is "http/protobuf" ? OtlpExportProtocol.HttpProtobuf : OtlpExportProtocol.Grpc;
        var interval = int.TryParse(configuration["OTEL_METRIC_EXPORT_INTERVAL"], out var ms) && ms > 0 ? ms : 60_000;
        _provider = Sdk.CreateMeterProviderBuilder()
            // The environment detector comes last so OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES win.
            .ConfigureResource(r => r.Clear()
                .AddService("shop-relay", serviceInstanceId: $"{Environment.MachineName}-{Environment.ProcessId}")
                .AddTelemetrySdk()
                .AddEnvironmentVariableDetector())
            .AddMeter(TelemetryServices.ExportedMeters)
            .AddOtlpExporter((exporter, reader) =>
            {
                exporter.Protocol = protocol;
                // An endpoint set in code is used as it is; the signal path the SDK appends to the
                // environment variable's value is added here for http/protobuf.
                exporter.Endpoint = protocol == OtlpExportProtocol.HttpProtobuf
                    ? new Uri(endpoint.TrimEnd('/') + "/v1/metrics")
                    : new Uri(endpoint);
                reader.PeriodicExportingMetricReaderOptions.ExportIntervalMilliseconds = interval;
            })
            .Build();
        logger.LogInformation("Exporting metrics over OTLP ({Protocol}) to {Endpoint} every {Interval} ms", protocol, endpoint, interval);
    }

    public bool Enabled => _provider is not null;

    /// <summary>Collects and sends now instead of at the next interval; false when the export failed or timed out.</summary>
    public bool ForceFlush(TimeSpan timeout) => _provider?.ForceFlush((int)timeout.TotalMilliseconds) ?? false;

    public void Dispose() => _provider?.Dispose();
}

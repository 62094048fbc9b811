using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;
using Relay.Pipeline;
using Relay.Telemetry;
using Relay.Tests.Infrastructure;
using Relay.Tests.Pipeline;
using Relay.Tests.Platforms.Shopware;
using Simulators;

namespace Relay.Tests.Telemetry;

public sealed class MetricsTests
{
    /// <summary>
    /// Listens to one app's "Relay" meter only: every app in the test process has a meter of that name,
    /// and the factory that created it tells them apart.
    /// </summary>
    private sealed class RelayMeterRecorder : IDisposable
    {
        private readonly MeterListener _listener = new();
        public ConcurrentQueue<(string Instrument, long Value, Dictionary<string, object?> Tags)> Measurements { get; } = new();

        public RelayMeterRecorder(IMeterFactory factory)
        {
            _listener.InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Name == RelayMetrics.MeterName && ReferenceEquals(instrument.Meter.Scope, factory))
                    listener.EnableMeasurementEvents(instrument);
            };
            _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
                Measurements.Enqueue((instrument.Name, value, tags.ToArray().ToDictionary(t => t.Key, t => t.Value))));
            _listener.Start();
        }

        public long Sum(string instrument, string tag, object value) =>
            Measurements.Where(m => m.Instrument == instrument && Equals(m.Tags.GetValueOrDefault(tag), value)).Sum(m => m.Value);

        public void Observe() => _listener.RecordObservableInstruments();

        public void Dispose() => _listener.Dispose();
    }

    [Fact]
    public async Task Accepted_duplicate_and_rejected_webhooks_are_counted()
    {
        await using var bed = await ShopwareTestbed.StartAsync();
        await bed.InstallAsync();
        using var recorder = new RelayMeterRecorder(bed.Relay.Get<IMeterFactory>());

        (await bed.Shop.SendWebhookAsync("customer.written", ShopwareTestbed.CustomerWritten("c1"), eventId: "evt-1")).EnsureSuccessStatusCode();
        (await bed.Shop.SendWebhookAsync("customer.written", ShopwareTestbed.CustomerWritten("c2"), eventId: "evt-2")).EnsureSuccessStatusCode();
        (await bed.Shop.SendWebhookAsync("customer.written", ShopwareTestbed.CustomerWritten("c1"), eventId: "evt-1")).EnsureSuccessStatusCode();
        using var forged = await bed.Shop.SendWebhookAsync("customer.written", null, signWith: "not-the-shop-secret");
        using var malformed = await bed.Shop.SendSignedAsync("/shopware/webhook", "{\"data\":");
        Assert.Equal(HttpStatusCode.Unauthorized, forged.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, malformed.StatusCode);

        Assert.Equal(2, recorder.Sum("relay.events.received", "outcome", "accepted"));
        Assert.Equal(1, recorder.Sum("relay.events.received", "outcome", "duplicate"));
        Assert.Equal(1, recorder.Sum("relay.events.rejected", "reason", "unauthenticated"));
        Assert.Equal(1, recorder.Sum("relay.events.rejected", "reason", "malformed"));
        Assert.Equal(2, recorder.Sum("relay.events.rejected", "platform", "shopware"));
    }

    [Fact]
    public async Task Handled_events_are_counted_by_outcome_with_their_duration()
    {
        var handler = ScriptedHandler.FailingTimes(1);
        await using var app = new RelayApplication(new() { ["Pipeline:WorkersEnabled"] = "false" },
            services: s => s.AddSingleton<IQueueHandler>(handler));
        var factory = app.Get<IMeterFactory>();
        using var recorder = new RelayMeterRecorder(factory);
        var durations = 0;
        using var durationListener = new MeterListener();
        durationListener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Name == "relay.handler.duration" && ReferenceEquals(instrument.Meter.Scope, factory))
                listener.EnableMeasurementEvents(instrument);
        };
        durationListener.SetMeasurementEventCallback<double>((_, _, _, _) => Interlocked.Increment(ref durations));
        durationListener.Start();

        var inbox = app.Get<Inbox>();
        var worker = app.Get<QueueWorker>();
        await inbox.AcceptAsync("shopware:s1", "evt-1", "test", "{}");      // fails once: retry
        await inbox.AcceptAsync("shopware:s1", "evt-2", "unknown.kind", "{}"); // no handler: dead letter
        await worker.ProcessOnceAsync();

        Assert.Equal(1, recorder.Sum("relay.events.processed", "outcome", "retry"));
        Assert.Equal(1, recorder.Sum("relay.events.processed", "outcome", "dead"));
        Assert.Equal(1, durations);
    }

    [Fact]
    public async Task Queue_depth_is_reported_per_partition_and_state()
    {
        await using var app = new RelayApplication(new() { ["Pipeline:WorkersEnabled"] = "false", ["Pipeline:Partitions"] = "2" });
        _ = app.Services; // builds the host, which creates the gauge
        using var recorder = new RelayMeterRecorder(app.Get<IMeterFactory>());
        var inbox = app.Get<Inbox>();
        await inbox.AcceptAsync("shopware:a", "evt-1", "k", "{}");
        await inbox.AcceptAsync("shopware:a", "evt-2", "k", "{}");

        await app.Get<QueueDepthGauge>().RefreshAsync();
        recorder.Observe();

        var partition = Relay.Storage.StoreKeys.PartitionOf("shopware:a", 2);
        var waiting = recorder.Measurements.Single(m => m.Instrument == "relay.queue.depth"
            && Equals(m.Tags["partition"], partition) && Equals(m.Tags["state"], "waiting"));
        Assert.Equal(2, waiting.Value);
        Assert.Equal(6, recorder.Measurements.Count(m => m.Instrument == "relay.queue.depth"));
    }

    [Fact]
    public async Task Metrics_and_traces_are_exported_over_otlp_when_an_endpoint_is_set()
    {
        var received = new ConcurrentQueue<(string Path, string? ContentType, byte[] Body)>();
        await using var collector = await SimulatorHost.StartAsync(app => app.MapPost("/v1/{signal}", async (HttpRequest request) =>
        {
            using var body = new MemoryStream();
            await request.Body.CopyToAsync(body);
            received.Enqueue((request.Path, request.ContentType, body.ToArray()));
            return Results.Ok();
        }));
        await using var relay = new RelayApplication(new()
        {
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = collector.BaseUrl,
            ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf",
            ["Pipeline:WorkersEnabled"] = "false",
        });
        await relay.Get<Inbox>().AcceptAsync("shopware:s1", "evt-1", "k", "{}");
        (await relay.CreateClient().GetAsync("/health/live")).EnsureSuccessStatusCode();

        Assert.True(relay.Get<MeterProvider>().ForceFlush(30_000), "the OTLP metrics export did not complete");
        Assert.True(relay.Get<TracerProvider>().ForceFlush(30_000), "the OTLP trace export did not complete");
        var metrics = Assert.Single(received, r => r.Path == "/v1/metrics" && Contains(r.Body, "relay.events.received"));
        Assert.Equal("application/x-protobuf", metrics.ContentType);
        Assert.Contains(received, r => r.Path == "/v1/metrics" && Contains(r.Body, "http.server.request.duration"));
        Assert.Contains(received, r => r.Path == "/v1/traces" && Contains(r.Body, "/health/live"));
    }

    private static bool Contains(byte[] protobuf, string text) => Encoding.UTF8.GetString(protobuf).Contains(text, StringComparison.Ordinal);

    [Fact]
    public async Task Without_an_endpoint_nothing_is_exported()
    {
        await using var relay = new RelayApplication();
        Assert.Null(relay.Services.GetService<MeterProvider>());
        Assert.Null(relay.Services.GetService<TracerProvider>());
    }
}

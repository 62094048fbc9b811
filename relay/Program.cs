using Relay;
using Relay.Admin;
using Relay.Health;
using Relay.Operator;
using Relay.Orders;
using Relay.Pipeline;
using Relay.Secrets;
using Relay.Settings;
using Relay.Storage;
using Relay.Sync;
using Relay.Targets.MplusKassa;
using Relay.Targets;

var builder = WebApplication.CreateBuilder(args);

// Configure the shared parts: time, storage, secrets, tenants, the durable pipeline
builder.Services.AddSingleton(TimeProvider.System);
builder.Services.AddRelayStore(PipelineOptions.PartitionsOf);
builder.Services.AddSecrets();
builder.Services.AddPipeline();
builder.Services.AddShops();
builder.Services.AddSingleton<ShopSettingsStore>();

// Configure the platforms, the marketing systems and the sync between them
builder.Services.AddShopware();
builder.Services.AddShoper();
builder.Services.AddShoprenter();
builder.Services.AddTargets();
builder.Services.AddSync();
builder.Services.AddOrders();

// Configure the web surface: errors as problem+json, admin page and sessions, operator API, OpenAPI
builder.UseInlineIoWhenEnabled();
builder.Services.AddProblemHandling();
builder.Services.AddAdminSessions();
builder.Services.AddAdminApi();
builder.Services.AddOperatorApi();
builder.Services.AddApiReference();

// Configure logs and metrics (OTLP when OTEL_EXPORTER_OTLP_ENDPOINT is set)
builder.AddTelemetry();

var app = builder.Build();

app.UseProblemHandling();
app.UseAuthentication();
app.UseAuthorization();

app.MapApiReference();
app.MapHealth();
app.MapShopware();
app.MapShoper();
app.MapShoprenter();
app.MapMplusKassaWebhooks();
app.MapAdminPage();
app.MapAdminApi();
app.MapOperatorApi();

return app.RunOrExplain();

public partial class Program;

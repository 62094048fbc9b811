using Relay;
using Relay.Admin;
using Relay.Health;
using Relay.Operator;
using Relay.Pipeline;
using Relay.Secrets;
using Relay.Shops;
using Relay.Storage;

var builder = WebApplication.CreateBuilder(args);

// Configure the shared parts: time, storage, secrets, the durable pipeline
builder.Services.AddSingleton(TimeProvider.System);
builder.Services.AddRelayStore();
builder.Services.AddSecrets();
builder.Services.AddPipeline();
builder.Services.AddSingleton<ShopDirectory>();
builder.Services.AddSingleton<Relay.Settings.ShopSettingsStore>();
Relay.Sync.SyncServices.AddSync(builder.Services);
Relay.Targets.TargetServices.AddTargets(builder.Services);

// Configure the web surface: errors as problem+json, admin sessions, OpenAPI
builder.Services.AddProblemHandling();
builder.Services.AddAdminSessions();
builder.Services.AddAdminApi();
builder.Services.AddApiReference();
builder.Services.AddOperatorApi();
builder.Services.AddShopware();
builder.Services.AddShoper();
builder.AddTelemetry();

var app = builder.Build();

app.UseProblemHandling();
app.UseAuthentication();
app.UseAuthorization();

app.MapApiReference();
app.MapHealth();
app.MapOperatorApi();
app.MapShopware();
app.MapShoper();
app.MapAdminPage();
app.MapAdminApi();

return app.RunOrExplain();

public partial class Program;

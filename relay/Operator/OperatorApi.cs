using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Relay.Pipeline;
using Relay.Shops;
using Relay.Storage;
using Relay.Sync;

namespace Relay.Operator;

public sealed class OperatorOptions
{
    public const string Section = "Operator";

    /// <summary>Sent as "Authorization: Bearer {key}". Empty: the operator API is off.</summary>
    public string? ApiKey { get; set; }
}

/// <summary>For the people running the relay: tenants, queue depth, dead letters, replay and purge.</summary>
public static class OperatorApi
{
    public static IServiceCollection AddOperatorApi(this IServiceCollection services)
    {
        services.AddOptions<OperatorOptions>().BindConfiguration(OperatorOptions.Section)
            .Validate(o => string.IsNullOrEmpty(o.ApiKey) || o.ApiKey.Length >= 24, "Operator:ApiKey must be at least 24 characters when set.")
            .ValidateOnStart();
        return services;
    }

    public static RouteGroupBuilder MapOperatorApi(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/operator").WithTags("Operator").AddEndpointFilter(RequireOperatorKey);

        group.MapGet("/shops", async (ShopDirectory shops) => TypedResults.Ok(await shops.ListAsync()))
            .WithName("ListShops");

        group.MapGet("/queue", async (IRelayStore store, IOptions<PipelineOptions> options) =>
        {
            var depths = new List<PartitionDepth>();
            for (var p = 0; p < options.Value.Partitions; p++)
            {
                var d = await store.GetDepthAsync(p);
                depths.Add(new PartitionDepth(p, d.Waiting, d.Pending, d.Retrying));
            }
            return TypedResults.Ok(depths);
        })
        .WithName("QueueDepth");

        group.MapGet("/shops/{shopKey}/dead-letters", async (string shopKey, IRelayStore store, int? max) =>
            TypedResults.Ok((await store.ListDeadLettersAsync(shopKey, Math.Clamp(max ?? 100, 1, 1000))).Select(DeadLetterView.Of)))
            .WithName("ListDeadLetters");

        group.MapPost("/shops/{shopKey}/dead-letters/{id}/replay", async Task<Results<NoContent, NotFound>> (string shopKey, string id, IRelayStore store) =>
            await store.ReplayDeadLetterAsync(shopKey, id) ? TypedResults.NoContent() : TypedResults.NotFound())
            .WithName("ReplayDeadLetter");

        group.MapPost("/shops/{shopKey}/dead-letters/replay", async (string shopKey, IRelayStore store) =>
        {
            var replayed = 0;
            foreach (var letter in await store.ListDeadLettersAsync(shopKey, 10_000))
                if (await store.ReplayDeadLetterAsync(shopKey, letter.Id)) replayed++;
            return TypedResults.Ok(new ReplayResult(replayed));
        })
        .WithName("ReplayAllDeadLetters");

        group.MapPost("/shops/{shopKey}/purge", async (string shopKey, IRelayStore store, IOptions<PipelineOptions> options) =>
            TypedResults.Ok(new PurgeResult(await store.PurgeShopAsync(shopKey, options.Value.Partitions))))
            .WithName("PurgeShopQueue");

        // Why a shop is not syncing: the schedulers carry on with the other shops and leave the reason here.
        group.MapGet("/shops/{shopKey}/sync-status", async Task<Results<Ok<ShopSyncStatusView>, NotFound>> (
            string shopKey, ShopDirectory shops, PullBackRunner pullBack, FullSync fullSync, SyncProblems problems) =>
        {
            if (await shops.GetAsync(shopKey) is null) return TypedResults.NotFound();
            var pulled = await pullBack.GetStateAsync(shopKey);
            var sync = await fullSync.GetAsync(shopKey);
            return TypedResults.Ok(new ShopSyncStatusView(pulled.LastRunAt, sync.State.ToString().ToLowerInvariant(), sync.Error, await problems.ListAsync(shopKey)));
        })
        .WithName("ShopSyncStatus");

        // Support's "has the unsubscribe arrived yet?": the shop's pull-back now instead of at its interval
        // (10 minutes by default). It takes the same per-shop lock as the scheduler, so it never runs twice at once.
        group.MapPost("/shops/{shopKey}/pull-back", async Task<Results<Ok<PullBackView>, NotFound>> (
            string shopKey, ShopDirectory shops, PullBackRunner runner, CancellationToken ct) =>
        {
            if (await shops.GetAsync(shopKey) is null) return TypedResults.NotFound();
            var result = await runner.RunOnceAsync(shopKey, ct);
            return TypedResults.Ok(new PullBackView(result.Outcome.ToString().ToLowerInvariant(), result.OptedOut, result.Bounced, result.Reason));
        })
        .WithName("RunPullBack");

        // The till flows of a shop: where its cursors stand, the last run, what waits; and a run now.
        group.MapGet("/shops/{shopKey}/pos-status", async Task<Results<Ok<PosStatusView>, NotFound>> (string shopKey, ShopDirectory shops, PosSync pos) =>
        {
            if (await shops.GetAsync(shopKey) is null) return TypedResults.NotFound();
            return TypedResults.Ok(new PosStatusView(await pos.GetStateAsync(shopKey), await pos.WaitingAsync(shopKey)));
        })
        .WithName("ShopPosStatus");

        group.MapPost("/shops/{shopKey}/pos-sync", async Task<Results<Ok<Admin.PosRunView>, NotFound>> (string shopKey, ShopDirectory shops, PosSync pos, CancellationToken ct) =>
        {
            if (await shops.GetAsync(shopKey) is null) return TypedResults.NotFound();
            return TypedResults.Ok(Admin.PosRunView.Of(await pos.RunOnceAsync(shopKey, ct)));
        })
        .WithName("RunPosSync");

        return group;
    }

    private static async ValueTask<object?> RequireOperatorKey(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        var key = http.RequestServices.GetRequiredService<IOptions<OperatorOptions>>().Value.ApiKey;
        var header = http.Request.Headers.Authorization.ToString();
        const string bearer = "Bearer ";
        if (string.IsNullOrEmpty(key) || !header.StartsWith(bearer, StringComparison.Ordinal) ||
            !CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(header[bearer.Length..]), Encoding.UTF8.GetBytes(key)))
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status401Unauthorized, title: "Operator key required",
                detail: "Send Authorization: Bearer <Operator:ApiKey>.");
        }
        return await next(context);
    }
}

public sealed record PartitionDepth(int Partition, long Waiting, long Pending, long Retrying);
public sealed record ReplayResult(int Replayed);
public sealed record PurgeResult(int Removed);

/// <param name="LastPullAt">When the last pull-back that got through ran (null: never).</param>
/// <param name="FullSync">idle, running, completed, cancelled or failed.</param>
/// <param name="Problems">The jobs failing for this shop, with the reason and since when (empty: all well).</param>
public sealed record ShopSyncStatusView(DateTimeOffset? LastPullAt, string FullSync, string? FullSyncError, IReadOnlyList<SyncProblem> Problems);

/// <param name="Outcome">done; skipped (not syncing: see Reason); failed (settings, credentials, shop or target: see Reason); busy (another instance is pulling).</param>
/// <param name="OptedOut">Target unsubscribes written to the shop as opt-outs.</param>
/// <param name="Bounced">Hard bounces written to the shop as opt-outs.</param>
public sealed record PullBackView(string Outcome, int OptedOut, int Bounced, string? Reason);

/// <param name="State">The till's cursors, the last run and its error, the running counts.</param>
/// <param name="Waiting">Orders the till cannot take yet, with why.</param>
public sealed record PosStatusView(PosState State, IReadOnlyList<PosWaitingOrder> Waiting);

/// <summary>A dead letter as an API shows it: the raw body stays in the store.</summary>
public sealed record DeadLetterView(string Id, string ShopKey, string EventId, string Kind, int Attempts, string Error, DateTimeOffset AcceptedAt, DateTimeOffset DeadAt)
{
    public static DeadLetterView Of(DeadLetter d) =>
        new(d.Id, d.Event.ShopKey, d.Event.EventId, d.Event.Kind, d.Attempts, d.Error, d.Event.AcceptedAt, d.DeadAt);
}

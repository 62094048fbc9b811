using Microsoft.AspNetCore.Http.HttpResults;
using Relay.Storage;

namespace Relay.Health;

public static class HealthApi
{
    public static RouteGroupBuilder MapHealth(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/health").WithTags("Health");

        // Liveness says only that the process answers; a Redis outage must not get it restarted.
        group.MapGet("/live", () => TypedResults.Ok(new HealthReport("live")))
            .WithName("Live");

        group.MapGet("/ready", async Task<Results<Ok<HealthReport>, JsonHttpResult<HealthReport>>> (IRelayStore store, CancellationToken ct) =>
        {
            bool reachable;
            try
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
                timeout.CancelAfter(TimeSpan.FromSeconds(2));
                reachable = await store.PingAsync(timeout.Token);
            }
            catch (Exception)
            {
                reachable = false;
            }
            return reachable
                ? TypedResults.Ok(new HealthReport("ready"))
                : TypedResults.Json(new HealthReport("store unreachable"), statusCode: StatusCodes.Status503ServiceUnavailable);
        })
        .WithName("Ready");

        return group;
    }
}

public sealed record HealthReport(string Status);

using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http.Features;

namespace Relay;

/// <summary>
/// Every error leaves as application/problem+json. Malformed input that slips past a handler's own
/// checks (bad JSON, wrong content type, oversized body) becomes a 4xx, never a 500 with a trace.
/// </summary>
public static class ProblemHandling
{
    public static IServiceCollection AddProblemHandling(this IServiceCollection services)
    {
        services.AddProblemDetails(o => o.CustomizeProblemDetails = ctx =>
        {
            ctx.ProblemDetails.Extensions.Remove("exception");
            ctx.ProblemDetails.Instance ??= ctx.HttpContext.Request.Path;
        });
        services.AddExceptionHandler<BadInputExceptionHandler>();
        return services;
    }

    public static WebApplication UseProblemHandling(this WebApplication app)
    {
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        return app;
    }

    /// <summary>
    /// The store down, restarting, loading its AOF or its cluster reorganising (the store says so with
    /// <see cref="Storage.StoreUnavailableException"/>): temporary, and the request changed nothing that was promised.
    /// </summary>
    /// <summary>The route's pattern, not the path: some paths carry a credential (a till's webhook address).</summary>
    private static string LoggedPath(HttpContext http) =>
        (http.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText ?? http.Request.Path.ToString();

    private static bool IsStoreOutage(Exception e) => e switch
    {
        Storage.StoreUnavailableException or TimeoutException => true,
        AggregateException { InnerExceptions: [var inner] } => IsStoreOutage(inner),
        _ => false,
    };

    private sealed class BadInputExceptionHandler(IProblemDetailsService problems, ILogger<BadInputExceptionHandler> logger) : IExceptionHandler
    {
        public async ValueTask<bool> TryHandleAsync(HttpContext http, Exception exception, CancellationToken ct)
        {
            var (status, title) = exception switch
            {
                BadHttpRequestException bad when bad.StatusCode == StatusCodes.Status413PayloadTooLarge => (413, "Request body too large"),
                BadHttpRequestException bad => (bad.StatusCode, "Bad request"),
                System.Text.Json.JsonException => (400, "Malformed JSON"),
                FormatException => (400, "Malformed input"),
                _ when IsStoreOutage(exception) => (503, "Store unavailable"),
                _ => (500, "Internal error"),
            };
            if (status == 503)
            {
                // Nothing was accepted, and the sender may try again: Shopware's and Shoper's retries
                // (and the operator's load balancer) treat 503 as temporary, 500 as a bug.
                logger.LogWarning("Store unreachable on {Path}: {Error}", LoggedPath(http), exception.Message);
                http.Response.Headers.RetryAfter = "5";
            }
            else if (status >= 500)
                logger.LogError(exception, "Unhandled error on {Path}", LoggedPath(http));
            http.Response.StatusCode = status;
            return await problems.TryWriteAsync(new ProblemDetailsContext
            {
                HttpContext = http,
                ProblemDetails =
                {
                    Status = status,
                    Title = title,
                    Detail = status switch
                    {
                        < 500 => exception.Message,
                        503 => "The relay cannot reach its store right now; nothing was accepted. Try again shortly.",
                        _ => "The relay could not complete the request; it has been logged.",
                    },
                },
                Exception = exception,
            });
        }
    }
}

using Microsoft.AspNetCore.Diagnostics;
using Relay.Pipeline;

namespace Relay.Telemetry;

/// <summary>Marks an endpoint whose 4xx answers are events refused before the inbox.</summary>
public sealed record InboxEndpointMetadata(string Platform);

public static class InboxEndpointExtensions
{
    /// <summary>Counts this endpoint's 4xx answers in relay.events.rejected, tagged with the platform and reason.</summary>
    public static RouteHandlerBuilder CountsRejections(this RouteHandlerBuilder endpoint, string platform) =>
        endpoint.WithMetadata(new InboxEndpointMetadata(platform));
}

/// <summary>
/// Counts rejections from the outside, after the answer is known, so that every way an endpoint can
/// refuse (its own checks, a body Kestrel cut off, a JSON error caught by the exception handler) is
/// counted once without each endpoint having to remember to.
/// </summary>
internal sealed class RejectionCounting(RequestDelegate next, RelayMetrics metrics)
{
    public async Task InvokeAsync(HttpContext http)
    {
        await next(http);
        var status = http.Response.StatusCode;
        if (status is < 400 or >= 500) return;
        // The exception handler clears the endpoint before it writes its answer; it keeps it in its feature.
        var endpoint = http.GetEndpoint() ?? http.Features.Get<IExceptionHandlerFeature>()?.Endpoint;
        if (endpoint?.Metadata.GetMetadata<InboxEndpointMetadata>() is not { } inbox) return;
        metrics.EventsRejected.Add(1,
            new KeyValuePair<string, object?>("platform", inbox.Platform),
            new KeyValuePair<string, object?>("reason", Reason(status)));
    }

    private static string Reason(int status) => status switch
    {
        400 => "malformed",
        401 or 403 => "unauthenticated",
        413 => "too_large",
        415 => "media_type",
        _ => "other",
    };
}

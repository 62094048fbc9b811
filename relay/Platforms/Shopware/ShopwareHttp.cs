using Microsoft.AspNetCore.Http.HttpResults;

namespace Relay.Platforms.Shopware;

/// <summary>Request plumbing shared by the Shopware endpoints.</summary>
internal static class ShopwareHttp
{
    /// <summary>
    /// The body exactly as received, read up to <paramref name="maxBytes"/>. Null when it is larger:
    /// signatures are over raw bytes, so nothing may parse or re-encode it first.
    /// </summary>
    public static async Task<byte[]?> ReadBodyAsync(HttpRequest request, int maxBytes, CancellationToken ct)
    {
        if (request.ContentLength is { } length)
        {
            // The common case: read straight into an array of the announced size (Kestrel ends the body
            // there), so an event costs one allocation of its own size.
            if (length > maxBytes) return null;
            var exact = new byte[length];
            await request.Body.ReadExactlyAsync(exact, ct);
            return exact;
        }
        using var buffer = new MemoryStream();
        var chunk = System.Buffers.ArrayPool<byte>.Shared.Rent(16 * 1024);
        try
        {
            int read;
            while ((read = await request.Body.ReadAsync(chunk, ct)) > 0)
            {
                if (buffer.Length + read > maxBytes) return null;
                buffer.Write(chunk, 0, read);
            }
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(chunk);
        }
        return buffer.ToArray();
    }

    /// <summary>Everything after '?', byte for byte as it arrived; ASP.NET Core keeps the query undecoded.</summary>
    public static string RawQuery(HttpRequest request) =>
        request.QueryString.HasValue ? request.QueryString.Value![1..] : "";

    public static bool IsFresh(long unixSeconds, DateTimeOffset now, TimeSpan tolerance)
    {
        var distance = (now - DateTimeOffset.FromUnixTimeSeconds(Math.Clamp(unixSeconds, -62135596800, 253402300799))).Duration();
        return distance <= tolerance;
    }

    public static ProblemHttpResult Problem(int status, string title, string detail) =>
        TypedResults.Problem(detail: detail, statusCode: status, title: title);

    /// <summary>Shopware shows the "error" member of a refused registration to the merchant.</summary>
    public static ProblemHttpResult RegistrationProblem(int status, string title, string detail) =>
        TypedResults.Problem(detail: detail, statusCode: status, title: title, extensions: new Dictionary<string, object?> { ["error"] = detail });

    public static ProblemHttpResult TooLarge(int maxBytes) =>
        Problem(StatusCodes.Status413PayloadTooLarge, "Request body too large", $"Shopware requests to the relay are limited to {maxBytes} bytes.");

    public static ProblemHttpResult NotJson() =>
        Problem(StatusCodes.Status415UnsupportedMediaType, "Unsupported media type", "Shopware sends JSON: Content-Type must be application/json.");

    public static ProblemHttpResult BadSignature(string detail) =>
        Problem(StatusCodes.Status401Unauthorized, "Signature not valid", detail);
}

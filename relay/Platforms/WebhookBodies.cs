namespace Relay.Platforms;

internal static class WebhookBodies
{
    /// <summary>A delivery's raw bytes (signatures and dedup keys are over them), or null when there are more than <paramref name="max"/>.</summary>
    public static async Task<byte[]?> ReadCappedAsync(HttpRequest request, int max, CancellationToken ct)
    {
        if (request.ContentLength > max) return null;
        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, ct)) > 0)
        {
            if (buffer.Length + read > max) return null;
            buffer.Write(chunk, 0, read);
        }
        return buffer.ToArray();
    }
}

using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Benchmarks;

/// <summary>
/// The baseline: Kestrel with one POST route that reads the body and answers 204, no logging, nothing
/// else. Run as its own process (`bare-server --port N`) with the relay's GC settings, so the only
/// difference the ingest benchmark sees is the relay's own work (verify, dedup, enqueue).
/// </summary>
internal static class BareServer
{
    public static async Task RunAsync(Arguments args)
    {
        var port = args.Int("port", 5099);
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        var app = builder.Build();
        app.MapGet("/health/live", () => Results.Ok());
        app.MapPost("/shopware/webhook", async (HttpRequest request) =>
        {
            // Read the body as the relay does, so both receive the same bytes.
            var buffer = new byte[16 * 1024];
            while (await request.Body.ReadAsync(buffer) > 0) { }
            return Results.NoContent();
        });
        await app.RunAsync();
    }
}

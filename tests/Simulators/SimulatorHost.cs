using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

namespace Simulators;

/// <summary>A real Kestrel app on 127.0.0.1 and a free port (or a given one, when served standalone), for one simulator.</summary>
public sealed class SimulatorHost : IAsyncDisposable
{
    private readonly WebApplication _app;

    private SimulatorHost(WebApplication app, string baseUrl)
    {
        _app = app;
        BaseUrl = baseUrl;
    }

    /// <summary>"http://127.0.0.1:port", no trailing slash.</summary>
    public string BaseUrl { get; }

    public static async Task<SimulatorHost> StartAsync(Action<WebApplication> configure, int port = 0)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        var app = builder.Build();
        configure(app);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new SimulatorHost(app, address.TrimEnd('/'));
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

/// <summary>
/// Faults a test asks for, served in order to the next matching requests before the simulator
/// looks at them: a status (429 with Retry-After, 503…) or a delay (timeouts). A fault can be
/// aimed at one method and path; otherwise it takes the next request.
/// </summary>
public sealed class FaultPlan
{
    private readonly List<Fault> _faults = [];
    private int _served;

    private sealed record Fault(int Status, TimeSpan Delay, TimeSpan? RetryAfter, string? Body, string ContentType, string? Method, string? Path, HeldRequest? Hold = null);

    /// <summary>Number of requests answered (or held) by an injected fault.</summary>
    public int Served => Volatile.Read(ref _served);

    public void FailNext(int count, int status, TimeSpan? retryAfter = null, string? body = null, string contentType = "application/json", string? method = null, string? path = null) =>
        Add(count, new Fault(status, TimeSpan.Zero, retryAfter, body, contentType, method, path));

    /// <summary>Holds the next requests this long, then handles them normally (unless the client gave up).</summary>
    public void DelayNext(int count, TimeSpan delay, string? method = null, string? path = null) =>
        Add(count, new Fault(0, delay, null, null, "", method, path));

    /// <summary>
    /// Holds the next request until the test releases it, so a test can act while the request is with
    /// the simulator without guessing how long that takes.
    /// </summary>
    public HeldRequest HoldNext(string? method = null, string? path = null)
    {
        var hold = new HeldRequest();
        Add(1, new Fault(0, TimeSpan.Zero, null, null, "", method, path, hold));
        return hold;
    }

    public void Clear()
    {
        lock (_faults) _faults.Clear();
    }

    private void Add(int count, Fault fault)
    {
        lock (_faults)
            for (var i = 0; i < count; i++) _faults.Add(fault);
    }

    /// <summary>Middleware body: true when the fault answered the request.</summary>
    public async Task<bool> ApplyAsync(HttpContext context)
    {
        Fault? fault;
        lock (_faults)
        {
            var index = _faults.FindIndex(f =>
                (f.Method is null || HttpMethods.Equals(f.Method, context.Request.Method))
                && (f.Path is null || string.Equals(f.Path, context.Request.Path.Value, StringComparison.OrdinalIgnoreCase)));
            if (index < 0) return false;
            fault = _faults[index];
            _faults.RemoveAt(index);
        }
        Interlocked.Increment(ref _served);
        if (fault.Hold is { } hold)
        {
            hold.NoteArrived();
            try { await hold.Released.WaitAsync(context.RequestAborted); }
            catch (OperationCanceledException) { return true; }
        }
        if (fault.Delay > TimeSpan.Zero)
        {
            try { await Task.Delay(fault.Delay, context.RequestAborted); }
            catch (OperationCanceledException) { return true; }
        }
        if (fault.Status == 0) return false;
        context.Response.StatusCode = fault.Status;
        if (fault.RetryAfter is { } wait) context.Response.Headers.RetryAfter = ((int)Math.Ceiling(wait.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);
        if (fault.Body is not null)
        {
            context.Response.ContentType = fault.ContentType;
            await context.Response.WriteAsync(fault.Body);
        }
        return true;
    }
}

/// <summary>A request a simulator holds: <see cref="Arrived"/> completes when it comes in, and it goes on after <see cref="Release"/>.</summary>
public sealed class HeldRequest
{
    private readonly TaskCompletionSource _arrived = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _released = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Task Arrived => _arrived.Task;
    internal Task Released => _released.Task;

    internal void NoteArrived() => _arrived.TrySetResult();
    public void Release() => _released.TrySetResult();
}

/// <summary>
/// Routes under /_sim let a person or the README demo seed and inspect a simulator over HTTP. They are
/// no part of any simulated protocol: no auth, no faults, not recorded among the protocol's requests.
/// </summary>
public static class SimulatorControl
{
    public const string Prefix = "/_sim";

    public static bool IsControl(HttpContext context) => context.Request.Path.StartsWithSegments(Prefix);
}

public sealed record RecordedRequest(string Method, string Path, string Query, int Status);

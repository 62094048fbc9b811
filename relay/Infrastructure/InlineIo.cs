namespace Relay;

/// <summary>
/// Request handling on the runtime's socket event threads instead of a hop through the thread pool.
/// Every webhook is a few microseconds of work around one Redis round trip; on the few cores a relay
/// shares with Redis, the wake-ups of those hops (epoll thread → Kestrel's queue → a pool worker, and
/// back for each Redis answer) cost more CPU and more tail latency than the work itself
/// (tests/Benchmarks ingest; README › Operating › Runtime settings). It is on when the process runs with
/// DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS=1, as the Dockerfile and scripts/run.sh start it: the
/// runtime then completes socket operations on its event threads too, which Kestrel's inline scheduling
/// needs to help. Safe here because no request path blocks a thread: everything it waits for is awaited.
/// </summary>
public static class InlineIo
{
    public const string Variable = "DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS";

    public static WebApplicationBuilder UseInlineIoWhenEnabled(this WebApplicationBuilder builder)
    {
        if (Environment.GetEnvironmentVariable(Variable) == "1")
            builder.WebHost.UseSockets(o => o.UnsafePreferInlineScheduling = true);
        return builder;
    }
}

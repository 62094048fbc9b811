namespace Relay.Tests.Infrastructure;

/// <summary>Time that moves only when a test says so, so retry schedules are tested without sleeping.</summary>
public sealed class ManualTimeProvider(DateTimeOffset start) : TimeProvider
{
    private DateTimeOffset _now = start;
    private readonly object _gate = new();

    public ManualTimeProvider() : this(new DateTimeOffset(2026, 11, 22, 9, 0, 0, TimeSpan.Zero)) { }

    public override DateTimeOffset GetUtcNow()
    {
        lock (_gate) return _now;
    }

    public void Advance(TimeSpan by)
    {
        lock (_gate) _now += by;
    }
}

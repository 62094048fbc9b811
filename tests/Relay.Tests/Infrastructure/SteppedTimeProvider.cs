namespace Relay.Tests.Infrastructure;

/// <summary>
/// Time whose clock and timers move only when the test moves them. Unlike <see cref="ManualTimeProvider"/>
/// (a manual clock whose timers still run in real time), a timeout or a retry delay set on this one elapses
/// exactly when the test says, so a test can let a request reach a simulator first and time it out after,
/// however slow the machine.
/// </summary>
public sealed class SteppedTimeProvider : TimeProvider
{
    private readonly object _gate = new();
    private readonly List<SteppedTimer> _timers = [];
    private DateTimeOffset _now = new(2026, 11, 22, 9, 0, 0, TimeSpan.Zero);

    public override DateTimeOffset GetUtcNow()
    {
        lock (_gate) return _now;
    }

    public override long GetTimestamp() => GetUtcNow().UtcTicks;
    public override long TimestampFrequency => TimeSpan.TicksPerSecond;

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = new SteppedTimer(this, callback, state);
        timer.Change(dueTime, period);
        return timer;
    }

    /// <summary>Moves the clock and runs, on this thread, every timer that came due.</summary>
    public void Advance(TimeSpan by)
    {
        List<SteppedTimer> due;
        lock (_gate)
        {
            _now += by;
            due = _timers.Where(t => t.Due <= _now).ToList();
            foreach (var timer in due) timer.Fired(_now);
        }
        foreach (var timer in due) timer.Run();
    }

    /// <summary>
    /// Moves the clock a millisecond at a time until the condition holds: past a delay the code sets at a
    /// moment the test cannot see (a retry's jittered backoff), while staying far from any timeout.
    /// </summary>
    public Task StepUntilAsync(Func<bool> condition, string what) =>
        Eventually.TrueAsync(() =>
        {
            if (!condition()) Advance(TimeSpan.FromMilliseconds(1));
            return Task.FromResult(condition());
        }, what);

    private sealed class SteppedTimer(SteppedTimeProvider time, TimerCallback callback, object? state) : ITimer
    {
        private TimeSpan _period = Timeout.InfiniteTimeSpan;
        public DateTimeOffset Due { get; private set; }

        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            lock (time._gate)
            {
                time._timers.Remove(this);
                if (dueTime == Timeout.InfiniteTimeSpan) return true;
                Due = time._now + dueTime;
                _period = period;
                time._timers.Add(this);
            }
            return true;
        }

        /// <summary>Called holding the clock's lock: a periodic timer is due again one period on, any other is done.</summary>
        public void Fired(DateTimeOffset now)
        {
            if (_period > TimeSpan.Zero && _period != Timeout.InfiniteTimeSpan) Due = now + _period;
            else time._timers.Remove(this);
        }

        public void Run() => callback(state);

        public void Dispose()
        {
            lock (time._gate) time._timers.Remove(this);
        }

        public ValueTask DisposeAsync()
        {
            Dispose();
            return ValueTask.CompletedTask;
        }
    }
}

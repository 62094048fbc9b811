using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using System.Security.Cryptography;
using Microsoft.Extensions.Options;
using Relay.Infrastructure;
using Relay.Secrets;
using Relay.Storage;
using Relay.Storage.Embedded;
using Relay.Targets;
using Relay.Tests.Infrastructure;

namespace Relay.Tests.Targets;

/// <summary>
/// One "relay instance" as far as targets are concerned: the real <see cref="TargetServices"/>
/// registrations with retry delays shrunk to milliseconds. Two hosts sharing one store behave like
/// two relay processes sharing Redis.
/// </summary>
public sealed class TargetTestHost : IDisposable
{
    private readonly ServiceProvider _services;

    public TargetTestHost(TimeProvider? time = null, IRelayStore? store = null, Action<OutboundHttpOptions>? http = null)
    {
        Time = time ?? TimeProvider.System;
        Store = store ?? new EmbeddedRelayStore(Time, 1);
        var services = new ServiceCollection();
        // The simulators listen on loopback.
        services.AddSingleton<IConfiguration>(new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["Outbound:AllowPrivateNetworks"] = "true" }).Build());
        services.AddLogging(b => b.SetMinimumLevel(LogLevel.Warning));
        services.AddSingleton(Time);
        services.AddSingleton(Store);
        // Tills derive their webhook addresses from the relay's key.
        services.AddSingleton(new SecretProtector(Options.Create(new SecretsOptions { MasterKey = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)) })));
        services.AddTargets();
        services.Configure<OutboundHttpOptions>(TargetServices.HttpSection, o =>
        {
            o.RetryBaseDelay = TimeSpan.FromMilliseconds(5);
            // No ordinary call may time out because the machine is busy; the tests of timeouts set their own.
            o.AttemptTimeout = Eventually.HangGuard;
            o.MaxRetryAttempts = 3;
            // High enough that ordinary tests never trip it; the breaker test lowers it.
            o.BreakerMinimumThroughput = 100;
            http?.Invoke(o);
        });
        _services = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });
    }

    public TimeProvider Time { get; }
    public IRelayStore Store { get; }
    public TargetFactory Factory => _services.GetRequiredService<TargetFactory>();
    public PosFactory Tills => _services.GetRequiredService<PosFactory>();

    public ITarget Create(string kind, string? baseUrl, Dictionary<string, string> credentials, Dictionary<string, string>? options = null, string accountId = "test:shop/target") =>
        Factory.Create(new TargetAccount
        {
            Kind = kind,
            AccountId = accountId,
            BaseUrl = baseUrl,
            Credentials = credentials,
            Options = options ?? [],
        });

    public void Dispose() => _services.Dispose();
}

/// <summary>
/// Time that jumps forward whenever someone waits on it: a Task.Delay(wait, time) completes at
/// once and the clock shows the wait as passed. Lets rate pacing run minutes of schedule in
/// milliseconds without any wall-clock assertion.
/// </summary>
public sealed class VirtualTimeProvider(DateTimeOffset start) : TimeProvider
{
    private DateTimeOffset _now = start;
    private readonly object _gate = new();

    public VirtualTimeProvider() : this(new DateTimeOffset(2026, 11, 22, 9, 0, 0, TimeSpan.Zero)) { }

    public override DateTimeOffset GetUtcNow()
    {
        lock (_gate) return _now;
    }

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = new JumpTimer();
        if (dueTime == Timeout.InfiniteTimeSpan) return timer;
        lock (_gate)
        {
            var due = _now + dueTime;
            if (due > _now) _now = due;
        }
        ThreadPool.QueueUserWorkItem(_ => { if (!timer.Disposed) callback(state); });
        return timer;
    }

    private sealed class JumpTimer : ITimer
    {
        public volatile bool Disposed;
        public bool Change(TimeSpan dueTime, TimeSpan period) => false;
        public void Dispose() => Disposed = true;
        public ValueTask DisposeAsync()
        {
            Disposed = true;
            return ValueTask.CompletedTask;
        }
    }
}

using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Relay.Platforms;
using Relay.Settings;

namespace Relay.Sync;

public static class SyncServices
{
    /// <summary>
    /// The sync engine: settings, ledger, pull-back and full sync. The platforms bring their own parts
    /// (<see cref="IPlatform"/>: shop contacts, webhook forwarders, reconciliation), the targets theirs.
    /// </summary>
    public static IServiceCollection AddSync(this IServiceCollection services)
    {
        services.AddOptions<SyncOptions>()
            .BindConfiguration(SyncOptions.Section)
            .Validate(o => o.SchedulerTick >= TimeSpan.FromSeconds(1), "Sync:SchedulerTick must be at least 00:00:01.")
            .Validate(o => o.PullLockTimeout >= TimeSpan.FromMinutes(1), "Sync:PullLockTimeout must be at least 00:01:00.")
            .Validate(o => o.FullSyncLease >= TimeSpan.FromSeconds(30), "Sync:FullSyncLease must be at least 00:00:30.")
            .Validate(o => o.PullAddressChunk is >= 1 and <= 100_000, "Sync:PullAddressChunk must be between 1 and 100000.")
            .Validate(o => o.PosTick >= TimeSpan.FromMilliseconds(100), "Sync:PosTick must be at least 00:00:00.1.")
            .Validate(o => o.PosCatalogPagesPerRun >= 1, "Sync:PosCatalogPagesPerRun must be at least 1.")
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<SyncOptions>, PartnerZonesResolve>();

        services.TryAddSingleton<ShopSettingsStore>();
        services.AddSingleton<ShopSettingsValidator>();
        services.AddSingleton<ActivityLog>();
        services.AddSingleton<SyncProblems>();
        services.AddSingleton<ShopPauses>();
        services.AddSingleton<ShopWebhookHealth>();
        services.AddSingleton<FullSync>();

        services.AddSingleton<ContactLedger>();
        services.AddSingleton<EchoSuppression>();
        services.AddSingleton<ShopActivity>();
        services.AddSingleton<ContactSync>();
        services.AddSingleton<SyncContexts>();
        services.TryAddSingleton<ShopPlatforms>();

        services.AddSingleton<PullBackRunner>();
        services.AddSingleton<PullBackScheduler>();
        services.AddHostedService(sp => sp.GetRequiredService<PullBackScheduler>());
        // The point-of-sale flows: till ⇄ shop (products, stock, orders).
        services.AddSingleton<Settings.PosSettingsStore>();
        services.AddSingleton<PosSync>();
        services.AddSingleton<Pipeline.IQueueHandler, PosOrderHandler>();
        services.AddSingleton<Pipeline.IQueueHandler, PosProductHandler>();
        services.AddSingleton<PosScheduler>();
        services.AddHostedService(sp => sp.GetRequiredService<PosScheduler>());
        services.AddSingleton<FullSyncRunner>();
        services.AddSingleton<FullSyncWorker>();
        services.AddHostedService(sp => sp.GetRequiredService<FullSyncWorker>());
        return services;
    }
}

/// <summary>
/// Every zone a platform or target declares must resolve on this machine, or the relay would compare
/// zone-less times wrongly (or fail on the first one): checked at start, naming the zone.
/// </summary>
internal sealed class PartnerZonesResolve(ShopPlatforms platforms, Targets.TargetFactory targets, Targets.PosFactory tills) : IValidateOptions<SyncOptions>
{
    public ValidateOptionsResult Validate(string? name, SyncOptions options)
    {
        var clocks = platforms.All.Select(p => (p.Name, p.Contacts.Clock)).Concat(targets.Providers.Select(t => (t.Kind, t.Clock)))
            .Concat(tills.Providers.Select(t => (t.Kind, t.Clock)));
        var unknown = clocks.Where(c => c.Clock.Zone is { } zone && !ZonelessTime.IsKnown(zone))
            .Select(c => $"{c.Item1}: '{c.Clock.Zone}'").ToList();
        return unknown.Count == 0
            ? ValidateOptionsResult.Success
            : ValidateOptionsResult.Fail($"Time zones not known on this machine (install tzdata): {string.Join(", ", unknown)}.");
    }
}

using Microsoft.Extensions.DependencyInjection.Extensions;
using Relay.Pipeline;
using Relay.Settings;
using Relay.Sync.Platforms;

namespace Relay.Sync;

public static class SyncServices
{
    /// <summary>The sync engine: settings, mapping, forwarders, pull-back and full sync.</summary>
    public static IServiceCollection AddSync(this IServiceCollection services)
    {
        services.AddOptions<SyncOptions>()
            .BindConfiguration(SyncOptions.Section)
            .Validate(o => o.SchedulerTick >= TimeSpan.FromSeconds(1), "Sync:SchedulerTick must be at least 00:00:01.")
            .Validate(o => o.PullLockTimeout >= TimeSpan.FromMinutes(1), "Sync:PullLockTimeout must be at least 00:01:00.")
            .Validate(o => o.FullSyncLease >= TimeSpan.FromSeconds(30), "Sync:FullSyncLease must be at least 00:00:30.")
            .Validate(o => o.PullAddressChunk is >= 1 and <= 100_000, "Sync:PullAddressChunk must be between 1 and 100000.")
            .ValidateOnStart();

        services.TryAddSingleton<ShopSettingsStore>();
        services.AddSingleton<ShopSettingsValidator>();
        services.AddSingleton<ActivityLog>();
        services.AddSingleton<FullSync>();

        services.AddSingleton<ContactLedger>();
        services.AddSingleton<EchoSuppression>();
        services.AddSingleton<ShopActivity>();
        services.AddSingleton<ContactSync>();
        services.AddSingleton<SyncContexts>();

        // The shop side, one line per platform.
        services.AddSingleton<ShopwareContacts>();
        services.AddSingleton<IShopContacts>(sp => sp.GetRequiredService<ShopwareContacts>());
        services.AddSingleton<ShoperContacts>();
        services.AddSingleton<IShopContacts>(sp => sp.GetRequiredService<ShoperContacts>());
        services.AddSingleton<ShopPlatforms>();

        // The queue handlers, one per platform's webhook kind.
        services.AddSingleton<IQueueHandler, ShopwareWebhookForwarder>();
        services.AddSingleton<IQueueHandler, ShoperWebhookForwarder>();

        services.AddSingleton<ShopwareReconciliation>();
        services.AddSingleton<PullBackRunner>();
        services.AddSingleton<PullBackScheduler>();
        services.AddHostedService(sp => sp.GetRequiredService<PullBackScheduler>());
        services.AddSingleton<FullSyncRunner>();
        services.AddSingleton<FullSyncWorker>();
        services.AddHostedService(sp => sp.GetRequiredService<FullSyncWorker>());
        return services;
    }
}

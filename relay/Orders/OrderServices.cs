namespace Relay.Orders;

public static class OrderServices
{
    /// <summary>
    /// Orders: the ledger, the per-order decision and the one-at-a-time order sync with its nightly
    /// start. Platforms bring <see cref="IShopOrders"/> (<see cref="Platforms.IPlatform.Orders"/>), targets
    /// <see cref="IOrderTarget"/>; live orders come through each platform's webhook forwarder.
    /// </summary>
    public static IServiceCollection AddOrders(this IServiceCollection services)
    {
        services.AddSingleton<Settings.TargetBindings>();
        services.AddSingleton<OrderLedger>();
        services.AddSingleton<OrderSync>();
        services.AddSingleton<OrderSyncJobs>();
        services.AddSingleton<OrderSyncRunner>();
        services.AddSingleton<OrderSyncWorker>();
        services.AddHostedService(sp => sp.GetRequiredService<OrderSyncWorker>());
        return services;
    }
}

using Relay.Shops;

// In the root namespace, like the other composition helpers, so Program.cs needs no extra using.
namespace Relay;

public static class ShopsServices
{
    /// <summary>The tenants: their shared record and the sweep that ends the retention of kept user data.</summary>
    public static IServiceCollection AddShops(this IServiceCollection services)
    {
        services.AddSingleton<ShopDirectory>();
        services.AddSingleton<KeptShopSweep>();
        services.AddHostedService(sp => sp.GetRequiredService<KeptShopSweep>());
        return services;
    }
}

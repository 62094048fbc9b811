using Microsoft.Extensions.Options;
using Relay.Storage.Embedded;
using Relay.Storage.Redis;

namespace Relay.Storage;

public static class StorageServices
{
    /// <param name="queuePartitions">How many queue streams events are spread over: the queue's owner decides.</param>
    public static IServiceCollection AddRelayStore(this IServiceCollection services, Func<IServiceProvider, int> queuePartitions)
    {
        services.AddOptions<StorageOptions>()
            .BindConfiguration(StorageOptions.Section)
            .Validate(o => !o.UsesRedis || StorageOptions.ToConfiguration(o.Redis) is not null,
                "Storage:Redis is not a valid Redis connection (use host:port[,host:port...][,options] or redis[s]://[[user]:password@]host:port[/db]).")
            .ValidateOnStart();

        services.AddSingleton<IRelayStore>(sp =>
        {
            var storage = sp.GetRequiredService<IOptions<StorageOptions>>().Value;
            var partitions = queuePartitions(sp);
            var logger = sp.GetRequiredService<ILoggerFactory>().CreateLogger("Relay.Storage");
            if (!storage.UsesRedis)
            {
                logger.LogWarning("Storage:Redis is not set: using the embedded in-process store. It is NOT durable; queued events are lost on restart. Set Storage:Redis for production.");
                return new EmbeddedRelayStore(sp.GetRequiredService<TimeProvider>(), partitions);
            }
            return new RedisRelayStore(StorageOptions.ToConfiguration(storage.Redis)!, partitions, logger);
        });
        return services;
    }
}

using Microsoft.Extensions.Options;
using Relay.Storage;

namespace Relay.Secrets;

public static class SecretsServices
{
    public static IServiceCollection AddSecrets(this IServiceCollection services)
    {
        services.AddOptions<SecretsOptions>()
            .BindConfiguration(SecretsOptions.Section)
            .PostConfigure<IOptions<StorageOptions>, ILoggerFactory>((o, storage, logs) =>
            {
                // Without Redis nothing is durable anyway, so a throwaway key costs nothing and spares a dev a setup step.
                if (string.IsNullOrWhiteSpace(o.MasterKey) && !storage.Value.UsesRedis)
                {
                    o.MasterKey = SecretsOptions.NewKey();
                    logs.CreateLogger("Relay.Secrets").LogWarning("Secrets:MasterKey is not set: using an ephemeral key (embedded store only).");
                }
            })
            .Validate(o => SecretsOptions.IsKey(o.MasterKey),
                "Secrets:MasterKey must be set to base64 of 32 random bytes (e.g. `openssl rand -base64 32`); it encrypts shop secrets and tokens at rest.")
            .Validate(o => !string.IsNullOrWhiteSpace(o.CurrentKeyId) && !o.CurrentKeyId.Contains('.'),
                "Secrets:CurrentKeyId must be a non-empty id without dots.")
            .Validate(o => o.PreviousKeys.All(k => SecretsOptions.IsKey(k.Value)),
                "Secrets:PreviousKeys values must each be base64 of 32 bytes.")
            .ValidateOnStart();
        services.AddSingleton<SecretProtector>();
        return services;
    }
}

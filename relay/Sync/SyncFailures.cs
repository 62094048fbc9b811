using Relay.Mapping;
using Relay.Pipeline;
using Relay.Platforms;
using Relay.Targets;

namespace Relay.Sync;

/// <summary>The shop cannot be called at all (no confirmed access, tokens gone): a reinstall, not a retry, fixes it.</summary>
public sealed class ShopNotReachableException(string message) : Exception(message);

/// <summary>
/// Sorts what went wrong into "retry on the schedule" and "dead letter with a reason the merchant
/// can act on". Messages are already safe: targets mask addresses and never quote credentials.
/// </summary>
public static class SyncFailures
{
    /// <summary>True when retrying later cannot help.</summary>
    public static bool IsPermanent(Exception e) => e switch
    {
        TargetAuthException or TargetPermanentException or TargetConfigurationException => true,
        MappingException or ShopNotReachableException => true,
        ShopApiException shop => shop.IsPermanent,
        _ => false,
    };

    public static string Describe(Exception e) => e switch
    {
        TargetAuthException => $"The marketing system refused the credentials: {e.Message}",
        TargetConfigurationException => $"The target settings are incomplete: {e.Message}",
        TargetPermanentException => $"The marketing system refused the change: {e.Message}",
        ShopApiException { AccessRefused: true } => $"The shop refused the relay's API access: {e.Message}",
        System.Security.Cryptography.CryptographicException => $"A stored secret of this shop cannot be decrypted: {e.Message}",
        _ => e.Message,
    };

    /// <summary>Rethrows permanent failures as <see cref="PermanentFailureException"/> (dead letter) and leaves the rest to the retry schedule.</summary>
    public static Exception ForPipeline(Exception e) =>
        IsPermanent(e) ? new PermanentFailureException(Describe(e), e) : e;
}

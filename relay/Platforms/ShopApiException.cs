namespace Relay.Platforms;

/// <summary>
/// A shop's API cannot be used: a call failed, or the relay has no usable access. Every platform's
/// API exceptions derive from it, so the sync sorts them into retry or dead letter
/// (<see cref="Sync.SyncFailures"/>) without knowing the platform. Messages carry no tokens or personal data.
/// </summary>
public abstract class ShopApiException(string message) : Exception(message)
{
    /// <summary>True when retrying later cannot help (a refused request, a reinstall needed).</summary>
    public abstract bool IsPermanent { get; }

    /// <summary>The shop refused the relay's API access (its credentials), as opposed to one request.</summary>
    public virtual bool AccessRefused => false;
}

using System.Security.Cryptography;
using System.Text.Json;
using Relay.Secrets;
using Relay.Storage;

namespace Relay.Settings;

public enum SaveOutcome { Saved, VersionConflict }

/// <summary>
/// A shop's stored credentials cannot be decrypted: a master key changed without the previous
/// one listed under Secrets:PreviousKeys. That shop cannot sync until the operator lists the key again or the
/// merchant re-enters the credentials; every other shop carries on.
/// </summary>
public sealed class ShopSettingsUnreadableException(string message, Exception inner) : Exception(message, inner);

/// <summary>A versioned settings document of a shop whose one account (a marketing system, a till) carries credentials.</summary>
public interface ISettingsDocument<T> where T : ISettingsDocument<T>
{
    /// <summary>Bumped by every save; 0 means never saved.</summary>
    int Version { get; }
    TargetSettings? Account { get; }
    T WithAccount(TargetSettings? account);
    T AsSaved(int version, DateTimeOffset at);
}

/// <summary>
/// Reads and writes one kind of settings document per shop. A save names the version it edited and is a
/// compare-and-set on the stored text, so of two admin tabs (or instances) saving at once exactly one wins
/// and the other gets a version conflict with what is stored now. Credentials are encrypted on the way in.
/// </summary>
public abstract class VersionedSettingsStore<T>(IRelayStore store, SecretProtector secrets, TimeProvider time, string item)
    where T : class, ISettingsDocument<T>, new()
{
    private string Key(string shopKey) => StoreKeys.ShopItem(shopKey, item);

    /// <summary>The saved settings with their credentials in the clear, or unsaved defaults (version 0).</summary>
    public async Task<T> GetAsync(string shopKey) => Decrypted(Parse(await store.GetAsync(Key(shopKey))));

    /// <summary>
    /// The saved settings with the credentials' names but not their values: what schedulers and status views
    /// need, readable whatever the keys.
    /// </summary>
    public async Task<T> GetWithoutCredentialsAsync(string shopKey)
    {
        var settings = Parse(await store.GetAsync(Key(shopKey)));
        return settings.Account is { } account ? settings.WithAccount(account.MapCredentials(_ => "")) : settings;
    }

    public async Task<(SaveOutcome Outcome, T Settings)> SaveAsync(string shopKey, T settings, int expectedVersion)
    {
        var json = await store.GetAsync(Key(shopKey));
        var current = Parse(json);
        if (current.Version != expectedVersion) return (SaveOutcome.VersionConflict, Decrypted(current));
        var saved = settings.AsSaved(current.Version + 1, time.GetUtcNow());
        var stored = saved.Account is { } account ? saved.WithAccount(account.MapCredentials(secrets.Protect)) : saved;
        if (!await store.ReplaceAsync(Key(shopKey), json, JsonSerializer.Serialize(stored, JsonDefaults.Options)))
            return (SaveOutcome.VersionConflict, await GetAsync(shopKey));
        return (SaveOutcome.Saved, saved);
    }

    private static T Parse(string? json) => json is null ? new T() : JsonSerializer.Deserialize<T>(json, JsonDefaults.Options)!;

    private T Decrypted(T settings)
    {
        if (settings.Account is not { } stored) return settings;
        try
        {
            return settings.WithAccount(stored.MapCredentials(secrets.Unprotect));
        }
        catch (Exception e) when (e is CryptographicException or FormatException)
        {
            throw new ShopSettingsUnreadableException(
                $"The shop's stored {stored.Kind} credentials cannot be decrypted ({e.Message}). List the previous master key under Secrets:PreviousKeys, or enter the credentials again.", e);
        }
    }
}

/// <summary>A shop's <see cref="ShopSettings"/> (the marketing or CRM target, mappings, orders).</summary>
public sealed class ShopSettingsStore(IRelayStore store, SecretProtector secrets, TimeProvider time)
    : VersionedSettingsStore<ShopSettings>(store, secrets, time, "settings");

/// <summary>A shop's <see cref="PosSettings"/> (its till).</summary>
public sealed class PosSettingsStore(IRelayStore store, SecretProtector secrets, TimeProvider time)
    : VersionedSettingsStore<PosSettings>(store, secrets, time, "pos:settings");

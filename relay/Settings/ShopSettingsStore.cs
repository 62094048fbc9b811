using System.Security.Cryptography;
using System.Text.Json;
using Relay.Secrets;
using Relay.Storage;

namespace Relay.Settings;

public enum SaveOutcome { Saved, VersionConflict }

/// <summary>
/// A shop's stored target credentials cannot be decrypted: a master key changed without the previous
/// one listed under Secrets:PreviousKeys. That shop cannot sync until the operator lists the key again or the
/// merchant re-enters the credentials; every other shop carries on.
/// </summary>
public sealed class ShopSettingsUnreadableException(string message, Exception inner) : Exception(message, inner);

/// <summary>Reads and writes a shop's settings; target credentials are encrypted on the way in.</summary>
public sealed class ShopSettingsStore(IRelayStore store, SecretProtector secrets, TimeProvider time)
{
    private static string Key(string shopKey) => StoreKeys.ShopItem(shopKey, "settings");

    /// <summary>The saved settings, or unsaved defaults (version 0).</summary>
    public async Task<ShopSettings> GetAsync(string shopKey)
    {
        var settings = await GetWithoutCredentialsAsync(shopKey, keepCiphertexts: true);
        return settings.Target is { } target ? settings with { Target = Decrypt(target, secrets) } : settings;
    }

    /// <summary>Stored credentials in the clear; a key that cannot decrypt them makes the settings unreadable, saying what to do.</summary>
    internal static TargetSettings Decrypt(TargetSettings stored, SecretProtector secrets)
    {
        try
        {
            return stored.MapCredentials(secrets.Unprotect);
        }
        catch (Exception e) when (e is CryptographicException or FormatException)
        {
            throw new ShopSettingsUnreadableException(
                $"The shop's stored {stored.Kind} credentials cannot be decrypted ({e.Message}). List the previous master key under Secrets:PreviousKeys, or enter the credentials again.", e);
        }
    }

    /// <summary>The saved settings without the target's credential values: what schedulers and status views need, readable whatever the keys.</summary>
    public Task<ShopSettings> GetWithoutCredentialsAsync(string shopKey) => GetWithoutCredentialsAsync(shopKey, keepCiphertexts: false);

    private async Task<ShopSettings> GetWithoutCredentialsAsync(string shopKey, bool keepCiphertexts)
    {
        var json = await store.GetAsync(Key(shopKey));
        if (json is null) return new ShopSettings();
        var settings = JsonSerializer.Deserialize<ShopSettings>(json, JsonDefaults.Options)!;
        return keepCiphertexts || settings.Target is not { } target
            ? settings
            : settings with { Target = target with { Credentials = new Dictionary<string, string>() } };
    }

    /// <summary>
    /// Saves over <paramref name="expectedVersion"/>. Check-then-set is not atomic across processes;
    /// two saves racing within milliseconds is not a case the admin page produces, and the loser's
    /// next save sees the new version.
    /// </summary>
    public async Task<(SaveOutcome Outcome, ShopSettings Settings)> SaveAsync(string shopKey, ShopSettings settings, int expectedVersion)
    {
        var current = await GetAsync(shopKey);
        if (current.Version != expectedVersion) return (SaveOutcome.VersionConflict, current);
        var saved = settings with { Version = current.Version + 1, UpdatedAt = time.GetUtcNow() };
        var stored = saved.Target is { } target ? saved with { Target = target.MapCredentials(secrets.Protect) } : saved;
        await store.SetAsync(Key(shopKey), JsonSerializer.Serialize(stored, JsonDefaults.Options));
        return (SaveOutcome.Saved, saved);
    }
}

using Relay.Settings;
using Relay.Targets;

namespace Relay.Sync;

/// <summary>Everything one unit of sync work for one shop needs: its settings (defaults filled in) and a live target.</summary>
/// <param name="TargetClock">How the target stamps its times (declared by its provider).</param>
public sealed record SyncContext(string ShopKey, ShopSettings Settings, ITarget Target, IShopContacts Shop, LedgerScope Ledger, PartnerClock TargetClock)
{
    public string TargetKind => Settings.Target!.Kind.ToLowerInvariant();

    /// <summary>How far apart this shop's and this target's times must be to be ordered for sure.</summary>
    public TimeSpan OrderWindow => ConsentPolicy.OrderWindow(Shop.Clock, TargetClock);
}

/// <summary>Builds a <see cref="SyncContext"/>, or says why the shop is not syncing (a skip, not a failure).</summary>
public sealed class SyncContexts(ShopSettingsStore settings, TargetFactory targets, ShopPlatforms platforms)
{
    public async Task<(SyncContext? Context, string? SkipReason)> ForShopAsync(string shopKey)
    {
        var stored = await settings.GetAsync(shopKey);
        if (stored.Version == 0) return (null, "The shop has no settings yet.");
        if (!stored.SyncEnabled) return (null, "Sync is switched off for this shop.");
        if (stored.Target is null) return (null, "No marketing system is configured.");
        if (platforms.For(shopKey) is not { } shop) return (null, $"The relay cannot sync shops of platform '{ShopPlatforms.PlatformOf(shopKey)}'.");
        var effective = DefaultMappings.ApplyTo(stored, shop.Platform);
        var account = effective.TargetAccount(shopKey)!;
        // TargetConfigurationException escapes on purpose: incomplete settings are a dead letter with a reason.
        var target = targets.Create(account);
        var provider = targets.Providers.First(p => string.Equals(p.Kind, account.Kind, StringComparison.OrdinalIgnoreCase));
        var identifier = provider.CredentialNames.FirstOrDefault() is { } name ? account.Credentials.GetValueOrDefault(name) : null;
        return (new SyncContext(shopKey, effective, target, shop, LedgerScope.For(shopKey, account, identifier), provider.Clock), null);
    }
}

using Relay.Platforms;
using Relay.Settings;
using Relay.Targets;

namespace Relay.Sync;

/// <summary>Everything one unit of sync work for one shop needs: its settings (default maps filled in), its platform and a live target.</summary>
/// <param name="TargetProvider">What the target's kind declares: its clock, whether it is asked by address.</param>
/// <param name="Pauses">The shop's features paused for lack of a permission (<see cref="ShopPauses"/>).</param>
public sealed record SyncContext(
    string ShopKey, ShopSettings Settings, ITarget Target, IPlatform Platform, LedgerScope Ledger, ITargetProvider TargetProvider,
    IReadOnlyList<FeaturePause>? Pauses = null)
{
    /// <summary>Why <paramref name="feature"/> is paused in this shop; null when it may run.</summary>
    public FeaturePause? PauseOf(string feature) => Pauses?.FirstOrDefault(p => p.Feature == feature);

    /// <summary>Work that needs <paramref name="feature"/> waits (<see cref="FeaturePausedException"/>) while it is paused.</summary>
    public void ThrowIfPaused(string feature)
    {
        if (PauseOf(feature) is { } pause) throw new FeaturePausedException(pause);
    }

    public string TargetKind => Settings.Target!.Kind.ToLowerInvariant();

    public IShopContacts Shop => Platform.Contacts;

    /// <summary>How the target stamps its times (declared by its provider).</summary>
    public PartnerClock TargetClock => TargetProvider.Clock;

    /// <summary>How far apart this shop's and this target's times must be to be ordered for sure.</summary>
    public TimeSpan OrderWindow => ConsentPolicy.OrderWindow(Shop.Clock, TargetClock);
}

/// <summary>Builds a <see cref="SyncContext"/>, or says why the shop is not syncing (a skip, not a failure).</summary>
public sealed class SyncContexts(ShopSettingsStore settings, TargetFactory targets, ShopPlatforms platforms, ShopPauses pauses)
{
    public async Task<(SyncContext? Context, string? SkipReason)> ForShopAsync(string shopKey)
    {
        var stored = await settings.GetAsync(shopKey);
        if (stored.Version == 0) return (null, "The shop has no settings yet.");
        if (!stored.SyncEnabled) return (null, "Sync is switched off for this shop.");
        if (stored.Target is null) return (null, "No marketing system is configured.");
        if (platforms.For(shopKey) is not { } platform) return (null, $"The relay cannot sync shops of platform '{ShopPlatforms.PlatformOf(shopKey)}'.");
        var account = stored.TargetAccountFor(shopKey)!;
        // TargetConfigurationException escapes on purpose: incomplete settings are a dead letter with a reason.
        var target = targets.Create(account);
        var provider = targets.Provider(account.Kind)!;
        var effective = stored.WithDefaultMaps(provider.DefaultMaps(platform.RecordShape));
        var identifier = provider.CredentialNames.FirstOrDefault() is { } name ? account.Credentials.GetValueOrDefault(name) : null;
        return (new SyncContext(shopKey, effective, target, platform, LedgerScope.For(shopKey, account, identifier), provider,
            await pauses.ListAsync(shopKey)), null);
    }
}

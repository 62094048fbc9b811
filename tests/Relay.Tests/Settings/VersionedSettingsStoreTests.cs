using System.Reflection;
using System.Security.Cryptography;
using Microsoft.Extensions.Options;
using Relay.Storage.Embedded;
using Relay.Tests.Infrastructure;
using Relay.Secrets;
using Relay.Settings;
using Relay.Storage;

namespace Relay.Tests.Settings;

/// <summary>
/// A shop's settings documents: a save names the version it edited, so of two saves of the same version
/// exactly one is kept, even when both read before either wrote (two admin tabs, two relay instances).
/// </summary>
public sealed class VersionedSettingsStoreTests
{
    private const string Shop = "shopware:tabs";
    private readonly ManualTimeProvider _time = new();
    private readonly EmbeddedRelayStore _store;
    private readonly SecretProtector _secrets = new(Options.Create(new SecretsOptions { MasterKey = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)) }));

    public VersionedSettingsStoreTests() => _store = new EmbeddedRelayStore(_time, 4);

    private static ShopSettings WithList(string list) => new()
    {
        Lists = [list],
        Target = new TargetSettings { Kind = "spotler", Credentials = new Dictionary<string, string> { ["consumerKey"] = "key-" + list, ["consumerSecret"] = "secret-" + list } },
    };

    [Fact]
    public async Task A_save_bumps_the_version_and_keeps_credentials_encrypted_at_rest()
    {
        var settings = new ShopSettingsStore(_store, _secrets, _time);

        var (outcome, saved) = await settings.SaveAsync(Shop, WithList("a"), 0);

        Assert.Equal((SaveOutcome.Saved, 1, _time.GetUtcNow()), (outcome, saved.Version, saved.UpdatedAt));
        Assert.DoesNotContain("secret-a", await _store.GetAsync(StoreKeys.ShopItem(Shop, "settings")));
        Assert.Equal("secret-a", (await settings.GetAsync(Shop)).Target!.Credentials["consumerSecret"]);
        // Schedulers and views see which credentials are set, never their values.
        Assert.Equal(["consumerKey", "consumerSecret"], (await settings.GetWithoutCredentialsAsync(Shop)).Target!.Credentials.Where(c => c.Value == "").Select(c => c.Key).Order());
        Assert.Equal(SaveOutcome.VersionConflict, (await settings.SaveAsync(Shop, WithList("b"), 0)).Outcome);
    }

    [Fact]
    public async Task Of_two_saves_of_the_same_version_that_both_read_first_only_one_is_kept()
    {
        var otherTab = new ShopSettingsStore(_store, _secrets, _time);
        // The other tab's save lands between this save's read and its write.
        var interleaved = StoreWithAWriteBeforeReplace.Wrap(_store, () => otherTab.SaveAsync(Shop, WithList("other"), 0));
        var thisTab = new ShopSettingsStore(interleaved, _secrets, _time);

        var (outcome, current) = await thisTab.SaveAsync(Shop, WithList("this"), 0);

        Assert.Equal(SaveOutcome.VersionConflict, outcome);
        Assert.Equal((1, "other", "secret-other"), (current.Version, current.Lists.Single(), current.Target!.Credentials["consumerSecret"]));
        Assert.Equal("other", (await otherTab.GetAsync(Shop)).Lists.Single());
    }

    /// <summary>A store that runs a competing write just before the first compare-and-set goes through.</summary>
    public class StoreWithAWriteBeforeReplace : DispatchProxy
    {
        private IRelayStore _inner = null!;
        private Func<Task>? _before;

        public static IRelayStore Wrap(IRelayStore inner, Func<Task> before)
        {
            var proxy = Create<IRelayStore, StoreWithAWriteBeforeReplace>();
            var self = (StoreWithAWriteBeforeReplace)(object)proxy;
            (self._inner, self._before) = (inner, before);
            return proxy;
        }

        protected override object? Invoke(MethodInfo? method, object?[]? args)
        {
            if (method!.Name == nameof(IRelayStore.ReplaceAsync) && Interlocked.Exchange(ref _before, null) is { } before)
                before().GetAwaiter().GetResult();
            return method.Invoke(_inner, args);
        }
    }
}

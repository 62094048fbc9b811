using Microsoft.Extensions.Options;
using Relay.Mapping;
using Relay.Sync;

namespace Relay.Platforms.Shoper;

/// <summary>Shoper as the relay's shared parts see it (registered by <c>AddShoper()</c>).</summary>
public sealed class ShoperPlatform(ShoperContacts contacts, ShoperOrders orders, IOptions<ShoperOptions> options) : IPlatform
{
    /// <summary>Shoper's ShopApp JS SDK (protocol §3, the version current reference apps use): the admin page's only third-party script.</summary>
    public const string SdkOrigin = "https://dcsaascdn.net";

    public string Name => ShoperShops.Platform;
    public string DisplayName => "Shoper";
    public IShopContacts Contacts => contacts;
    public Orders.IShopOrders Orders => orders;
    public IReadOnlyList<string> InboxKinds { get; } = [ShoperEndpoints.WebhookKind];
    public IShopReconciliation? Reconciliation => null;

    /// <summary>Subscribers carry no address of their own.</summary>
    public ShopRecordShape RecordShape { get; } = new(SubscribersHaveAddress: false);

    /// <summary>
    /// Shoper's shop_url may switch between http and https (protocol §8), and the admin panel may run on
    /// the shop's shoparena address (<see cref="ShoperOptions.AdminFrameAncestors"/>).
    /// </summary>
    public IReadOnlyList<string> AdminFrameAncestors(Uri shopUrl) => [$"https://{shopUrl.Authority}", .. options.Value.EffectiveAdminFrameAncestors];

    public IReadOnlyList<string> AdminScriptSources { get; } = [SdkOrigin];
}

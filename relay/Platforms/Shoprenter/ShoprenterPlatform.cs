using Microsoft.Extensions.Options;
using Relay.Mapping;
using Relay.Sync;

namespace Relay.Platforms.Shoprenter;

/// <summary>Shoprenter as the relay's shared parts see it (registered by <c>AddShoprenter()</c>).</summary>
public sealed class ShoprenterPlatform(ShoprenterContacts contacts, ShoprenterOrders orders, ShoprenterReconciliation reconciliation, IOptions<ShoprenterOptions> options) : IPlatform
{
    public string Name => ShoprenterShops.Platform;
    public string DisplayName => "Shoprenter";
    public IShopContacts Contacts => contacts;
    public Orders.IShopOrders Orders => orders;
    public IReadOnlyList<string> InboxKinds { get; } = [ShoprenterEndpoints.WebhookKind];
    public IShopReconciliation? Reconciliation => reconciliation;

    public ShopConnectionChoice ConnectionChoice => ShoprenterConnection.Choice;

    /// <summary>Subscribers carry a name and a phone, but no address.</summary>
    public ShopRecordShape RecordShape { get; } = new(SubscribersHaveAddress: false);

    /// <summary>The admin runs on the shop's myshoprenter.hu address or its own domain (<see cref="ShoprenterOptions.AdminFrameAncestors"/>).</summary>
    public IReadOnlyList<string> AdminFrameAncestors(Uri shopUrl) => [$"https://{shopUrl.Authority}", .. options.Value.EffectiveAdminFrameAncestors];

    /// <summary>The page needs no script of Shoprenter's: an embedded app is a plain iframe.</summary>
    public IReadOnlyList<string> AdminScriptSources { get; } = [];
}

namespace Relay.Platforms;

/// <summary>
/// Ways a platform lets the merchant choose how the relay reaches the shop's API, which the admin page
/// renders without knowing the platform. The platform's own route at <see cref="Path"/> (authorised by
/// the admin page's session) answers GET with the current choice (<c>{"mode": …}</c>) and takes PUT
/// with <c>{"mode": …, field: value…}</c>: it tests and stores what it is given, the page only asks.
/// </summary>
/// <param name="Path">The platform's route, from the relay's root ("/shoprenter/connection").</param>
public sealed record ShopConnectionChoice(string Path, IReadOnlyList<ShopConnectionMode> Modes);

/// <param name="LabelKey">The page's translation key for the mode's name.</param>
/// <param name="Deprecated">The platform has deprecated this way in: the page offers it only as a fallback and says so.</param>
public sealed record ShopConnectionMode(string Id, string LabelKey, bool Recommended, bool Deprecated, IReadOnlyList<ShopConnectionField> Fields);

/// <param name="Secret">Write-only: shown as a password field and never filled back.</param>
/// <param name="Optional">May be left empty (the platform then uses its default, said in the hint).</param>
/// <param name="HintKey">The page's translation key for a line under the field, if any.</param>
public sealed record ShopConnectionField(string Name, string LabelKey, bool Secret = false, bool Optional = false, string? HintKey = null);

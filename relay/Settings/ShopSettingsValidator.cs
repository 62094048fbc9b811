using Relay.Mapping;
using Relay.Targets;

namespace Relay.Settings;

/// <summary>
/// Checks a shop's settings before they are saved, answering field → messages in the shape of
/// ASP.NET's validation problems ("target.credentials.apiKey", "customers.rules[2].transforms").
/// Empty when the settings can be saved.
/// </summary>
public sealed class ShopSettingsValidator(TargetFactory targets)
{
    public static readonly TimeSpan MinPullInterval = TimeSpan.FromMinutes(1);
    public static readonly TimeSpan MaxPullInterval = TimeSpan.FromDays(1);

    public IReadOnlyDictionary<string, string[]> Validate(ShopSettings settings)
    {
        var errors = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        void Add(string field, string message)
        {
            if (!errors.TryGetValue(field, out var list)) errors[field] = list = [];
            list.Add(message);
        }

        if (settings.Target is { } target)
        {
            var provider = targets.Providers.FirstOrDefault(p => string.Equals(p.Kind, target.Kind, StringComparison.OrdinalIgnoreCase));
            if (provider is null)
                Add("target.kind", $"Unknown target '{target.Kind}'. Known: {string.Join(", ", targets.Providers.Select(p => p.Kind).Order(StringComparer.Ordinal))}.");
            else
            {
                foreach (var name in provider.CredentialNames)
                    if (!target.Credentials.TryGetValue(name, out var value) || string.IsNullOrWhiteSpace(value))
                        Add($"target.credentials.{name}", $"{provider.DisplayName} needs '{name}'.");
                foreach (var name in target.Options.Keys.Where(k => !provider.OptionNames.Contains(k)))
                    Add($"target.options.{name}", $"{provider.DisplayName} has no option '{name}'. Known: {string.Join(", ", provider.OptionNames)}.");
                if (errors.Count == 0)
                {
                    // The target's own parser knows the rules for option values (power-of-two bits, numeric ids…).
                    try { provider.Create(settings.TargetAccountFor("validation")!); }
                    catch (TargetConfigurationException e) { Add("target", e.Message); }
                }
            }
            if (target.BaseUrl is { Length: > 0 } url && !(Uri.TryCreate(url, UriKind.Absolute, out var uri) && uri.Scheme is "https" or "http"))
                Add("target.baseUrl", "Must be an absolute http(s) URL, or empty for the target's production address.");
        }
        else if (settings.SyncEnabled)
            Add("target", "Choose a marketing system before switching the sync on.");

        var mappingErrors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        FieldMappingRules.Validate("customers", settings.Customers, FieldMappingRules.CustomerFields, mappingErrors);
        FieldMappingRules.Validate("subscribers", settings.Subscribers, FieldMappingRules.SubscriberFields, mappingErrors);
        foreach (var (field, messages) in mappingErrors)
            foreach (var message in messages) Add(field, message);

        Orders.OrderSettingsRules.Validate(settings.Orders, Add);

        if (settings.PullInterval < MinPullInterval || settings.PullInterval > MaxPullInterval)
            Add("pullInterval", $"Must be between {MinPullInterval} and {MaxPullInterval}.");
        if (settings.TimeZone is { } zone && !ZonelessTime.IsKnown(zone))
            Add("timeZone", $"'{zone}' is not a known IANA time zone (e.g. Europe/Warsaw).");
        if (!Enum.IsDefined(settings.UniqueKey))
            Add("uniqueKey", "Must be email, customerNumber or shopId.");
        for (var i = 0; i < settings.Lists.Count; i++)
            if (string.IsNullOrWhiteSpace(settings.Lists[i]))
                Add($"lists[{i}]", "Must not be empty.");

        return errors.ToDictionary(e => e.Key, e => e.Value.ToArray(), StringComparer.Ordinal);
    }
}

namespace Relay.Targets;

/// <summary>
/// One shop's connection to one target, as stored (encrypted) by the shop record and handed in
/// decrypted. Stringly typed on purpose: the admin page renders and stores it without knowing
/// the target; each target parses it into its own typed settings and says what is missing.
/// </summary>
public sealed record TargetAccount
{
    /// <summary>"spotler", "sare", "minicrm".</summary>
    public required string Kind { get; init; }

    /// <summary>Stable id of this account (e.g. "shopware:abc/spotler"); scopes the circuit breaker and rate limits.</summary>
    public required string AccountId { get; init; }

    /// <summary>Null for the target's production default.</summary>
    public string? BaseUrl { get; init; }

    /// <summary>Never logged, never returned by an API.</summary>
    public IReadOnlyDictionary<string, string> Credentials { get; init; } = new Dictionary<string, string>();

    /// <summary>Target-specific choices: Spotler permission bit, SARE group ids, …</summary>
    public IReadOnlyDictionary<string, string> Options { get; init; } = new Dictionary<string, string>();

    /// <summary>
    /// The lists the merchant chose on the admin page (<see cref="TargetSchema.Lists"/> ids). Each target
    /// reads them into its own option (Spotler's permission bit, SARE's groups) unless that option is set.
    /// </summary>
    public IReadOnlyList<string> Lists { get; init; } = [];

    public override string ToString() => $"{Kind} account {AccountId}";

    public string RequireCredential(string name) =>
        Credentials.TryGetValue(name, out var value) && !string.IsNullOrWhiteSpace(value)
            ? value
            : throw new TargetConfigurationException($"{Kind}: credential '{name}' is not set.");

    /// <summary>This account with the chosen <see cref="Lists"/> as the value of the option <paramref name="name"/>, unless that option was set explicitly.</summary>
    public TargetAccount ListsAsOption(string name, Func<IReadOnlyList<string>, string> value) =>
        Lists.Count == 0 || Options.ContainsKey(name)
            ? this
            : this with { Options = new Dictionary<string, string>(Options) { [name] = value(Lists) } };

    public string? Option(string name) =>
        Options.TryGetValue(name, out var value) && !string.IsNullOrWhiteSpace(value) ? value : null;

    public int IntOption(string name, int fallback) =>
        Option(name) is { } text
            ? int.TryParse(text, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out var value)
                ? value
                : throw new TargetConfigurationException($"{Kind}: option '{name}' must be a whole number.")
            : fallback;

    public Uri BaseUri(string productionDefault)
    {
        var text = (BaseUrl ?? productionDefault).TrimEnd('/') + "/";
        return Uri.TryCreate(text, UriKind.Absolute, out var uri) && uri.Scheme is "https" or "http"
            ? uri
            : throw new TargetConfigurationException($"{Kind}: base URL '{BaseUrl}' is not an absolute http(s) URL.");
    }
}

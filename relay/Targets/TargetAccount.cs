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

    public override string ToString() => $"{Kind} account {AccountId}";

    public string RequireCredential(string name) =>
        Credentials.TryGetValue(name, out var value) && !string.IsNullOrWhiteSpace(value)
            ? value
            : throw new TargetConfigurationException($"{Kind}: credential '{name}' is not set.");

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

using System.Net;
using System.Text.RegularExpressions;

namespace Relay.Targets;

/// <summary>
/// Base of every target failure. Messages are safe to log and show: they never contain
/// credentials, and e-mail addresses quoted by a target are masked (see <see cref="TargetText"/>).
/// </summary>
public abstract class TargetException(string message, HttpStatusCode? status = null, string? code = null, Exception? inner = null)
    : Exception(message, inner)
{
    public HttpStatusCode? Status { get; } = status;
    /// <summary>The target's own error code (Spotler errorType, …) when it gave one.</summary>
    public string? Code { get; } = code;
}

/// <summary>Bad credentials: the admin page shows it; retrying is pointless until the merchant fixes them.</summary>
public sealed class TargetAuthException(string message, HttpStatusCode? status = null, string? code = null)
    : TargetException(message, status, code);

/// <summary>A 4xx that retrying cannot fix (invalid value, unknown contact): straight to dead letters.</summary>
public sealed class TargetPermanentException(string message, HttpStatusCode? status = null, string? code = null)
    : TargetException(message, status, code);

/// <summary>5xx, 429, timeout, network, open circuit: the pipeline retries later (not before <see cref="RetryAfter"/>).</summary>
public sealed class TargetTransientException(string message, HttpStatusCode? status = null, string? code = null, TimeSpan? retryAfter = null, Exception? inner = null)
    : TargetException(message, status, code, inner)
{
    public TimeSpan? RetryAfter { get; } = retryAfter;
}

/// <summary>The account settings are incomplete or malformed; nothing was sent.</summary>
public sealed class TargetConfigurationException(string message) : Exception(message);

public static partial class TargetText
{
    /// <summary>Target error texts often quote the offending address; logs and dead letters must not.</summary>
    public static string Safe(string? text, int max = 300)
    {
        if (string.IsNullOrWhiteSpace(text)) return "";
        var masked = Email().Replace(text.Trim(), m => MaskEmail(m.Value));
        return masked.Length <= max ? masked : masked[..max] + "…";
    }

    public static string MaskEmail(string email)
    {
        var at = email.IndexOf('@');
        return at <= 0 ? "***" : $"{email[0]}***{email[at..]}";
    }

    [GeneratedRegex(@"[^\s@""'<>]+@[^\s@""'<>]+\.[A-Za-z]{2,}")]
    private static partial Regex Email();
}

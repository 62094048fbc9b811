using System.Net;

namespace Relay.Targets;

/// <summary>What every target client shares about HTTP: the account tag and the status → error rules.</summary>
public static class TargetHttp
{
    /// <summary>Tags a request with its account so the resilience handler picks that account's circuit breaker.</summary>
    public static readonly HttpRequestOptionsKey<string> AccountKey = new("relay.target.account");

    /// <summary>Marks a call that creates without a key, so a lost answer must not be retried blindly.</summary>
    public static readonly HttpRequestOptionsKey<bool> NotIdempotentKey = new("relay.target.not-idempotent");

    public static HttpRequestMessage Request(HttpMethod method, Uri uri, string accountId, HttpContent? content = null)
    {
        var request = new HttpRequestMessage(method, uri) { Content = content };
        request.Options.Set(AccountKey, accountId);
        request.Headers.Accept.ParseAdd("application/json");
        return request;
    }

    /// <summary>
    /// The common rule; targets refine it with their own error codes first.
    /// 401/403: credentials; 408/429/5xx: transient; any other 4xx: permanent.
    /// </summary>
    public static TargetException Error(string target, HttpResponseMessage response, string? code, string? message, TimeProvider time)
    {
        var status = response.StatusCode;
        var text = $"{target} answered {(int)status}{(code is null ? "" : " " + code)}: {TargetText.Safe(message)}".TrimEnd(' ', ':');
        return status switch
        {
            HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden =>
                new TargetAuthException($"{target} rejected the credentials ({(int)status}{(code is null ? "" : " " + code)}). Check them in the connection settings.", status, code),
            HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests => new TargetTransientException(text, status, code, TargetResiliencePipelines.RetryAfter(response, time)),
            >= HttpStatusCode.InternalServerError => new TargetTransientException(text, status, code, TargetResiliencePipelines.RetryAfter(response, time)),
            _ => new TargetPermanentException(text, status, code),
        };
    }
}

using System.Net;
using Relay.Infrastructure;

namespace Relay.Targets;

/// <summary>What every target client shares about HTTP: how the chain's failures and a partner's statuses become target errors.</summary>
public static class TargetHttp
{
    /// <summary>One call through the outbound chain; what the chain gave up on is transient for the target.</summary>
    public static async Task<HttpResponseMessage> SendAsync(Func<Task<HttpResponseMessage>> call)
    {
        try
        {
            return await call();
        }
        catch (OutboundCallFailedException e)
        {
            throw new TargetTransientException(e.Message, code: e.Code, retryAfter: e.RetryAfter, inner: e);
        }
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
            HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests => new TargetTransientException(text, status, code, OutboundHttp.RetryAfter(response, time)),
            >= HttpStatusCode.InternalServerError => new TargetTransientException(text, status, code, OutboundHttp.RetryAfter(response, time)),
            _ => new TargetPermanentException(text, status, code),
        };
    }
}

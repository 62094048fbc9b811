using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Relay.Infrastructure;

namespace Relay.Platforms.Shoper;

public sealed record ShoperTokenGrant(string AccessToken, string RefreshToken, TimeSpan ExpiresIn, string? Scope);

/// <summary>
/// The shop refused or could not answer a token call. <see cref="IsPermanent"/> when the shop said no
/// (4xx: the code or refresh token is dead), as opposed to the shop being unreachable or failing.
/// </summary>
public sealed class ShoperOAuthException(string message, int? statusCode, string? error)
    : Exception(message)
{
    public int? StatusCode { get; } = statusCode;
    public string? Error { get; } = error;
    public bool IsPermanent => StatusCode is >= 400 and < 500 and not 408 and not 429;
}

/// <summary>
/// Code exchange and token refresh on a shop's token endpoint (<see cref="IShoperOAuthApi"/>). Both spend a
/// one-time grant (Shoper rotates the refresh token on every refresh), so an attempt whose answer was lost
/// is not repeated: the chain retries only what the shop certainly did not process.
/// </summary>
public sealed class ShoperOAuth(IShoperOAuthApi api, IOptions<ShoperOptions> options)
{
    public Task<ShoperTokenGrant> ExchangeCodeAsync(string apiUrl, string authCode, CancellationToken ct) =>
        RequestAsync(apiUrl, "authorization_code", new() { ["code"] = authCode }, ct);

    public Task<ShoperTokenGrant> RefreshAsync(string apiUrl, string refreshToken, CancellationToken ct) =>
        RequestAsync(apiUrl, "refresh_token", new() { ["refresh_token"] = refreshToken }, ct);

    public static string BasicCredentials(string appId, string appSecret) =>
        Convert.ToBase64String(Encoding.UTF8.GetBytes(appId + ":" + appSecret));

    private async Task<ShoperTokenGrant> RequestAsync(string apiUrl, string grantType, Dictionary<string, string> form, CancellationToken ct)
    {
        var o = options.Value;
        form["grant_type"] = grantType;
        HttpResponseMessage response;
        try
        {
            response = await api.RequestTokenAsync(grantType, form, BasicCredentials(o.AppId!, o.AppSecret!),
                new OutboundCall(apiUrl, new Uri(apiUrl), NotIdempotent: true), ct);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !ct.IsCancellationRequested)
        {
            throw new ShoperOAuthException($"Token endpoint unreachable: {e.Message}", null, null);
        }

        using (response)
        {
            var body = await response.Content.ReadAsStringAsync(ct);
            JsonElement json = default;
            var parsed = false;
            try
            {
                json = JsonDocument.Parse(body).RootElement;
                parsed = json.ValueKind == JsonValueKind.Object;
            }
            catch (JsonException) { }

            var status = (int)response.StatusCode;
            if (!response.IsSuccessStatusCode)
            {
                var error = parsed ? Text(json, "error") : null;
                var description = parsed ? Text(json, "error_description") : null;
                throw new ShoperOAuthException($"Token endpoint answered {status} {error} {description}".TrimEnd(), status, error);
            }
            var access = parsed ? Text(json, "access_token") : null;
            var refresh = parsed ? Text(json, "refresh_token") : null;
            if (string.IsNullOrEmpty(access) || string.IsNullOrEmpty(refresh))
                // An empty 200 happened in the wild (library changelog); it is not a usable grant but not the shop saying no either.
                throw new ShoperOAuthException($"Token endpoint answered {status} without access_token and refresh_token", null, null);
            var expiresIn = parsed && long.TryParse(Text(json, "expires_in"), NumberStyles.Integer, CultureInfo.InvariantCulture, out var seconds) && seconds > 0
                ? TimeSpan.FromSeconds(seconds)
                : TimeSpan.FromDays(30);
            return new ShoperTokenGrant(access, refresh, expiresIn, Text(json, "scope"));
        }
    }

    /// <summary>Shoper sends numbers as strings and the other way round; take either.</summary>
    private static string? Text(JsonElement obj, string name) =>
        obj.TryGetProperty(name, out var value) ? value.ValueKind switch
        {
            JsonValueKind.String => value.GetString(),
            JsonValueKind.Number => value.GetRawText(),
            _ => null,
        } : null;
}

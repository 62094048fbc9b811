using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Options;

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
/// {shop}/webapi/rest/oauth/token with "Authorization: Basic base64(app id:app secret)", grant_type in the
/// query (as the official library sends it) and the code or refresh token in the form body.
/// </summary>
public sealed class ShoperOAuth(HttpClient http, IOptions<ShoperOptions> options)
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
        using var request = new HttpRequestMessage(HttpMethod.Post, ShoperApiUrl.Rest(apiUrl, "oauth/token") + "?grant_type=" + grantType)
        {
            Content = new FormUrlEncodedContent(form),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic", BasicCredentials(o.AppId!, o.AppSecret!));
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));

        HttpResponseMessage response;
        try
        {
            response = await http.SendAsync(request, ct);
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

using System.Security.Claims;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Relay.Secrets;

namespace Relay.Admin;

/// <summary>
/// Short-lived JWTs that scope the iframe page to one shop. A platform's iframe entry verifies the
/// shop's signed query and then hands the page one of these; every admin API call carries it.
/// </summary>
public sealed class AdminSessions(SecretProtector secrets, TimeProvider time)
{
    public const string Scheme = "AdminSession";
    public const string ShopClaim = "shop";
    public const string Issuer = "relay";
    public const string Audience = "relay-admin";
    public static readonly TimeSpan Lifetime = TimeSpan.FromHours(1);

    private readonly SymmetricSecurityKey _key = new(secrets.DeriveKey("admin-session-v1"));

    public SymmetricSecurityKey SigningKey => _key;

    public string Issue(string shopKey, string? language = null)
    {
        var now = time.GetUtcNow().UtcDateTime;
        var claims = new Dictionary<string, object> { [ShopClaim] = shopKey };
        if (!string.IsNullOrEmpty(language)) claims["lang"] = language;
        return new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = Issuer,
            Audience = Audience,
            IssuedAt = now,
            NotBefore = now,
            Expires = now + Lifetime,
            Claims = claims,
            SigningCredentials = new SigningCredentials(_key, SecurityAlgorithms.HmacSha256),
        });
    }

    /// <summary>The shop the current request's session belongs to.</summary>
    public static string? ShopOf(ClaimsPrincipal user) => user.FindFirst(ShopClaim)?.Value;

    internal void Configure(JwtBearerOptions options)
    {
        options.MapInboundClaims = false;
        options.TokenValidationParameters = new TokenValidationParameters
        {
            ValidIssuer = Issuer,
            ValidAudience = Audience,
            IssuerSigningKey = _key,
            ValidAlgorithms = [SecurityAlgorithms.HmacSha256],
            ClockSkew = TimeSpan.FromSeconds(30),
            LifetimeValidator = (notBefore, expires, _, _) =>
            {
                var now = time.GetUtcNow().UtcDateTime;
                return expires is { } e && e > now - TimeSpan.FromSeconds(30) && (notBefore is not { } nb || nb <= now + TimeSpan.FromSeconds(30));
            },
        };
    }
}

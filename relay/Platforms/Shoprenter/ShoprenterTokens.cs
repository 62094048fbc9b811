using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Relay.Infrastructure;
using Relay.Secrets;
using Relay.Shops;

namespace Relay.Platforms.Shoprenter;

/// <summary>How one call on a shop is authorised: a Bearer token on the OAuth API, or Basic on the legacy API.</summary>
public sealed record ShoprenterAccess(string ShopKey, string ApiUrl, string Scheme, string Credential)
{
    public const string Bearer = "Bearer";
    public const string Basic = "Basic";

    public override string ToString() => $"ShoprenterAccess {{ ShopKey = {ShopKey}, ApiUrl = {ApiUrl}, Scheme = {Scheme} }}";
}

/// <summary>The shop cannot be called: the app is not installed there, or Shoprenter refuses the app's credentials for it.</summary>
public sealed class ShoprenterAccessRefusedException(string shopKey, string reason) : ShopApiException($"Shop {shopKey} refuses the relay's access: {reason}")
{
    public override bool IsPermanent => true;
    public override bool AccessRefused => true;
    public string Reason { get; } = reason;
}

/// <summary>The token endpoint could not be reached or failed; asking again later may work.</summary>
public sealed class ShoprenterTokenUnavailableException(string message) : ShopApiException(message)
{
    public override bool IsPermanent => false;
}

/// <summary>
/// Access tokens per shop by the client credentials grant: one hour each, no refresh token, so a new one
/// is asked for when less than <see cref="RenewAhead"/> remains or the shop rejects the current one.
/// Asking is idempotent and every token stays valid until it expires, so two instances asking at once
/// cost a spare token, not a broken shop: no store lock, only a local one against a stampede.
/// </summary>
public sealed class ShoprenterTokens(
    ShoprenterShops shops,
    IServiceProvider services,
    SecretProtector protector,
    ShopDirectory directory,
    TimeProvider time,
    IOptions<ShoprenterOptions> options,
    ILogger<ShoprenterTokens> logger)
{
    public static readonly TimeSpan RenewAhead = TimeSpan.FromMinutes(5);
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _local = new();

    public async Task<ShoprenterAccess> GetAsync(string shopKey, CancellationToken ct = default)
    {
        var record = await LoadAsync(shopKey);
        if (record.Legacy is { } legacy) return LegacyAccess(shopKey, legacy);
        if (Usable(record)) return BearerAccess(shopKey, record);
        return await RenewAsync(shopKey, record.ProtectedAccessToken, ct);
    }

    /// <summary>After a 401: a new token, unless another caller already replaced the one that was rejected.</summary>
    public async Task<ShoprenterAccess> RenewAfterRejectionAsync(ShoprenterAccess rejected, CancellationToken ct = default)
    {
        var record = await LoadAsync(rejected.ShopKey);
        if (record.ProtectedAccessToken is { } current && protector.Unprotect(current) != rejected.Credential)
            return BearerAccess(rejected.ShopKey, record);
        return await RenewAsync(rejected.ShopKey, record.ProtectedAccessToken, ct);
    }

    /// <summary>A token for a shop being installed: nothing is stored yet, and a refusal is the install's failure.</summary>
    public async Task<ShoprenterTokenGrant> RequestAsync(string shopName, CancellationToken ct)
    {
        var o = options.Value;
        var url = new Uri(o.TokenUrlOf(shopName));
        var body = new Dictionary<string, string> { ["grant_type"] = "client_credentials", ["client_id"] = o.ClientId!, ["client_secret"] = o.ClientSecret! };
        HttpResponseMessage response;
        try
        {
            // Typed clients are transient: one per request keeps the factory's handler rotation.
            response = await services.GetRequiredService<IShoprenterOAuthApi>().RequestTokenAsync(url.AbsolutePath.TrimStart('/'), body,
                new OutboundCall(ShoprenterShops.KeyOf(shopName), new Uri(url.GetLeftPart(UriPartial.Authority))), ct);
        }
        catch (HttpRequestException e)
        {
            throw new ShoprenterTokenUnavailableException($"The Shoprenter token endpoint could not be reached ({e.Message}).");
        }
        using (response)
        {
            var status = (int)response.StatusCode;
            var text = await response.Content.ReadAsStringAsync(ct);
            JsonElement json = default;
            try
            {
                json = JsonDocument.Parse(text).RootElement;
            }
            catch (JsonException)
            {
            }
            if (status is 400 or 401 or 403)
                throw new ShoprenterAccessRefusedException(ShoprenterShops.KeyOf(shopName),
                    $"the token endpoint answered {status} {JsonFields.Str(json, "error") ?? ""}".TrimEnd() + ".");
            if (!response.IsSuccessStatusCode)
                throw new ShoprenterTokenUnavailableException($"The Shoprenter token endpoint answered {status}.");
            var token = JsonFields.Str(json, "access_token");
            if (string.IsNullOrEmpty(token))
                throw new ShoprenterTokenUnavailableException("The Shoprenter token endpoint answered without an access_token.");
            var seconds = long.TryParse(JsonFields.Str(json, "expires_in"), NumberStyles.Integer, CultureInfo.InvariantCulture, out var s) && s > 0 ? s : 3600;
            return new ShoprenterTokenGrant(token, TimeSpan.FromSeconds(seconds));
        }
    }

    public ShoprenterShopRecord WithGrant(ShoprenterShopRecord record, ShoprenterTokenGrant grant) => record with
    {
        ProtectedAccessToken = protector.Protect(grant.AccessToken),
        AccessTokenExpiresAt = time.GetUtcNow() + grant.ExpiresIn,
    };

    private async Task<ShoprenterAccess> RenewAsync(string shopKey, string? staleToken, CancellationToken ct)
    {
        var gate = _local.GetOrAdd(shopKey, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(ct);
        try
        {
            var record = await LoadAsync(shopKey);
            if (record.ProtectedAccessToken != staleToken && Usable(record)) return BearerAccess(shopKey, record);
            ShoprenterTokenGrant grant;
            try
            {
                grant = await RequestAsync(record.ShopName, ct);
            }
            catch (ShoprenterAccessRefusedException e)
            {
                await MarkRefusedAsync(shopKey, e.Reason);
                throw;
            }
            // Re-read: an uninstall or a switch to the legacy API may have happened meanwhile.
            var current = await LoadAsync(shopKey);
            var updated = WithGrant(current, grant);
            await shops.SaveAsync(shopKey, updated);
            return current.Legacy is { } legacy ? LegacyAccess(shopKey, legacy) : BearerAccess(shopKey, updated);
        }
        finally
        {
            gate.Release();
        }
    }

    private async Task MarkRefusedAsync(string shopKey, string reason)
    {
        logger.LogWarning("Shoprenter refused a token for {Shop}: {Reason}", shopKey, reason);
        if (await directory.GetAsync(shopKey) is { } info && info.Status is not (ShopStatus.Deleted or ShopStatus.NeedsReinstall))
            await directory.SaveAsync(info with
            {
                Status = ShopStatus.NeedsReinstall,
                StatusReason = $"Shoprenter refused the app's access ({reason}) Reinstall the app, or approve its scopes at {options.Value.ApproveScopesUrlOf(ShopPlatforms.ShopIdOf(shopKey))}.",
                UpdatedAt = time.GetUtcNow(),
            });
    }

    private async Task<ShoprenterShopRecord> LoadAsync(string shopKey) =>
        await directory.GetAsync(shopKey) is { Status: not ShopStatus.Deleted } && await shops.GetAsync(shopKey) is { } record
            ? record
            : throw new ShoprenterAccessRefusedException(shopKey, "the app is not installed in this shop.");

    private bool Usable(ShoprenterShopRecord record) =>
        record.ProtectedAccessToken is not null && record.AccessTokenExpiresAt is { } expires && expires - time.GetUtcNow() > RenewAhead;

    private ShoprenterAccess BearerAccess(string shopKey, ShoprenterShopRecord record) =>
        new(shopKey, options.Value.ApiUrlOf(record.ShopName), ShoprenterAccess.Bearer, protector.Unprotect(record.ProtectedAccessToken!));

    private ShoprenterAccess LegacyAccess(string shopKey, ShoprenterLegacyAccess legacy) =>
        new(shopKey, legacy.ApiUrl, ShoprenterAccess.Basic,
            Convert.ToBase64String(Encoding.UTF8.GetBytes(protector.Unprotect(legacy.ProtectedUserName) + ":" + protector.Unprotect(legacy.ProtectedPassword))));
}

public sealed record ShoprenterTokenGrant(string AccessToken, TimeSpan ExpiresIn);

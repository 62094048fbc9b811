using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Relay.Pipeline;
using Relay.Shops;
using Relay.Sync;

namespace Relay.Platforms.Shopware;

/// <summary>What the relay reads from a Shopware webhook body before it trusts it (protocol §3.1).</summary>
public sealed record ShopwareWebhookEnvelope(string Event, string ShopId, string? EventId, long Timestamp, JsonElement Payload);

/// <summary>
/// Signed webhooks: contact and consent events go to the inbox untouched (a worker does the slow part,
/// because Shopware's synchronous delivery gives up after 5 s and never retries); app lifecycle events
/// change the tenant's state.
/// </summary>
public static class ShopwareWebhooks
{
    public const string InboxKind = "shopware.webhook";

    public static async Task<Results<NoContent, ProblemHttpResult>> ReceiveEventAsync(
        HttpRequest request, ShopwareShops shops, Inbox inbox, IOptions<ShopwareOptions> options, TimeProvider time, CancellationToken ct)
    {
        var o = options.Value;
        if (!request.HasJsonContentType())
            return ShopwareHttp.NotJson();
        if (await ShopwareHttp.ReadBodyAsync(request, o.MaxBodyBytes, ct) is not { } body)
            return ShopwareHttp.TooLarge(o.MaxBodyBytes);
        if (Parse(body, withPayload: false) is not { } envelope)
            return MalformedBody();
        // WEBHOOKS_REWORK deliveries name the event in a header too; legacy ones only in the body.
        var eventIdHeader = request.Headers[EventIdHeader].ToString();
        if ((eventIdHeader.Length > 0 ? eventIdHeader : envelope.EventId) is not { Length: > 0 and <= 128 } eventId)
            return ShopwareHttp.Problem(400, "Webhook incomplete",
                $"{EventIdHeader} or source.eventId (1 to 128 characters) is required: it is what makes a retried delivery recognisable.");
        if (!TryReadSequence(request, out var sequence))
            return ShopwareHttp.Problem(400, "Webhook malformed", $"{SequenceHeader} must be a non-negative integer.");

        var (shop, problem) = await AuthenticateAsync(request, body, envelope, shops, o, time, mayUseRecent: true);
        if (problem is not null) return problem;
        if (shop!.Status != ShopStatus.Active)
            return ShopwareHttp.Problem(401, "Shop not active", "The app is not active for this shop; its events are not accepted.");

        await inbox.AcceptAsync(shop.Key, eventId, InboxKind, Encoding.UTF8.GetString(body), sequence);
        return TypedResults.NoContent();
    }

    // WEBHOOKS_REWORK (ADR 2026-04-14, protocol §3.2): at-least-once delivery with Shopware's own retries.
    // The event id is stable across retries; the sequence numbers the app's deliveries in the order the
    // events happened (a retry may overtake a later event); the attempt counts retries and is not needed:
    // dedup on the event id already drops a repeated attempt.
    public const string EventIdHeader = "X-Shopware-Event-Id";
    public const string SequenceHeader = "X-Shopware-Sequence";
    public const string AttemptHeader = "X-Shopware-Attempt";

    /// <summary>False only when the header is there and is not a sequence; absent (legacy delivery) is null.</summary>
    private static bool TryReadSequence(HttpRequest request, out long? sequence)
    {
        sequence = null;
        var header = request.Headers[SequenceHeader].ToString();
        if (header.Length == 0) return true;
        if (!long.TryParse(header, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var value))
            return false;
        sequence = value;
        return true;
    }

    public static async Task<Results<NoContent, ProblemHttpResult>> ReceiveLifecycleAsync(
        HttpRequest request, ShopwareShops shops, ShopDirectory directory, Storage.IRelayStore store, ShopPauses pauses, ActivityLog activity,
        IOptions<ShopwareOptions> options, IOptions<PipelineOptions> pipeline, TimeProvider time, ILoggerFactory logs, CancellationToken ct)
    {
        var o = options.Value;
        if (!request.HasJsonContentType())
            return ShopwareHttp.NotJson();
        if (await ShopwareHttp.ReadBodyAsync(request, o.MaxBodyBytes, ct) is not { } body)
            return ShopwareHttp.TooLarge(o.MaxBodyBytes);
        if (Parse(body) is not { } envelope)
            return MalformedBody();

        var (shop, problem) = await AuthenticateAsync(request, body, envelope, shops, o, time);
        if (problem is not null) return problem;
        var now = time.GetUtcNow();
        var partitions = pipeline.Value.Partitions;

        // Each delivery is applied once: a retried or replayed app.deactivated must not undo a later
        // app.activated. After twice the tolerance the timestamp check refuses it anyway.
        var seenKey = envelope.EventId is { Length: > 0 and <= 128 } eventId ? Storage.StoreKeys.ShopItem(shop!.Key, "shopware:lifecycle-seen:" + eventId) : null;
        if (seenKey is not null && !await store.SetIfAbsentAsync(seenKey, "1", 2 * o.WebhookTolerance))
            return TypedResults.NoContent();
        try
        {
            if (envelope.Event == "app.permissions.updated")
            {
                if (GrantedPermissions(envelope.Payload) is not { } granted)
                    return ShopwareHttp.Problem(400, "Webhook malformed", "app.permissions.updated must carry data.payload.permissions, a list of strings.");
                await ApplyPermissionsAsync(shop!.Key, granted, DateTimeOffset.FromUnixTimeSeconds(envelope.Timestamp), pauses, activity, now);
            }
            else
                await ApplyLifecycleAsync(envelope, shop!, directory, store, now, partitions, o.KeepUserDataRetention);
        }
        catch when (seenKey is not null)
        {
            await store.DeleteAsync(seenKey); // not applied: Shopware's retry must get through
            throw;
        }
        shops.ForgetVerified(shop!.ShopId);
        logs.CreateLogger(typeof(ShopwareWebhooks)).LogInformation("Shopware lifecycle {Event} for {ShopKey}", envelope.Event, shop.Key);
        return TypedResults.NoContent();
    }

    private static async Task ApplyLifecycleAsync(ShopwareWebhookEnvelope envelope, ShopInfo shop, ShopDirectory directory,
        Storage.IRelayStore store, DateTimeOffset now, int partitions, TimeSpan keepUserDataRetention)
    {
        switch (envelope.Event)
        {
            case "app.installed":
                if (shop.Status != ShopStatus.Active)
                    await directory.SaveAsync(shop with { Status = ShopStatus.Inactive, UpdatedAt = now, StatusReason = "Installed; waiting for app.activated" });
                break;
            case "app.activated":
                await directory.SaveAsync(shop with { Status = ShopStatus.Active, UpdatedAt = now, StatusReason = null });
                break;
            case "app.deactivated":
                await directory.SaveAsync(shop with { Status = ShopStatus.Inactive, UpdatedAt = now, StatusReason = "App deactivated in the shop" });
                break;
            case "app.updated":
                await directory.SaveAsync(shop with { UpdatedAt = now });
                break;
            case "app.deleted":
                // Older Shopware sends [] here; only an explicit keepUserData=true keeps anything.
                var keepUserData = envelope.Payload.ValueKind == JsonValueKind.Object
                    && envelope.Payload.TryGetProperty("keepUserData", out var keep) && keep.ValueKind == JsonValueKind.True;
                if (keepUserData)
                {
                    // Settings, ledger and credentials stay for a reinstall (which Shopware signs with the
                    // stashed secret); queued work goes, and the sweep forgets the rest after the retention.
                    await store.PurgeShopAsync(shop.Key, partitions);
                    await directory.SaveAsync(shop with
                    {
                        Status = ShopStatus.Deleted, UpdatedAt = now, KeptUntil = now + keepUserDataRetention,
                        StatusReason = "App uninstalled; user data kept for a reinstall until KeptUntil",
                    });
                }
                else
                    await directory.ForgetAsync(shop.Key, partitions);
                break;
            default:
                // shopware.updated, app.config.changed and events added later need nothing from us.
                break;
        }
    }

    /// <summary>["customer:read", ...]: the privileges the merchant accepted, all of them (not a change).</summary>
    private static List<string>? GrantedPermissions(JsonElement payload) =>
        payload.ValueKind == JsonValueKind.Object && payload.TryGetProperty("permissions", out var list) && list.ValueKind == JsonValueKind.Array
        && list.EnumerateArray().All(p => p.ValueKind == JsonValueKind.String)
            ? list.EnumerateArray().Select(p => p.GetString()!).ToList()
            : null;

    /// <summary>A revoked permission pauses the features that need it; granting it back resumes them.</summary>
    private static async Task ApplyPermissionsAsync(string shopKey, IReadOnlyList<string> granted, DateTimeOffset asOf, ShopPauses pauses, ActivityLog activity, DateTimeOffset now)
    {
        var (paused, resumed) = await pauses.ApplyAsync(shopKey, ShopwarePermissions.Missing(granted), asOf);
        foreach (var p in paused)
            await activity.AppendAsync(shopKey, new ActivityEntry(now, "permissions", ActivityOutcome.Skipped, p.Reason, null, null));
        foreach (var p in resumed)
            await activity.AppendAsync(shopKey, new ActivityEntry(now, "permissions", ActivityOutcome.Ok,
                $"{ShopFeature.Describe(p.Feature)} resumed: the shop grants {string.Join(", ", p.Missing)} again.", null, null));
    }

    /// <summary>
    /// Known shop, body signed with its current secret (or the previous one within the grace window),
    /// timestamp within tolerance. Every failure is the same 401 class so nothing is stored.
    /// </summary>
    private static async Task<(ShopInfo? Shop, ProblemHttpResult? Problem)> AuthenticateAsync(
        HttpRequest request, byte[] body, ShopwareWebhookEnvelope envelope, ShopwareShops shops, ShopwareOptions o, TimeProvider time,
        bool mayUseRecent = false)
    {
        var now = time.GetUtcNow();
        if (!ShopwareRegistration.IsShopId(envelope.ShopId))
            return (null, UnknownShop());
        if (!ShopwareHttp.IsFresh(envelope.Timestamp, now, o.WebhookTolerance))
            return (null, ShopwareHttp.Problem(401, "Webhook expired",
                $"timestamp is not within {o.WebhookTolerance} of the relay's clock (Shopware:WebhookTolerance)."));
        var signature = request.Headers[ShopwareSignature.ShopSignatureHeader].ToString();

        var (shop, credentials) = await shops.GetForEventAsync(envelope.ShopId, fresh: !mayUseRecent);
        var verified = credentials?.Verifies(body, signature, now) == true;
        if (mayUseRecent && (!verified || shop!.Status != ShopStatus.Active))
        {
            // What this process kept refuses the request: ask the store, another process may have rotated the secret.
            (shop, credentials) = await shops.GetForEventAsync(envelope.ShopId, fresh: true);
            verified = credentials?.Verifies(body, signature, now) == true;
        }
        if (shop is null || shop.Status is ShopStatus.Pending or ShopStatus.Deleted || credentials is null)
            return (null, UnknownShop());
        if (!verified)
            return (null, ShopwareHttp.BadSignature("shopware-shop-signature does not match the body signed with the shop secret."));
        return (shop, null);
    }

    private static ProblemHttpResult UnknownShop() =>
        ShopwareHttp.Problem(401, "Unknown shop", "No registered Shopware shop matches source.shopId.");

    private static ProblemHttpResult MalformedBody() =>
        ShopwareHttp.Problem(400, "Webhook malformed",
            "The body must be a JSON object with data.event, source.shopId and a numeric timestamp.");

    /// <summary>The envelope; the payload only <paramref name="withPayload"/>, since the ingest path stores the body as it came.</summary>
    public static ShopwareWebhookEnvelope? Parse(byte[] body, bool withPayload = true)
    {
        try
        {
            using var doc = JsonDocument.Parse(body);
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object
                || !root.TryGetProperty("data", out var data) || data.ValueKind != JsonValueKind.Object
                || !root.TryGetProperty("source", out var source) || source.ValueKind != JsonValueKind.Object
                || !root.TryGetProperty("timestamp", out var ts))
                return null;
            var eventName = ShopwareRegistration.StringMember(data, "event");
            var shopId = ShopwareRegistration.StringMember(source, "shopId");
            long timestamp;
            if (ts.ValueKind == JsonValueKind.Number ? !ts.TryGetInt64(out timestamp)
                : ts.ValueKind != JsonValueKind.String || !long.TryParse(ts.GetString(), out timestamp))
                return null;
            if (string.IsNullOrEmpty(eventName) || string.IsNullOrEmpty(shopId)) return null;
            var payload = withPayload && data.TryGetProperty("payload", out var p) ? p.Clone() : default;
            return new ShopwareWebhookEnvelope(eventName, shopId, ShopwareRegistration.StringMember(source, "eventId"), timestamp, payload);
        }
        catch (JsonException)
        {
            return null;
        }
    }
}

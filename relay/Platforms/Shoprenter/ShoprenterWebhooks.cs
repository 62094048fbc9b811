using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Xml;
using System.Xml.Linq;
using Microsoft.Extensions.Options;
using Relay.Secrets;

namespace Relay.Platforms.Shoprenter;

/// <summary>
/// The relay's webhooks in a shop. Shoprenter signs no delivery, so each shop's webhook URLs carry an
/// unguessable secret in their path (<c>/shoprenter/webhooks/{shop}/{secret}/{event}</c>): a delivery
/// to any other secret is refused. Registering again rotates the secret: the new webhooks are created
/// first, then the old ones deleted, so no change falls between them, and the old secret stops working.
/// </summary>
public sealed class ShoprenterWebhooks(ShoprenterShops shops, IServiceProvider services, SecretProtector protector,
    IOptions<ShoprenterOptions> options, ILogger<ShoprenterWebhooks> logger)
{
    /// <summary>Consent changes and orders; customers have no webhook (the reconciliation polls them with updatedAtMin).</summary>
    public static readonly string[] Events = ["newsletter_subscribe", "newsletter_unsubscribe", "newsletter_update_subscriber", "order_confirm", "order_status_change"];

    public static bool IsEvent(string name) => Events.Contains(name, StringComparer.Ordinal);

    /// <summary>Registers every event with a fresh secret; false (the previous registration kept) when the shop refused.</summary>
    public async Task<bool> RegisterAsync(string shopKey, CancellationToken ct)
    {
        var record = await shops.GetAsync(shopKey) ?? throw new ShoprenterAccessRefusedException(shopKey, "the app is not installed in this shop.");
        var client = services.GetRequiredService<ShoprenterClient>();
        var secret = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));
        var format = options.Value.WebhookFormat;
        var created = new List<ShoprenterWebhook>();
        try
        {
            foreach (var eventName in Events)
                created.Add(new ShoprenterWebhook(await client.CreateWebhookAsync(shopKey, eventName, options.Value.WebhookUrl(record.ShopName, secret, eventName), format, ct), eventName));
        }
        catch (Exception e) when (e is ShopApiException or HttpRequestException)
        {
            logger.LogWarning("Shoprenter webhooks for {Shop} could not be registered ({Error}); the previous ones stay", shopKey, e.Message);
            await DeleteQuietlyAsync(client, shopKey, created, ct);
            return false;
        }
        // Saved before the old ones go: from here on only the new secret is accepted.
        var current = await shops.GetAsync(shopKey) ?? record;
        await shops.SaveAsync(shopKey, current with { ProtectedWebhookSecret = protector.Protect(secret), WebhookFormat = format, Webhooks = created });
        await DeleteQuietlyAsync(client, shopKey, record.Webhooks, ct);
        logger.LogInformation("Registered {Count} Shoprenter webhooks for {Shop} ({Format})", created.Count, shopKey, format);
        return true;
    }

    /// <summary>Best effort: at uninstall the shop may already refuse the app.</summary>
    public async Task DeleteAllAsync(string shopKey, ShoprenterShopRecord record, CancellationToken ct) =>
        await DeleteQuietlyAsync(services.GetRequiredService<ShoprenterClient>(), shopKey, record.Webhooks, ct);

    private async Task DeleteQuietlyAsync(ShoprenterClient client, string shopKey, IEnumerable<ShoprenterWebhook> webhooks, CancellationToken ct)
    {
        foreach (var webhook in webhooks)
        {
            try
            {
                await client.DeleteWebhookAsync(shopKey, webhook.Id, ct);
            }
            catch (Exception e) when (e is ShopApiException or HttpRequestException)
            {
                logger.LogInformation("Shoprenter webhook {Webhook} of {Shop} not deleted ({Error})", webhook.Id, shopKey, e.Message);
            }
        }
    }
}

/// <summary>
/// A delivery's body as JSON whatever it came in: Shoprenter sends the type the webhook was registered
/// with, JSON (<c>{"newsletter":{"subscriber":[…]}}</c>) or the same tree as XML. XML elements become
/// members, repeated elements arrays, text strings; the queue then holds JSON only.
/// </summary>
public static class ShoprenterWebhookBody
{
    public static bool LooksLikeXml(ReadOnlySpan<byte> body)
    {
        foreach (var b in body)
        {
            if (b is (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n' or 0xEF or 0xBB or 0xBF) continue;
            return b == (byte)'<';
        }
        return false;
    }

    /// <summary>The body as a JSON object, or null when it is not the type it claims to be.</summary>
    public static JsonObject? Parse(byte[] body, bool xml)
    {
        try
        {
            if (!xml) return JsonNode.Parse(body) as JsonObject;
            using var stream = new MemoryStream(body);
            // No DTDs, no external entities: a delivery is data, never instructions to the parser.
            using var reader = XmlReader.Create(stream, new XmlReaderSettings { DtdProcessing = DtdProcessing.Prohibit, XmlResolver = null });
            var root = XDocument.Load(reader).Root!;
            return new JsonObject { [root.Name.LocalName] = ToNode(root) };
        }
        catch (Exception e) when (e is JsonException or XmlException or InvalidOperationException)
        {
            return null;
        }
    }

    private static JsonNode? ToNode(XElement element)
    {
        if (!element.HasElements) return JsonValue.Create(element.Value);
        var obj = new JsonObject();
        foreach (var group in element.Elements().GroupBy(e => e.Name.LocalName))
        {
            var nodes = group.Select(ToNode).ToList();
            obj[group.Key] = nodes.Count == 1 ? nodes[0] : new JsonArray(nodes.ToArray());
        }
        return obj;
    }

    /// <summary>The orders of an order delivery: orders.order, one object or an array.</summary>
    public static IReadOnlyList<JsonElement> Orders(JsonElement root) => Items(root, "orders", "order");

    /// <summary>
    /// The subscribers of a newsletter delivery: newsletter.subscriber, one object or an array (XML
    /// with a single subscriber reads as one object).
    /// </summary>
    public static IReadOnlyList<JsonElement> Subscribers(JsonElement root) => Items(root, "newsletter", "subscriber");

    private static IReadOnlyList<JsonElement> Items(JsonElement root, string wrapper, string item)
    {
        if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty(wrapper, out var outer) || outer.ValueKind != JsonValueKind.Object
            || !outer.TryGetProperty(item, out var inner)) return [];
        return inner.ValueKind switch
        {
            JsonValueKind.Array => inner.EnumerateArray().Where(s => s.ValueKind == JsonValueKind.Object).ToList(),
            JsonValueKind.Object => [inner],
            _ => [],
        };
    }
}

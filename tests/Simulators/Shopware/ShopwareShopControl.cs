using System.Text.Json.Nodes;

namespace Simulators.Shopware;

/// <summary>
/// The shop simulator's /_sim routes: what a merchant or a customer does in a real shop — install the
/// app, add customers and newsletter recipients, open the app's module, unsubscribe in the storefront —
/// for the README demo and for anyone trying the relay by hand.
/// </summary>
internal static class ShopwareShopControl
{
    public static void Map(WebApplication app, Func<ShopwareShopSimulator> shop)
    {
        var control = app.MapGroup(SimulatorControl.Prefix);

        control.MapGet("/shop", () => Results.Json(new
        {
            shopId = shop().ShopId,
            shopUrl = shop().ShopUrl,
            installed = shop().ShopSecret is not null,
        }));

        // "Install and activate" in the shop's extension list: the registration handshake, then app.installed and app.activated.
        control.MapPost("/install", async () =>
        {
            var outcome = await shop().InstallAsync();
            return Results.Json(new
            {
                succeeded = outcome.Succeeded,
                registrationStatus = (int)outcome.RegistrationStatus,
                proofValid = outcome.ProofValid,
                confirmationStatus = (int?)outcome.ConfirmationStatus,
                shopId = shop().ShopId,
                shopUrl = shop().ShopUrl,
                error = outcome.Succeeded ? null : outcome.RegistrationBody,
            }, statusCode: outcome.Succeeded ? 200 : 502);
        });

        control.MapPost("/customers", (List<SimulatedContactInput> input) =>
            Results.Json(input.Select(c => shop().Api.AddCustomer(new SimulatedCustomer
            {
                Email = c.Email,
                FirstName = c.FirstName,
                LastName = c.LastName,
                CustomerNumber = c.CustomerNumber,
            })).ToList()));
        control.MapGet("/customers", () => Results.Json(shop().Api.Customers));

        control.MapPost("/newsletter-recipients", (List<SimulatedContactInput> input) =>
            Results.Json(input.Select(r => shop().Api.AddNewsletterRecipient(new SimulatedNewsletterRecipient
            {
                Email = r.Email,
                FirstName = r.FirstName,
                LastName = r.LastName,
                Status = r.Status ?? "direct",
                // Double opt-in: the recipient confirmed by mail.
                ConfirmedAt = r.Status == "optIn" ? DateTimeOffset.UtcNow : null,
            })).ToList()));
        control.MapGet("/newsletter-recipients", () => Results.Json(shop().Api.NewsletterRecipients));

        // The storefront's unsubscribe link: the row turns optOut and Shopware sends newsletter.unsubscribe
        // (in 6.6 the payload carries only the recipient's id) to the app's webhook URL.
        control.MapPost("/newsletter-recipients/{id}/unsubscribe", async (string id) =>
        {
            var recipient = shop().Api.NewsletterRecipients.FirstOrDefault(r => r.Id == id);
            if (recipient is null) return Results.NotFound();
            recipient.Status = "optOut";
            recipient.UpdatedAt = DateTimeOffset.UtcNow;
            var eventId = ShopwareIds.New();
            using var response = await shop().SendWebhookAsync("newsletter.unsubscribe",
                new JsonObject { ["newsletterRecipient"] = new JsonObject { ["_uniqueIdentifier"] = id, ["apiAlias"] = "newsletter_recipient" } },
                eventId);
            return Results.Json(new { eventId, relayStatus = (int)response.StatusCode });
        });

        // The catalog the relay wrote (products and variants with their stock), and orders as customers place them.
        control.MapGet("/products", () => Results.Json(shop().Api.Catalog.Rows("product")
            .Select(p => new { productNumber = p["productNumber"]?.GetValue<string>(), name = p["name"]?.GetValue<string>(), parentId = p["parentId"]?.GetValue<string>(), stock = p["stock"]?.GetValue<long>() })
            .OrderBy(p => p.productNumber, StringComparer.Ordinal)));
        control.MapPost("/orders", (JsonObject order) =>
        {
            shop().Api.Catalog.PutOrder(order);
            return Results.Json(new { id = order["id"]!.GetValue<string>() });
        });

        // The administration signs a fresh module link each time the merchant opens the app's page.
        control.MapGet("/module-url", () => Results.Json(new { url = shop().ModuleUrl() }));
    }
}

/// <param name="Status">Newsletter recipients only: direct (default), optIn (confirmed), notSet or optOut.</param>
public sealed record SimulatedContactInput(string Email, string? FirstName = null, string? LastName = null, string? CustomerNumber = null, string? Status = null);

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
            webhooksRework = shop().WebhooksRework,
            pendingWebhooks = shop().PendingWebhooks.Count,
        }));

        // The WEBHOOKS_REWORK flag: on, webhooks carry the delivery headers and refused ones wait for Shopware's retries.
        control.MapPost("/webhooks-rework", (bool on) =>
        {
            shop().WebhooksRework = on;
            return Results.Json(new { webhooksRework = on });
        });

        // Shopware's outbox worker: sends the retries that are due.
        control.MapPost("/webhooks/retry", async () => Results.Json(new { sent = await shop().RetryDueWebhooksAsync() }));

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

        // The app's permissions in the shop's extension settings: revoking or granting sends app.permissions.updated.
        control.MapGet("/permissions", () => Results.Json(shop().Api.GrantedPermissions));
        control.MapPost("/permissions/{permission}/revoke", async (string permission) =>
        {
            using var response = await shop().RevokePermissionsAsync(permission);
            return Results.Json(new { granted = shop().Api.GrantedPermissions, relayStatus = (int)response.StatusCode });
        });
        control.MapPost("/permissions/{permission}/grant", async (string permission) =>
        {
            using var response = await shop().GrantPermissionsAsync(permission);
            return Results.Json(new { granted = shop().Api.GrantedPermissions, relayStatus = (int)response.StatusCode });
        });
        // A customer checks out: two mugs (or the given lines), the coupon's discount and shipping (gross, 27 % VAT),
        // then checkout.order.placed to the app. payment: "paid" (default) or "open".
        control.MapPost("/orders", async (SimulatedOrderInput input) =>
        {
            List<SimulatedLineItem> items =
            [
                .. input.Lines is { Count: > 0 } lines
                    ? lines.Select(l => SimulatedLineItem.Gross("product", l.Label, l.Quantity, l.UnitPrice, l.TaxRate, new Dictionary<string, object?> { ["productNumber"] = l.Sku }, ShopwareIds.New()))
                    : [SimulatedLineItem.Gross("product", "Mug", 2, 12.70m, 27, new Dictionary<string, object?> { ["productNumber"] = "MUG-1" }, ShopwareIds.New())],
                .. input.Coupon is { Length: > 0 } code
                    ? [SimulatedLineItem.Gross("promotion", "Coupon", 1, -2.54m, 27, new Dictionary<string, object?> { ["code"] = code })]
                    : Array.Empty<SimulatedLineItem>(),
            ];
            var shipping = new SimulatedDelivery(new SimulatedPrice(6.35m, 6.35m, 1, [new SimulatedTax(1.35m, 27, 6.35m)]), new SimulatedShippingMethod("Standard"));
            var order = shop().Api.AddOrder(new SimulatedOrder
            {
                OrderNumber = input.Number,
                AmountTotal = items.Sum(i => i.TotalPrice) + shipping.ShippingCosts.TotalPrice,
                Currency = new SimulatedCurrency(input.Currency ?? "HUF"),
                OrderCustomer = new SimulatedOrderCustomer(input.Email, input.FirstName, input.LastName),
                BillingAddress = input.Address,
                LineItems = items,
                Deliveries = [shipping],
                Transactions = [new SimulatedTransaction(SimulatedState.Payment(input.Payment ?? "paid"), new SimulatedPaymentMethod(input.PaymentMethod ?? "Card"), DateTimeOffset.UtcNow)],
            });
            var eventId = ShopwareIds.New();
            using var response = await shop().SendWebhookAsync("checkout.order.placed",
                new JsonObject { ["order"] = new JsonObject { ["_uniqueIdentifier"] = order.Id, ["apiAlias"] = "order" } }, eventId);
            return Results.Json(new { order.Id, order.OrderNumber, eventId, relayStatus = (int)response.StatusCode });
        });
        control.MapGet("/orders", () => Results.Json(shop().Api.Orders));

        // The catalog the relay wrote (products and variants with their stock).
        control.MapGet("/products", () => Results.Json(shop().Api.Catalog.Rows("product")
            .Select(p => new { productNumber = p["productNumber"]?.GetValue<string>(), name = p["name"]?.GetValue<string>(), parentId = p["parentId"]?.GetValue<string>(), stock = p["stock"]?.GetValue<long>() })
            .OrderBy(p => p.productNumber, StringComparer.Ordinal)));

        // The administration signs a fresh module link each time the merchant opens the app's page.
        control.MapGet("/module-url", () => Results.Json(new { url = shop().ModuleUrl() }));
    }
}

/// <param name="Lines">The products bought; none: two mugs.</param>
/// <param name="PaymentMethod">The payment method's name; default "Card".</param>
public sealed record SimulatedOrderInput(string Number, string? Email, string? FirstName = null, string? LastName = null, string? Payment = null, string? Coupon = null, string? Currency = null,
    IReadOnlyList<SimulatedOrderLineInput>? Lines = null, string? PaymentMethod = null, SimulatedOrderAddress? Address = null);

public sealed record SimulatedOrderLineInput(string Sku, string Label, decimal Quantity, decimal UnitPrice, decimal TaxRate);

/// <param name="Status">Newsletter recipients only: direct (default), optIn (confirmed), notSet or optOut.</param>
public sealed record SimulatedContactInput(string Email, string? FirstName = null, string? LastName = null, string? CustomerNumber = null, string? Status = null);

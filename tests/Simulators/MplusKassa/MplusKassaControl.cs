using System.Text.Json;

namespace Simulators.MplusKassa;

/// <summary>/_sim routes of the till for the README demo: seed articles and stock, subscribe webhooks and sell, read the booked orders.</summary>
internal static class MplusKassaControl
{
    public static void Map(WebApplication app, Func<MplusKassaSimulator> sim)
    {
        app.MapPost(SimulatorControl.Prefix + "/products", (SimProduct[] products) =>
        {
            foreach (var product in products) sim().PutProduct(product);
            return Results.Ok(new { products = products.Length });
        });
        app.MapPost(SimulatorControl.Prefix + "/groups", (SimArticleGroup[] groups) =>
        {
            foreach (var group in groups) sim().PutArticleGroup(group);
            return Results.Ok(new { groups = groups.Length });
        });
        app.MapPost(SimulatorControl.Prefix + "/stock", (SimStock[] stock) =>
        {
            foreach (var s in stock) sim().SetStock(s.ArticleNumber, s.Free, s.Reserved, s.Incoming);
            return Results.Ok(new { stock = stock.Length });
        });
        // A webhook subscription as made in the till's back office, and a sale that fires completeSession to it.
        app.MapPost(SimulatorControl.Prefix + "/webhooks", (WebhookSubscription subscription) =>
        {
            sim().Subscribe(subscription.EndpointUrl, subscription.SubscriptionId);
            return Results.Ok(new { subscribed = subscription.EndpointUrl });
        });
        app.MapPost(SimulatorControl.Prefix + "/sales", async (Sale sale) =>
            Results.Ok(new { answered = (await sim().SellAsync(sale.ArticleNumber, sale.Quantity)).Select(s => (int)s) }));
        app.MapGet(SimulatorControl.Prefix + "/orders", () => Results.Json(
            sim().Orders.Concat(sim().Invoices).Select(o => new { o.Kind, o.Id, o.ExtId, o.RelationNumber, o.EmployeeNumber, o.TotalIncl, lines = o.Lines.Count }),
            new JsonSerializerOptions(JsonSerializerDefaults.Web)));
    }
}

internal sealed record WebhookSubscription(string EndpointUrl, string SubscriptionId);

internal sealed record Sale(long ArticleNumber, long Quantity);

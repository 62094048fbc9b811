using System.Text.Json;

namespace Simulators.MplusKassa;

/// <summary>/_sim routes of the till for the README demo: seed articles and stock, read the booked orders.</summary>
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
        app.MapGet(SimulatorControl.Prefix + "/orders", () => Results.Json(
            sim().Orders.Concat(sim().Invoices).Select(o => new { o.Kind, o.Id, o.ExtId, o.RelationNumber, o.EmployeeNumber, o.TotalIncl, lines = o.Lines.Count }),
            new JsonSerializerOptions(JsonSerializerDefaults.Web)));
    }
}

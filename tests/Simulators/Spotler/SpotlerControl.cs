namespace Simulators.Spotler;

/// <summary>
/// The Spotler simulator's /_sim routes: what a person would see in, or do through, the Spotler
/// web interface (a contact list, a recipient clicking "unsubscribe" in a mailing, a bounce).
/// </summary>
internal static class SpotlerControl
{
    public static void Map(WebApplication app, SpotlerSimulator spotler)
    {
        var control = app.MapGroup(SimulatorControl.Prefix);

        control.MapGet("/contacts", () => Results.Json(spotler.Contacts.Values
            .OrderBy(c => c.ExternalId, StringComparer.Ordinal)
            .Select(c => View(spotler, c))));

        control.MapGet("/contacts/{externalId}", (string externalId) =>
            spotler.Contacts.TryGetValue(externalId, out var contact) ? Results.Json(View(spotler, contact)) : Results.NotFound());

        control.MapPost("/contacts/{externalId}/unsubscribe", (string externalId, int? bit) =>
        {
            if (!spotler.Contacts.TryGetValue(externalId, out var contact)) return Results.NotFound();
            spotler.Unsubscribe(externalId, bit ?? spotler.PermissionBits[0].Bit, DateTimeOffset.UtcNow);
            return Results.Json(View(spotler, contact));
        });

        control.MapPost("/contacts/{externalId}/bounce", (string externalId, bool? hard) =>
        {
            if (!spotler.Contacts.ContainsKey(externalId)) return Results.NotFound();
            spotler.Bounce(externalId, hard ?? true, DateTimeOffset.UtcNow);
            return Results.NoContent();
        });

        // How the relay used the API: calls and the sizes of its batch writes.
        control.MapGet("/requests", () => Results.Json(new
        {
            count = spotler.Requests.Count,
            contactListBatches = spotler.ContactListBatches,
            signatureFailures = spotler.SignatureFailures,
        }));
    }

    private static SpotlerContactView View(SpotlerSimulator spotler, SpotlerContact c) => new(
        c.ExternalId,
        c.Properties.GetValueOrDefault("email"),
        c.Properties.GetValueOrDefault("firstName"),
        c.Properties.GetValueOrDefault("lastName"),
        spotler.PermissionBits.ToDictionary(p => p.Description, p => c.Permissions.GetValueOrDefault(p.Bit)),
        c.LastChanged);
}

/// <param name="Permissions">Each permission bit by its description ("Nieuwsbrief", …): enabled or not.</param>
public sealed record SpotlerContactView(
    string ExternalId,
    string? Email,
    string? FirstName,
    string? LastName,
    IReadOnlyDictionary<string, bool> Permissions,
    DateTimeOffset LastChanged);

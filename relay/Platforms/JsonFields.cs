using System.Text.Json;

namespace Relay.Platforms;

internal static class JsonFields
{
    /// <summary>A member as text: platforms send ids and flags as strings or numbers interchangeably.</summary>
    public static string? Str(JsonElement obj, string name) =>
        obj.ValueKind == JsonValueKind.Object && obj.TryGetProperty(name, out var v)
            ? v.ValueKind switch
            {
                JsonValueKind.String => v.GetString(),
                JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False => v.GetRawText(),
                _ => null,
            }
            : null;
}

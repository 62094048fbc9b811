using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Relay.Platforms.Shoper;

/// <summary>A page of a Shoper collection: {"count":"36","pages":2,"page":1,"list":[…]}; count comes as a string.</summary>
public sealed record ShoperPage<T>(
    [property: JsonPropertyName("count"), JsonConverter(typeof(ShoperIntConverter))] int Count,
    [property: JsonPropertyName("pages"), JsonConverter(typeof(ShoperIntConverter))] int Pages,
    [property: JsonPropertyName("page"), JsonConverter(typeof(ShoperIntConverter))] int Page,
    [property: JsonPropertyName("list")] IReadOnlyList<T> List);

/// <summary>A shop customer (resource "users"). The newsletter flag is read-only here; consent is written through subscribers.</summary>
public sealed record ShoperUser
{
    [JsonPropertyName("user_id"), JsonConverter(typeof(ShoperIdConverter))] public string UserId { get; init; } = "";
    [JsonPropertyName("email")] public string? Email { get; init; }
    [JsonPropertyName("firstname")] public string? Firstname { get; init; }
    [JsonPropertyName("lastname")] public string? Lastname { get; init; }
    [JsonPropertyName("active"), JsonConverter(typeof(ShoperBoolConverter))] public bool Active { get; init; }
    [JsonPropertyName("newsletter"), JsonConverter(typeof(ShoperBoolConverter))] public bool Newsletter { get; init; }
    [JsonPropertyName("group_id"), JsonConverter(typeof(ShoperNullableIdConverter))] public string? GroupId { get; init; }
    [JsonPropertyName("lang_id"), JsonConverter(typeof(ShoperNullableIdConverter))] public string? LangId { get; init; }
    [JsonPropertyName("date_add")] public string? DateAdd { get; init; }
}

/// <summary>A newsletter subscriber (resource "subscribers").</summary>
public sealed record ShoperSubscriber
{
    [JsonPropertyName("subscriber_id"), JsonConverter(typeof(ShoperIdConverter))] public string SubscriberId { get; init; } = "";
    [JsonPropertyName("email")] public string? Email { get; init; }
    [JsonPropertyName("active"), JsonConverter(typeof(ShoperBoolConverter))] public bool Active { get; init; }
    [JsonPropertyName("dateadd")] public string? DateAdd { get; init; }
    [JsonPropertyName("lang_id"), JsonConverter(typeof(ShoperNullableIdConverter))] public string? LangId { get; init; }
}

/// <summary>One sub-request of POST /webapi/rest/bulk. <see cref="Path"/> includes "/webapi/rest/".</summary>
public sealed record ShoperBulkOperation(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("method")] string Method,
    [property: JsonPropertyName("path")] string Path,
    [property: JsonPropertyName("params"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyDictionary<string, object?>? Params = null,
    [property: JsonPropertyName("body"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] object? Body = null);

public sealed record ShoperBulkResult(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("code"), JsonConverter(typeof(ShoperIntConverter))] int Code,
    [property: JsonPropertyName("body")] JsonElement Body)
{
    public bool IsSuccess => Code is >= 200 and < 300;
}

/// <summary>Ids arrive as strings, sometimes as numbers; they are kept as strings.</summary>
public sealed class ShoperIdConverter : JsonConverter<string>
{
    public override string Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) => reader.TokenType switch
    {
        JsonTokenType.String => reader.GetString()!,
        JsonTokenType.Number => Encoding(ref reader),
        _ => throw new JsonException($"Expected an id (string or number), got {reader.TokenType}."),
    };

    public override void Write(Utf8JsonWriter writer, string value, JsonSerializerOptions options) => writer.WriteStringValue(value);

    internal static string Encoding(ref Utf8JsonReader reader) =>
        reader.TryGetInt64(out var n) ? n.ToString(CultureInfo.InvariantCulture) : System.Text.Encoding.UTF8.GetString(reader.ValueSpan);
}

public sealed class ShoperNullableIdConverter : JsonConverter<string?>
{
    public override bool HandleNull => true;

    public override string? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) => reader.TokenType switch
    {
        JsonTokenType.Null => null,
        JsonTokenType.String => reader.GetString(),
        JsonTokenType.Number => ShoperIdConverter.Encoding(ref reader),
        _ => throw new JsonException($"Expected an id (string or number), got {reader.TokenType}."),
    };

    public override void Write(Utf8JsonWriter writer, string? value, JsonSerializerOptions options)
    {
        if (value is null) writer.WriteNullValue(); else writer.WriteStringValue(value);
    }
}

/// <summary>Booleans arrive as "0"/"1" strings (sometimes numbers or real booleans).</summary>
public sealed class ShoperBoolConverter : JsonConverter<bool>
{
    public override bool Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) => reader.TokenType switch
    {
        JsonTokenType.True => true,
        JsonTokenType.False => false,
        JsonTokenType.Null => false,
        JsonTokenType.Number => reader.GetInt64() != 0,
        JsonTokenType.String => reader.GetString() switch
        {
            "1" or "true" => true,
            "0" or "false" or "" => false,
            var other => throw new JsonException($"Expected a Shoper boolean (\"0\"/\"1\"), got \"{other}\"."),
        },
        _ => throw new JsonException($"Expected a Shoper boolean, got {reader.TokenType}."),
    };

    public override void Write(Utf8JsonWriter writer, bool value, JsonSerializerOptions options) => writer.WriteNumberValue(value ? 1 : 0);
}

/// <summary>Counts and codes arrive as strings or numbers.</summary>
public sealed class ShoperIntConverter : JsonConverter<int>
{
    public override int Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) => reader.TokenType switch
    {
        JsonTokenType.Number => reader.GetInt32(),
        JsonTokenType.String when int.TryParse(reader.GetString(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) => n,
        _ => throw new JsonException($"Expected an integer (string or number), got {reader.TokenType}."),
    };

    public override void Write(Utf8JsonWriter writer, int value, JsonSerializerOptions options) => writer.WriteNumberValue(value);
}

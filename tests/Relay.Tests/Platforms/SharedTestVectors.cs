using System.Text.Json.Nodes;

namespace Relay.Tests.Platforms;

/// <summary>
/// The shared signature vectors (shared/test-vectors.json, next to the repository) read as they
/// are, so that a vector added to the file later is tested without touching the tests.
/// RELAY_TEST_VECTORS may point at the file; otherwise it is looked for as "shared/test-vectors.json"
/// in every folder above the test binaries (the repository's parent holds "shared").
/// </summary>
public static class SharedTestVectors
{
    private static readonly Lazy<JsonObject> Document = new(Load);

    public static string Path { get; } = Locate();

    /// <summary>The "vectors" array of one section ("shopware", "shoper", "spotler").</summary>
    public static IReadOnlyList<JsonObject> Section(string name) =>
        Document.Value[name]?["vectors"]?.AsArray().Select(v => v!.AsObject()).ToList()
        ?? throw new InvalidOperationException($"{Path} has no \"{name}\" section with vectors.");

    /// <summary>One theory row per vector of the section, identified by its "what" (xUnit shows it).</summary>
    public static TheoryData<string> Names(string section)
    {
        var data = new TheoryData<string>();
        foreach (var vector in Section(section)) data.Add(What(vector));
        return data;
    }

    public static JsonObject Vector(string section, string what) =>
        Section(section).Single(v => What(v) == what);

    public static string What(JsonObject vector) => (string?)vector["what"] ?? throw new InvalidOperationException("A vector without \"what\".");

    public static string Text(JsonObject vector, string member) =>
        (string?)vector[member] ?? throw new InvalidOperationException($"Vector \"{What(vector)}\" has no \"{member}\".");

    private static string Locate()
    {
        if (Environment.GetEnvironmentVariable("RELAY_TEST_VECTORS") is { Length: > 0 } configured) return configured;
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = System.IO.Path.Combine(dir.FullName, "shared", "test-vectors.json");
            if (File.Exists(candidate)) return candidate;
        }
        return "shared/test-vectors.json (not found above " + AppContext.BaseDirectory + "; set RELAY_TEST_VECTORS)";
    }

    private static JsonObject Load() =>
        File.Exists(Path)
            ? JsonNode.Parse(File.ReadAllText(Path))!.AsObject()
            : throw new FileNotFoundException($"The shared test vectors were not found: {Path}.");
}

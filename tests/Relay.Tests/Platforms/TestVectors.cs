using System.Text.Json.Nodes;
using Relay.Tests.Infrastructure;

namespace Relay.Tests.Platforms;

/// <summary>
/// The signature vectors of tests/test-vectors.json, read as they are, so that a vector added to the
/// file later is tested without touching the tests. The file is the repository's copy of the project's
/// shared vectors (shared/test-vectors.json beside the repository, where that folder exists; see
/// <see cref="TestVectorsTests"/>).
/// </summary>
public static class TestVectors
{
    public static string Path { get; } = Repository.Path("tests", "test-vectors.json");

    private static readonly Lazy<JsonObject> Document = new(() => JsonNode.Parse(File.ReadAllText(Path))!.AsObject());

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
}

public sealed class TestVectorsTests
{
    /// <summary>
    /// The repository carries its own copy so that it builds and tests alone. Where the project's shared
    /// folder sits beside the repository (../shared), the copy must be that file byte for byte: a vector
    /// changed or added there is copied here (cp ../shared/test-vectors.json tests/). Without the folder
    /// there is nothing to compare with.
    /// </summary>
    [Fact]
    public void The_copy_equals_the_shared_file_where_that_exists()
    {
        Assert.True(File.Exists(TestVectors.Path), $"{TestVectors.Path} is missing");
        var sharedFolder = System.IO.Path.Combine(Repository.Root, "..", "shared");
        if (!Directory.Exists(sharedFolder)) return;
        var shared = System.IO.Path.Combine(sharedFolder, "test-vectors.json");
        Assert.True(File.Exists(shared), $"{System.IO.Path.GetFullPath(sharedFolder)} has no test-vectors.json");
        Assert.True(File.ReadAllBytes(shared).AsSpan().SequenceEqual(File.ReadAllBytes(TestVectors.Path)),
            $"{TestVectors.Path} differs from {System.IO.Path.GetFullPath(shared)}: copy the shared file into tests/.");
    }
}

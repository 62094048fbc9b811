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
    /// The repository carries its own copy of the shared signature vectors (tests/test-vectors.json), so it
    /// builds and tests alone; a vector changed in the project's shared folder is copied here by hand.
    /// </summary>
    [Fact]
    public void The_repository_carries_its_own_signature_vectors()
    {
        Assert.True(File.Exists(TestVectors.Path), $"{TestVectors.Path} is missing");
        Assert.NotEmpty(TestVectors.Section("shopware"));
    }
}

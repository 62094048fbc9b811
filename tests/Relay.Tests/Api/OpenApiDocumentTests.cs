using Relay.Tests.Infrastructure;

namespace Relay.Tests.Api;

public sealed class OpenApiDocumentTests
{
    private static string RepositoryFile(string name)
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "RelayApi.sln"))) dir = dir.Parent;
        return Path.Combine(dir?.FullName ?? throw new InvalidOperationException("RelayApi.sln not found above the test binaries."), name);
    }

    /// <summary>
    /// openapi.yaml is the published contract. Regenerate it with scripts/update-openapi.sh after
    /// changing an endpoint, and review the diff like code.
    /// </summary>
    [Fact]
    public async Task The_published_openapi_yaml_equals_the_served_document()
    {
        await using var app = new RelayApplication();
        var served = (await app.CreateClient().GetStringAsync("/openapi/v1.yaml")).ReplaceLineEndings("\n");
        var path = RepositoryFile("openapi.yaml");

        if (Environment.GetEnvironmentVariable("UPDATE_OPENAPI") == "1")
            await File.WriteAllTextAsync(path, served);

        Assert.True(File.Exists(path), "openapi.yaml is missing: run scripts/update-openapi.sh");
        var published = (await File.ReadAllTextAsync(path)).ReplaceLineEndings("\n");
        Assert.True(published == served, "openapi.yaml differs from the served document: run scripts/update-openapi.sh and commit the result.");
    }
}

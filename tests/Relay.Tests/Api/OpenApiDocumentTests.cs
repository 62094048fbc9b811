using Relay.Tests.Infrastructure;

namespace Relay.Tests.Api;

public sealed class OpenApiDocumentTests
{
    /// <summary>
    /// openapi.yaml is the published contract. Regenerate it with scripts/update-openapi.sh after
    /// changing an endpoint, and review the diff like code.
    /// </summary>
    [Fact]
    public async Task The_published_openapi_yaml_equals_the_served_document()
    {
        await using var app = new RelayApplication();
        var served = (await app.CreateClient().GetStringAsync("/openapi/v1.yaml")).ReplaceLineEndings("\n");
        var path = Repository.Path("openapi.yaml");

        if (Environment.GetEnvironmentVariable("UPDATE_OPENAPI") == "1")
            await File.WriteAllTextAsync(path, served);

        Assert.True(File.Exists(path), "openapi.yaml is missing: run scripts/update-openapi.sh");
        var published = (await File.ReadAllTextAsync(path)).ReplaceLineEndings("\n");
        Assert.True(published == served, "openapi.yaml differs from the served document: run scripts/update-openapi.sh and commit the result.");
    }
}

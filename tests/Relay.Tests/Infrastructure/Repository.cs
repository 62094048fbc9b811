namespace Relay.Tests.Infrastructure;

/// <summary>The repository the tests were built from: the folder above the test binaries that holds RelayApi.sln.</summary>
public static class Repository
{
    public static string Root { get; } = FindRoot();

    /// <summary>A path inside the repository, e.g. Repository.Path("app-manifests", "shopware", "manifest.xml").</summary>
    public static string Path(params string[] parts) => System.IO.Path.Combine([Root, .. parts]);

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(System.IO.Path.Combine(dir.FullName, "RelayApi.sln"))) return dir.FullName;
        throw new InvalidOperationException($"RelayApi.sln not found above the test binaries ({AppContext.BaseDirectory}).");
    }
}

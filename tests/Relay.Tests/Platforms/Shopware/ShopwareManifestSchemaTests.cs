using System.Diagnostics;
using System.Xml;
using System.Xml.Linq;
using System.Xml.Schema;
using Relay.Tests.Infrastructure;

namespace Relay.Tests.Platforms.Shopware;

/// <summary>
/// Protocol §5: a shop validates the app's manifest against the schema it ships (6.5 and 6.6: manifest-2.0; 6.7:
/// manifest-3.0, which knows &lt;requirements&gt; from 6.7.10) and refuses the app when it does not validate.
/// scripts/render-shopware-manifest.sh therefore builds one manifest per schema from the one template.
/// </summary>
public sealed class ShopwareManifestSchemaTests : IDisposable
{
    private readonly string _out = Directory.CreateTempSubdirectory("manifest-").FullName;

    public void Dispose() => Directory.Delete(_out, recursive: true);

    [Fact]
    public void The_build_for_6_5_to_6_7_9_is_valid_for_every_schema_and_declares_no_requirements()
    {
        var manifest = Render("6.5");

        Assert.Empty(Problems(manifest, "manifest-2.0.xsd"));
        Assert.Empty(Problems(manifest, "manifest-3.0.xsd"));
        Assert.Empty(XDocument.Load(manifest).Descendants("requirements"));
        Assert.Equal("~6.5.0 || ~6.6.0 || >=6.7.0 <6.7.10", XDocument.Load(manifest).Descendants("compatibility").Single().Value);
    }

    [Fact]
    public void The_build_for_6_7_10_and_later_requires_public_access_which_older_schemas_refuse()
    {
        var manifest = Render("6.7.10");

        Assert.Empty(Problems(manifest, "manifest-3.0.xsd"));
        var requirement = Assert.Single(XDocument.Load(manifest).Descendants("requirements").Elements());
        Assert.Equal("public-access", requirement.Name.LocalName);
        Assert.Equal("~6.7.10 || ~6.8.0", XDocument.Load(manifest).Descendants("compatibility").Single().Value);
        // What a 6.5 or 6.6 shop would say if it were given this build: the unknown element makes the manifest invalid.
        Assert.Contains(Problems(manifest, "manifest-2.0.xsd"), p => p.Contains("requirements", StringComparison.Ordinal));
    }

    [Fact]
    public void Both_builds_carry_the_same_app_apart_from_the_requirement_and_the_versions()
    {
        var older = XDocument.Load(Render("6.5"));
        var newer = XDocument.Load(Render("6.7.10"));
        newer.Root!.Element("requirements")!.Remove();
        foreach (var build in new[] { older, newer })
        {
            build.Descendants("compatibility").Single().Remove();
            build.DescendantNodes().OfType<XComment>().ToList().ForEach(c => c.Remove());
            build.Root!.Attributes().Where(a => a.Name.LocalName == "noNamespaceSchemaLocation").Remove();
        }

        Assert.Equal(older.ToString(), newer.ToString());
    }

    [Theory]
    [InlineData("6.5")]
    [InlineData("6.7.10")]
    public void Each_build_asks_for_every_permission_the_shop_simulator_grants_the_till_flows_included(string shopware)
    {
        var permissions = XDocument.Load(Render(shopware)).Descendants("permissions").Elements()
            .Select(p => $"{p.Value}:{p.Name.LocalName}").Order(StringComparer.Ordinal).ToArray();

        // No less (the tests would meet permission errors a real shop would not) and no more.
        Assert.Equal(Simulators.Shopware.ShopwareAdminApi.ManifestPermissions.Order(StringComparer.Ordinal).ToArray(), permissions);
        Assert.Contains("product:create", permissions);
    }

    private string Render(string shopware)
    {
        var folder = Path.Combine(_out, shopware);
        var start = new ProcessStartInfo("bash")
        {
            ArgumentList = { Repository.Path("scripts", "render-shopware-manifest.sh"), "--base-url", "https://relay.example.com",
                "--secret", "app-secret", "--shopware", shopware, "--out", folder },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var process = Process.Start(start)!;
        var errors = process.StandardError.ReadToEndAsync();
        process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"render failed: {errors.Result}");
        return Path.Combine(folder, "RelayConnector", "manifest.xml");
    }

    private static List<string> Problems(string manifest, string schema)
    {
        var schemas = new XmlSchemaSet();
        schemas.Add(null, Repository.Path("tests", "Relay.Tests", "Platforms", "Shopware", "ManifestSchemas", schema));
        var problems = new List<string>();
        var settings = new XmlReaderSettings { ValidationType = ValidationType.Schema, Schemas = schemas };
        settings.ValidationEventHandler += (_, e) => problems.Add(e.Message);
        using (var reader = XmlReader.Create(manifest, settings))
            while (reader.Read()) { }
        return problems;
    }
}

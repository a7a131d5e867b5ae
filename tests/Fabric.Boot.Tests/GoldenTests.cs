using Fabric.Boot;

namespace Fabric.Boot.Tests;

/// <summary>Every template in templates/ rendered against fixture nodes and compared whole with
/// golden/&lt;fixture&gt;.&lt;template&gt;. Set FABRIC_UPDATE_GOLDEN=1 to rewrite the golden files
/// after an intended change, then review the diff.</summary>
public sealed class GoldenTests
{
    private static readonly string[] AllFixtures = ["hw-aoe", "hw-aoe-md", "hw-nfs", "hw-noroot", "storage", "instance", "router", "discovery", "hw-provisioning"];

    /// <summary>Which fixtures each template is rendered against.</summary>
    private static readonly Dictionary<string, string[]> Cases = new Dictionary<string, string[]>(StringComparer.Ordinal)
    {
        [BootTemplates.Hardware] = ["hw-aoe", "hw-aoe-md", "hw-nfs", "hw-noroot"],
        [BootTemplates.Storage] = ["storage"],
        [BootTemplates.Instance] = ["instance"],
        [BootTemplates.Router] = ["router"],
        [BootTemplates.Discovery] = ["discovery"],
        [BootTemplates.Provisioning] = ["hw-provisioning"],
        [BootTemplates.Error] = ["hw-aoe"],
        [BootTemplates.Pxelinux] = AllFixtures,
        [BootTemplates.Grub] = AllFixtures,
    };

    private static string GoldenDir => Path.Combine(Fixtures.SourceDir(), "golden");

    private static bool Update => Environment.GetEnvironmentVariable("FABRIC_UPDATE_GOLDEN") == "1";

    public static TheoryData<string, string> AllCases()
    {
        var data = new TheoryData<string, string>();
        foreach (var (template, fixtures) in Cases)
        {
            foreach (var fixture in fixtures)
            {
                data.Add(template, fixture);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(AllCases))]
    public void Render_Fixture_MatchesGoldenFile(string template, string fixture)
    {
        var renderer = BootRenderer.Create(Fixtures.TemplatesDir);
        var result = renderer.Render(template, Fixtures.Contexts[fixture]);
        Assert.True(result.Succeeded, $"{template} for {fixture}: {result.Template} line {result.Line}: {result.Error}");

        var path = Path.Combine(GoldenDir, $"{fixture}.{template}");
        if (Update)
        {
            Directory.CreateDirectory(GoldenDir);
            File.WriteAllText(path, result.Text);
        }

        Assert.True(File.Exists(path), $"no golden file {path}: run with FABRIC_UPDATE_GOLDEN=1 and review it");
        Assert.Equal(File.ReadAllText(path), result.Text);
    }

    [Fact]
    public void TemplateNames_EveryTemplate_HasGoldenFiles()
    {
        var renderer = BootRenderer.Create(Fixtures.TemplatesDir);
        Assert.NotEmpty(renderer.TemplateNames);
        foreach (var template in renderer.TemplateNames)
        {
            Assert.True(Cases.ContainsKey(template), $"template {template} has no golden cases in {nameof(GoldenTests)}");
            foreach (var fixture in Cases[template])
            {
                Assert.True(File.Exists(Path.Combine(GoldenDir, $"{fixture}.{template}")), $"template {template} has no golden file for {fixture}");
            }
        }
    }

    [Fact]
    public void GoldenFiles_EachFile_BelongsToACase()
    {
        var expected = Cases.SelectMany(c => c.Value.Select(f => $"{f}.{c.Key}")).ToHashSet(StringComparer.Ordinal);
        foreach (var file in Directory.EnumerateFiles(GoldenDir))
        {
            Assert.Contains(Path.GetFileName(file), expected);
        }
    }

    [Fact]
    public void Render_EveryIpxeScript_StartsWithShebang()
    {
        var renderer = BootRenderer.Create(Fixtures.TemplatesDir);
        foreach (var template in renderer.TemplateNames.Where(t => t.EndsWith(".ipxe", StringComparison.Ordinal)))
        {
            foreach (var context in Fixtures.Contexts.Values)
            {
                var result = renderer.Render(template, context);
                Assert.True(result.Succeeded, result.Error);
                Assert.StartsWith("#!ipxe\n", result.Text, StringComparison.Ordinal);
            }
        }
    }
}

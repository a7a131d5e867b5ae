using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Fabric.Boot.Tests;

public sealed class BootServiceCollectionExtensionsTests
{
    private static ServiceProvider Build(Dictionary<string, string?> settings)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        return new ServiceCollection().AddLogging().AddFabricBoot(configuration).BuildServiceProvider();
    }

    [Fact]
    public void AddFabricBoot_ConfiguredTemplatesDir_RendersFromIt()
    {
        using var provider = Build(new() { ["Fabric:TemplatesDir"] = Fixtures.TemplatesDir, ["Fabric:Boot:RetrySeconds"] = "3" });

        var renderer = provider.GetRequiredService<IBootRenderer>();
        var result = renderer.Render(BootTemplates.Discovery, Fixtures.Contexts["discovery"]);

        Assert.Contains(BootTemplates.Hardware, renderer.TemplateNames);
        Assert.True(result.Succeeded, result.Error);
        Assert.Contains("\nsleep 3\n", result.Text, StringComparison.Ordinal);
    }

    [Fact]
    public void AddFabricBoot_NoTemplatesDirConfigured_FindsTheRepositoryFolder()
    {
        using var provider = Build([]);

        var options = provider.GetRequiredService<IOptions<BootRenderOptions>>().Value;

        Assert.Equal(Fixtures.TemplatesDir, options.TemplatesDir);
    }

    [Fact]
    public void AddFabricBoot_InvalidOptions_ListsEveryProblem()
    {
        using var provider = Build(new() { ["Fabric:TemplatesDir"] = "/nonexistent/fabric-templates", ["Fabric:Boot:RetrySeconds"] = "0" });

        var error = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<BootRenderOptions>>().Value);

        Assert.Equal(2, error.Failures.Count());
        Assert.Contains(error.Failures, f => f.Contains("RetrySeconds", StringComparison.Ordinal));
        Assert.Contains(error.Failures, f => f.Contains("/nonexistent/fabric-templates", StringComparison.Ordinal));
    }

    [Fact]
    public void AddFabricBoot_TemplatesThatDoNotParse_ListsEveryOneWithFileLineAndColumn()
    {
        var dir = Directory.CreateTempSubdirectory("fabric-tpl-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(dir, "good.ipxe"), "#!ipxe\necho {{ name }}\n");
            File.WriteAllText(Path.Combine(dir, "bad.ipxe"), "#!ipxe\n\necho {{ name }\n");
            File.WriteAllText(Path.Combine(dir, "worse.cfg"), "{{ end }}\n");
            Directory.CreateDirectory(Path.Combine(dir, "partials"));
            File.WriteAllText(Path.Combine(dir, "partials", "args.sbn"), "x {{ if }}");
            using var provider = Build(new() { ["Fabric:TemplatesDir"] = dir });

            var error = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<BootRenderOptions>>().Value);

            Assert.Equal(3, error.Failures.Count());
            Assert.Contains(error.Failures, f => f.StartsWith($"boot template {Path.Combine(dir, "bad.ipxe")}:3:14: ", StringComparison.Ordinal));
            Assert.Contains(error.Failures, f => f.StartsWith($"boot template {Path.Combine(dir, "worse.cfg")}:1:", StringComparison.Ordinal));
            Assert.Contains(error.Failures, f => f.StartsWith($"boot template {Path.Combine(dir, "partials", "args.sbn")}:1:", StringComparison.Ordinal));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}

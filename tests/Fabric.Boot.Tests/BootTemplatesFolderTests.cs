namespace Fabric.Boot.Tests;

public sealed class BootTemplatesFolderTests
{
    [Fact]
    public void Resolve_ContentRootInsideCheckout_FindsCheckoutTemplates()
    {
        var checkout = Path.GetDirectoryName(Fixtures.TemplatesDir)!;

        var found = BootTemplatesFolder.Resolve(null, Path.Combine(checkout, "src", "Fabric.Appliance"));

        Assert.Equal(Fixtures.TemplatesDir, found);
    }

    [Fact]
    public void Resolve_UnrelatedTemplatesFolderAbove_IsNotUsed()
    {
        var root = Directory.CreateTempSubdirectory("fabric-tpl-").FullName;
        try
        {
            Directory.CreateDirectory(Path.Combine(root, "templates"));
            var contentRoot = Directory.CreateDirectory(Path.Combine(root, "app", "data")).FullName;

            Assert.Null(BootTemplatesFolder.Resolve(null, contentRoot));
            Assert.Equal(Path.Combine(root, "templates"), BootTemplatesFolder.Resolve(null, root));
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    [Fact]
    public void Resolve_ConfiguredRelativePath_IsRelativeToContentRoot()
    {
        var checkout = Path.GetDirectoryName(Fixtures.TemplatesDir)!;

        Assert.Equal(Fixtures.TemplatesDir, BootTemplatesFolder.Resolve("templates", checkout));
        Assert.Null(BootTemplatesFolder.Resolve("no-such-folder", checkout));
    }
}

using Fabric.Core.Files;

namespace Fabric.Core.Tests.Files;

public sealed class InsideFolderTests : IDisposable
{
    private readonly string _top = Directory.CreateTempSubdirectory("fabric-inside-").FullName;
    private readonly string _root;

    public InsideFolderTests()
    {
        var boot = Path.Combine(_top, "boot");
        Directory.CreateDirectory(Path.Combine(boot, "efi"));
        File.WriteAllText(Path.Combine(boot, "vmlinuz"), "kernel");
        File.WriteAllText(Path.Combine(boot, "efi", "grub.cfg"), "menu");
        File.WriteAllText(Path.Combine(_top, "secret.txt"), "secret");
        Directory.CreateDirectory(Path.Combine(_top, "boot-old"));
        File.WriteAllText(Path.Combine(_top, "boot-old", "x"), "old");
        File.CreateSymbolicLink(Path.Combine(boot, "kernel"), "vmlinuz");
        File.CreateSymbolicLink(Path.Combine(boot, "escape"), Path.Combine(_top, "secret.txt"));
        Directory.CreateSymbolicLink(Path.Combine(boot, "up"), _top);
        File.CreateSymbolicLink(Path.Combine(boot, "dangling"), Path.Combine(_top, "nothing"));
        _root = InsideFolder.Canonical(boot)!;
    }

    public void Dispose() => Directory.Delete(_top, recursive: true);

    [Theory]
    [InlineData("vmlinuz", InsideFolderResult.Found)]
    [InlineData("efi/grub.cfg", InsideFolderResult.Found)]
    [InlineData("efi//grub.cfg", InsideFolderResult.Found)]
    [InlineData("kernel", InsideFolderResult.Found)]
    [InlineData("missing", InsideFolderResult.Missing)]
    [InlineData("dangling", InsideFolderResult.Missing)]
    [InlineData("", InsideFolderResult.Missing)]
    [InlineData("../secret.txt", InsideFolderResult.Outside)]
    [InlineData("efi/../../secret.txt", InsideFolderResult.Outside)]
    [InlineData("../boot-old/x", InsideFolderResult.Outside)]
    [InlineData("escape", InsideFolderResult.Outside)]
    [InlineData("up/secret.txt", InsideFolderResult.Outside)]
    [InlineData("up/boot/vmlinuz", InsideFolderResult.Found)]
    [InlineData("efi\\grub.cfg", InsideFolderResult.Outside)]
    [InlineData("vmlinuz\0.txt", InsideFolderResult.Outside)]
    public void Resolve_Request_StaysInsideTheFolder(string relative, InsideFolderResult expected)
    {
        var result = InsideFolder.Resolve(_root, relative, out var full);

        Assert.Equal(expected, result);
        if (expected == InsideFolderResult.Found)
        {
            Assert.StartsWith(_root + "/", full, StringComparison.Ordinal);
            Assert.True(File.Exists(full));
        }
        else
        {
            Assert.Equal("", full);
        }
    }

    [Theory]
    [InlineData("/srv/boot", "/srv/boot/x", true)]
    [InlineData("/srv/boot/", "/srv/boot/x/y", true)]
    [InlineData("/srv/boot", "/srv/boot", false)]
    [InlineData("/srv/boot", "/srv/boot-old/x", false)]
    [InlineData("/srv/boot", "/srv", false)]
    [InlineData("/", "/srv", true)]
    public void IsInside_Paths_ByWholeComponents(string folder, string path, bool inside) =>
        Assert.Equal(inside, InsideFolder.IsInside(folder, path));

    [Fact]
    public void Canonical_MissingFolder_Null() =>
        Assert.Null(InsideFolder.Canonical(Path.Combine(_top, "nope")));
}

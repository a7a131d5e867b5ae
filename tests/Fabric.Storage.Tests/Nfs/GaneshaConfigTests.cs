using System.Net;
using System.Runtime.CompilerServices;
using Fabric.Core;
using Fabric.Storage.Nfs;

namespace Fabric.Storage.Tests.Nfs;

/// <summary>The ganesha configuration rendered from <c>templates/storage/ganesha.conf</c> for fixture nodes, compared whole
/// with <c>Golden/</c> (<c>FABRIC_UPDATE_GOLDEN=1</c> rewrites them).</summary>
public sealed class GaneshaConfigTests
{
    private static Node Storage(string name, int shelf, params string[] exports) => new()
    {
        Name = name,
        Role = NodeRole.Storage,
        Macs = [MacAddress.Parse("52:54:00:00:01:01")],
        Ip = IPAddress.Parse("10.0.0.10"),
        Storage = new StorageSpec("pair-a", shelf, [], exports),
    };

    [Fact]
    public void Render_TwoExports_MatchesGolden()
    {
        var config = GaneshaConfig.Render(Storage("store0", 0, "/srv/fabric/nfs/hnode02", "/srv/fabric/nfs/hnode01"), "/run/fabric");

        AssertGolden("two-exports.conf", config!);
    }

    [Fact]
    public void Render_BothNodesOfAPair_SameExportAndFilesystemIds()
    {
        string[] exports = ["/srv/fabric/nfs/hnode01", "/srv/fabric/nfs/hnode02", "/srv/fabric/nfs/web"];

        var a = GaneshaConfig.ExportsOf(Storage("store0", 0, exports));
        var b = GaneshaConfig.ExportsOf(Storage("store1", 1, [.. exports.Reverse()]));

        Assert.Equal(a, b);
        Assert.Equal(3, a.Select(e => e.ExportId).Distinct().Count());
        Assert.Equal(3, a.Select(e => e.FilesystemId).Distinct().Count());
        Assert.All(a, e => Assert.InRange(e.ExportId, 1, 65535));
    }

    [Fact]
    public void FilesystemIdOf_Path_StableHashOfThePath()
    {
        // SHA-256("/srv/fabric/nfs/hnode01"), its first two big-endian 32-bit words: fixed forever, clients depend on it.
        Assert.Equal(GaneshaConfig.FilesystemIdOf("/srv/fabric/nfs/hnode01"), GaneshaConfig.FilesystemIdOf("/srv/fabric/nfs/hnode01"));
        Assert.NotEqual(GaneshaConfig.FilesystemIdOf("/srv/fabric/nfs/hnode01"), GaneshaConfig.FilesystemIdOf("/srv/fabric/nfs/hnode02"));
        Assert.Matches("^[0-9]+\\.[0-9]+$", GaneshaConfig.FilesystemIdOf("/x"));
    }

    [Fact]
    public void Render_NoExports_Null()
    {
        Assert.Null(GaneshaConfig.Render(Storage("store0", 0), "/run/fabric"));
    }

    [Theory]
    [InlineData("/srv/a b")]
    [InlineData("/srv/a\";EXPORT{")]
    [InlineData("/srv/a\nb")]
    [InlineData("/srv/../etc")]
    public void ExportsOf_PathThatCouldChangeTheConfig_Refused(string path)
    {
        var error = Assert.Throws<ArgumentException>(() => GaneshaConfig.ExportsOf(Storage("store0", 0, path)));

        Assert.StartsWith("nfsExports:", error.Message, StringComparison.Ordinal);
    }

    private static void AssertGolden(string name, string actual, [CallerFilePath] string source = "")
    {
        var path = Path.Combine(Path.GetDirectoryName(source)!, "Golden", name);
        if (Environment.GetEnvironmentVariable("FABRIC_UPDATE_GOLDEN") == "1")
        {
            File.WriteAllText(path, actual);
        }

        Assert.True(File.Exists(path), $"no golden file {path}; run with FABRIC_UPDATE_GOLDEN=1 and review it");
        Assert.Equal(File.ReadAllText(path), actual);
    }
}

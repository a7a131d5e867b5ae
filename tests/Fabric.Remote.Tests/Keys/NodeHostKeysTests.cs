using System.Diagnostics;
using Fabric.Remote.Keys;

namespace Fabric.Remote.Tests.Keys;

/// <summary>The host keys Fabric keeps for nodes with a root in RAM, read back by the real <c>dropbearkey</c> (package
/// dropbear-bin), the program the router's init serves them with.</summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class NodeHostKeysTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("fabric-node-host-keys-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public async Task GetOrCreate_TwiceThenAfterARestart_SameKeyWhichDropbearReadsWithPrivateModes()
    {
        var folder = Path.Combine(_root, "data", NodeHostKeys.FolderName);

        var first = new NodeHostKeys(folder).GetOrCreate("Router1");
        var again = new NodeHostKeys(folder).GetOrCreate("router1");
        var other = new NodeHostKeys(folder).GetOrCreate("router2");

        Assert.Equal(first.DropbearPrivateKey, again.DropbearPrivateKey);
        Assert.Equal(first.PublicKey, again.PublicKey);
        Assert.NotEqual(first.PublicKey, other.PublicKey);
        Assert.Matches("^ecdsa-sha2-nistp256 AAAA[A-Za-z0-9+/=]+$", first.PublicKey);
        Assert.Equal(first.PublicKey, first.ToString()); // never the private half
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(folder));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(folder, "router1.dropbear")));
        Assert.Equal(["router1.dropbear", "router2.dropbear"], Directory.GetFiles(folder).Select(Path.GetFileName).Order());
        var printed = await DropbearPublicLineAsync(Path.Combine(folder, "router1.dropbear"));
        Assert.StartsWith(first.PublicKey + " ", printed, StringComparison.Ordinal);
    }

    [Fact]
    public void GetOrCreate_StoredFileIsNotAKey_RefusedAndKept()
    {
        var keys = new NodeHostKeys(Path.Combine(_root, NodeHostKeys.FolderName));
        Directory.CreateDirectory(keys.Folder);
        File.WriteAllText(keys.PathOf("router1"), "not a key");

        var e = Assert.Throws<InvalidDataException>(() => keys.GetOrCreate("router1"));

        Assert.Contains("router1.dropbear is not a dropbear ecdsa-sha2-nistp256 host key", e.Message, StringComparison.Ordinal);
        Assert.Equal("not a key", File.ReadAllText(keys.PathOf("router1")));
    }

    [Theory]
    [InlineData("../etc")]
    [InlineData("..")]
    public void PathOf_NotANodeName_Refused(string name) =>
        Assert.Throws<ArgumentException>(() => new NodeHostKeys(_root).PathOf(name));

    /// <summary>The public key line <c>dropbearkey -y</c> prints for a dropbear host key file.</summary>
    private static async Task<string> DropbearPublicLineAsync(string path)
    {
        var info = new ProcessStartInfo("dropbearkey", ["-y", "-f", path]) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var process = Process.Start(info)!;
        var output = await process.StandardOutput.ReadToEndAsync();
        var error = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, $"dropbearkey -y: {error}");
        return output.Split('\n').Single(l => l.StartsWith("ecdsa-sha2-nistp256 ", StringComparison.Ordinal));
    }
}

using Fabric.Remote.Keys;
using Fabric.Remote.Tests.Ssh;
using Renci.SshNet;

namespace Fabric.Remote.Tests.Keys;

[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class SshIdentityTests : IDisposable
{
    private const UnixFileMode Private = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private const UnixFileMode Folder = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    private readonly string _root = Directory.CreateTempSubdirectory("fabric-identity-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public void LoadOrCreate_NoKey_MakesPairWithPrivateModes()
    {
        var folder = Path.Combine(_root, "data", "ssh");

        var identity = SshIdentity.LoadOrCreate(folder);

        Assert.Equal(Folder, File.GetUnixFileMode(folder));
        Assert.Equal(Private, File.GetUnixFileMode(identity.PrivateKeyPath));
        Assert.StartsWith("-----BEGIN OPENSSH PRIVATE KEY-----\n", File.ReadAllText(identity.PrivateKeyPath), StringComparison.Ordinal);
        Assert.Matches("^ecdsa-sha2-nistp256 AAAA[A-Za-z0-9+/=]+ fabric-appliance$", identity.PublicKey);
        Assert.Equal(identity.PublicKey + "\n", File.ReadAllText(Path.Combine(folder, SshIdentity.PublicKeyFileName)));
        Assert.Equal(["id_ecdsa", "id_ecdsa.pub"], Directory.GetFiles(folder).Select(Path.GetFileName).Order());
    }

    [Fact]
    public void LoadOrCreate_Again_ReusesTheKey()
    {
        var first = SshIdentity.LoadOrCreate(_root);
        var pem = File.ReadAllText(first.PrivateKeyPath);

        var second = SshIdentity.LoadOrCreate(_root);

        Assert.Equal(first.PublicKey, second.PublicKey);
        Assert.Equal(pem, File.ReadAllText(second.PrivateKeyPath));
    }

    [Fact]
    public void LoadOrCreate_LooseModesAndLostPublicFile_TightenedAndRewritten()
    {
        var identity = SshIdentity.LoadOrCreate(_root);
        File.SetUnixFileMode(_root, Folder | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        File.SetUnixFileMode(identity.PrivateKeyPath, Private | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        File.Delete(Path.Combine(_root, SshIdentity.PublicKeyFileName));

        var again = SshIdentity.LoadOrCreate(_root);

        Assert.Equal(Folder, File.GetUnixFileMode(_root));
        Assert.Equal(Private, File.GetUnixFileMode(again.PrivateKeyPath));
        Assert.Equal(identity.PublicKey + "\n", File.ReadAllText(Path.Combine(_root, SshIdentity.PublicKeyFileName)));
    }

    [Fact]
    public void LoadOrCreate_UnreadablePrivateKey_ClearErrorAndFileKept()
    {
        var path = Path.Combine(_root, SshIdentity.PrivateKeyFileName);
        File.WriteAllText(path, "not a key\n");

        var error = Assert.Throws<InvalidDataException>(() => SshIdentity.LoadOrCreate(_root));

        Assert.Contains(path, error.Message, StringComparison.Ordinal);
        Assert.Equal("not a key\n", File.ReadAllText(path));
    }

    [Fact]
    public async Task LoadOrCreate_ManyKeys_OpenSshDerivesTheSamePublicKey()
    {
        // Half of all private scalars have their top bit set and need a leading zero byte as an mpint: 16 keys cover both.
        for (int i = 0; i < 16; i++)
        {
            var identity = SshIdentity.LoadOrCreate(Path.Combine(_root, $"k{i}"));

            var derived = (await OpenSshServer.RunAsync("ssh-keygen", "-y", "-f", identity.PrivateKeyPath)).Trim();

            Assert.Equal(string.Join(' ', identity.PublicKey.Split(' ')[..2]), string.Join(' ', derived.Split(' ')[..2]));
            using var parsed = new PrivateKeyFile(identity.PrivateKeyPath);
            Assert.Equal("ecdsa-sha2-nistp256", parsed.Key.ToString());
        }
    }
}

using Fabric.Remote.Hosts;
using Fabric.Remote.Tests.Ssh;

namespace Fabric.Remote.Tests.Hosts;

public sealed class HostKeyTests
{
    // A real ed25519 public key (ssh-keygen output).
    private const string Ed25519 = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGQzHOcMCfK5ByrmSWHRvkmDrXTEkJ3WqIHsYIOxEnTe";

    [Fact]
    public void TryParse_KeyWithComment_TypeBlobAndCommentDropped()
    {
        Assert.True(HostKey.TryParse(Ed25519 + " root@store0", out var key, out var error), error);

        Assert.Equal("ssh-ed25519", key.Type);
        Assert.Equal(Ed25519, key.ToString());
        Assert.Equal(51, key.Blob.Length);
        Assert.True(key.Matches(key.Blob.Span));
        Assert.Equal(HostKey.Parse(Ed25519), key);
    }

    [Theory]
    [InlineData(null, "is not an SSH public key")]
    [InlineData("", "is not an SSH public key")]
    [InlineData("ssh-ed25519", "is not an SSH public key")]
    [InlineData("ssh-dss AAAAB3NzaC1kc3MAAACBAP", "not a host key type Fabric pins")]
    [InlineData("ssh-ed25519 not*base64", "not valid base64")]
    [InlineData("ssh-rsa AAAAC3NzaC1lZDI1NTE5AAAAIGQzHOcMCfK5ByrmSWHRvkmDrXTEkJ3WqIHsYIOxEnTe", "not a ssh-rsa key")]
    [InlineData("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5", "not a ssh-ed25519 key")]
    public void TryParse_NotAHostKey_FalseWithReason(string? text, string reason)
    {
        Assert.False(HostKey.TryParse(text, out var key, out var error));

        Assert.Null(key);
        Assert.Contains(reason, error, StringComparison.Ordinal);
        Assert.Throws<FormatException>(() => HostKey.Parse(text ?? ""));
    }

    [Fact]
    public void Matches_OtherKey_False()
    {
        var key = HostKey.Parse(Ed25519);
        var other = key.Blob.ToArray();
        other[^1] ^= 1;

        Assert.False(key.Matches(other));
        Assert.False(key.Matches(other.AsSpan(0, 10)));
    }

    [Fact]
    public async Task Fingerprint_SameAsSshKeygen()
    {
        var folder = Directory.CreateTempSubdirectory("fabric-hostkey-").FullName;
        try
        {
            var path = Path.Combine(folder, "key.pub");
            await File.WriteAllTextAsync(path, Ed25519 + "\n");

            var listed = await OpenSshServer.RunAsync("ssh-keygen", "-l", "-E", "sha256", "-f", path);

            Assert.Equal(listed.Split(' ')[1], HostKey.Parse(Ed25519).Fingerprint);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}

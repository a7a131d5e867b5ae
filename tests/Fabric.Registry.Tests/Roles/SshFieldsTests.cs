using Fabric.Core;
using Fabric.Core.Events;

namespace Fabric.Registry.Tests.Roles;

public sealed class SshFieldsTests : IDisposable
{
    private static readonly string[] StorageFieldErrors = ["aoeInterface", "imagePath", "sshAddress", "sshHostKey", "sshPort", "sshUser", "storagePath"];

    private const string KeyA = RoleModulesTests.HostKey;
    private const string KeyB = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAyITDiP/YTvAjsQgLWIB6ayCHG5uLvEVPS9hlXchcb4";

    private readonly TempDir _dir = new();
    private readonly IRegistry _registry;

    public SshFieldsTests() => _registry = FabricRegistry.Open(_dir.Database);

    public void Dispose()
    {
        _registry.Dispose();
        _dir.Dispose();
    }

    private static NodeInput Node(string name, string role = "storage") =>
        new() { Name = name, Role = role, Macs = ["52:54:00:00:0b:01"], MacField = "mac" };

    [Fact]
    public async Task AddNode_NoSshFields_DefaultsFromIpPort22Root()
    {
        await _registry.AddNetworkAsync(new NetworkInput { Name = "boot", Cidr = "10.0.0.0/24", Gateway = "10.0.0.1" }, Actor.Admin);

        var added = await _registry.AddNodeAsync(Node("s1") with { Network = "boot", Ip = "10.0.0.5" }, Actor.Admin);

        Assert.True(added.Succeeded, added.Error?.ToString());
        Assert.Equal(SshAccess.None, added.Value.Ssh);
        Assert.Equal(("10.0.0.5", 22, "root"), added.Value.SshEndpoint);
        Assert.Equal("/srv/fabric/volumes", added.Value.Storage!.EffectiveStoragePath);
        Assert.Equal("eth0", added.Value.Storage.EffectiveAoeInterface);
    }

    [Fact]
    public async Task AddNode_HostKeyWithComment_StoredWithoutCommentAndReadBackAfterReopen()
    {
        var added = await _registry.AddNodeAsync(
            Node("s1") with { SshHostKey = KeyA + " root@s1", SshAddress = "Storage-1.lab", SshPort = 2222, SshUser = "fabric", StoragePath = "/srv/v/", AoeInterface = "veth-s1" },
            Actor.Admin);
        Assert.True(added.Succeeded, added.Error?.ToString());
        _registry.Dispose();

        using var reopened = FabricRegistry.Open(_dir.Database);
        var node = reopened.FindNode("s1")!;

        Assert.Equal(new SshAccess("storage-1.lab", 2222, "fabric", KeyA), node.Ssh);
        Assert.Equal("/srv/v", node.Storage!.StoragePath);
        Assert.Equal("veth-s1", node.Storage.AoeInterface);
    }

    [Fact]
    public async Task AddNode_BadSshFields_EveryFieldNamedNothingStored()
    {
        var result = await _registry.AddNodeAsync(
            Node("s1") with
            {
                SshHostKey = "ssh-ed25519 AAAAC3NzaC1yc2EAAAADAQABAAABAQ",
                SshAddress = "no spaces please",
                SshPort = 70000,
                SshUser = "-oProxyCommand=x",
                StoragePath = "srv/relative",
                AoeInterface = "eth0:1",
                ImagePath = "../images",
            },
            Actor.Admin);

        Assert.False(result.Succeeded);
        Assert.Equal(RegistryErrorKind.Validation, result.Error.Kind);
        Assert.Equal(
            StorageFieldErrors,
            result.Error.Errors.Select(e => e.Field).Order(StringComparer.Ordinal));
        Assert.Null(_registry.FindNode("s1"));
    }

    [Theory]
    [InlineData("ssh-dss AAAAB3NzaC1kc3MAAACBAP", "not a host key type")]
    [InlineData("ssh-ed25519 !!!notbase64", "not valid base64")]
    [InlineData("ssh-ed25519 AAAAB3NzaC1yc2EAAAADAQABAAABAQC1", "not a ssh-ed25519 key")]
    [InlineData("ssh-ed25519", "TYPE BASE64")]
    public void TryNormalize_BadKey_FalseWithReason(string text, string reason)
    {
        Assert.False(SshHostKeyText.TryNormalize(text, out _, out var why));
        Assert.Contains(reason, why, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PinSshHostKey_NoneYet_PinnedWithEvent()
    {
        await _registry.AddNodeAsync(Node("h1", "hardware"), Actor.Admin);

        var pinned = await _registry.PinSshHostKeyAsync("h1", KeyA + " root@h1", Actor.Node("h1"));

        Assert.True(pinned.Succeeded, pinned.Error?.ToString());
        Assert.Equal(KeyA, _registry.FindNode("h1")!.Ssh.HostKey);
        var events = (await _registry.ListEventsAsync("h1")).Value!;
        Assert.Contains(events, e => e.Kind == EventKind.SshHostKeyPinned && e.Actor == "node:h1");
    }

    [Fact]
    public async Task PinSshHostKey_SameKeyAgain_NoChangeNoEvent()
    {
        await _registry.AddNodeAsync(Node("h1", "hardware") with { SshHostKey = KeyA }, Actor.Admin);
        int before = (await _registry.ListEventsAsync("h1")).Value!.Count;

        var again = await _registry.PinSshHostKeyAsync("h1", KeyA, Actor.Node("h1"));

        Assert.True(again.Succeeded);
        Assert.Equal(before, (await _registry.ListEventsAsync("h1")).Value!.Count);
    }

    [Fact]
    public async Task PinSshHostKey_DifferentKey_ConflictKeepsPinAndRecordsMismatch()
    {
        await _registry.AddNodeAsync(Node("h1", "hardware") with { SshHostKey = KeyA }, Actor.Admin);

        var refused = await _registry.PinSshHostKeyAsync("h1", KeyB, Actor.Node("h1"));

        Assert.False(refused.Succeeded);
        Assert.Equal(RegistryErrorKind.Conflict, refused.Error.Kind);
        Assert.Equal("sshHostKey", Assert.Single(refused.Error.Errors).Field);
        Assert.Equal(KeyA, _registry.FindNode("h1")!.Ssh.HostKey);
        var mismatch = Assert.Single((await _registry.ListEventsAsync("h1")).Value!, e => e.Kind == EventKind.SshHostKeyMismatch);
        Assert.Contains(KeyB, mismatch.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UpdateNode_ClearHostKey_Removed()
    {
        await _registry.AddNodeAsync(Node("h1", "hardware") with { SshHostKey = KeyA }, Actor.Admin);

        var cleared = await _registry.UpdateNodeAsync("h1", new NodeInput { Clear = ["sshHostKey"] }, Actor.Admin);

        Assert.True(cleared.Succeeded, cleared.Error?.ToString());
        Assert.Null(cleared.Value.Ssh.HostKey);
    }
}

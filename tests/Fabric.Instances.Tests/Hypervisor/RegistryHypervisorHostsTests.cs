using Fabric.Core.Events;
using Fabric.Instances.Hypervisor;
using Fabric.Registry;
using Fabric.Remote;

namespace Fabric.Instances.Tests.Hypervisor;

public sealed class RegistryHypervisorHostsTests : IDisposable
{
    private const string Pin = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGQzHOcMCfK5ByrmSWHRvkmDrXTEkJ3WqIHsYIOxEnTe";
    private readonly string _dir = Directory.CreateTempSubdirectory("fabric-hv-hosts-").FullName;
    private readonly IRegistry _registry;

    public RegistryHypervisorHostsTests() => _registry = FabricRegistry.Open(Path.Combine(_dir, "fabric.db"));

    public void Dispose()
    {
        _registry.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    private async Task AddAsync(string name, string role, string? sshAddress, Dictionary<string, string>? labels = null)
    {
        var added = await _registry.AddNodeAsync(
            new NodeInput { Name = name, Role = role, Macs = ["52:54:00:00:10:" + (name.Length * 7 % 90 + 10)], MacField = "mac", SshAddress = sshAddress, SshPort = 2222, SshHostKey = Pin, Labels = labels },
            Actor.Admin);
        Assert.True(added.Succeeded, added.Error?.ToString());
    }

    [Fact]
    public async Task FindAsync_HypervisorWithRunDirLabel_ItsSshTargetAndFolder()
    {
        await AddAsync("hv1", "hardware", "10.0.0.11", new() { [RegistryHypervisorHosts.RunDirLabel] = "/run/lab/hv1" });

        var host = await new RegistryHypervisorHosts(_registry).FindAsync("HV1", CancellationToken.None);

        Assert.Equal(("hv1", "10.0.0.11", 2222, "root", Pin, "/run/lab/hv1"), (host.Name, host.Ssh.Host, host.Ssh.Port, host.Ssh.User, host.Ssh.PinnedHostKey, host.RunRoot));
    }

    [Fact]
    public async Task FindAsync_NoLabel_DefaultFolder()
    {
        await AddAsync("hv1", "hardware", "10.0.0.11");

        Assert.Equal(InstancePaths.Root, (await new RegistryHypervisorHosts(_registry).FindAsync("hv1", CancellationToken.None)).RunRoot);
    }

    [Fact]
    public async Task FindAsync_UnknownStorageNodeOrBadFolder_InvalidTargetSayingWhy()
    {
        await AddAsync("s1", "storage", "10.0.0.21");
        await AddAsync("hv2", "hardware", "10.0.0.12", new() { [RegistryHypervisorHosts.RunDirLabel] = "/run/../etc" });
        var hosts = new RegistryHypervisorHosts(_registry);

        var unknown = await Assert.ThrowsAsync<RemoteHostException>(() => hosts.FindAsync("nope", CancellationToken.None));
        var storage = await Assert.ThrowsAsync<RemoteHostException>(() => hosts.FindAsync("s1", CancellationToken.None));
        var folder = await Assert.ThrowsAsync<RemoteHostException>(() => hosts.FindAsync("hv2", CancellationToken.None));

        Assert.All(new[] { unknown, storage, folder }, e => Assert.Equal(RemoteFailure.InvalidTarget, e.Failure));
        Assert.Contains("no such hypervisor", unknown.Message, StringComparison.Ordinal);
        Assert.Contains("is not a hypervisor", storage.Message, StringComparison.Ordinal);
        Assert.Contains(RegistryHypervisorHosts.RunDirLabel, folder.Message, StringComparison.Ordinal);
    }
}

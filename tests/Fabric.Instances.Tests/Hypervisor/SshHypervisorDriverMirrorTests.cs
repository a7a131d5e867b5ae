using Fabric.Core;
using Fabric.Instances.Disks;
using Fabric.Instances.Hypervisor;
using Fabric.Remote;
using Fabric.Remote.Hosts;
using Fabric.Remote.Testing;

namespace Fabric.Instances.Tests.Hypervisor;

/// <summary>The driver's order of commands for a disk that is an md mirror, on a <see cref="FakeRemoteHost"/>.</summary>
public sealed class SshHypervisorDriverMirrorTests
{
    private static readonly SshTarget Target = new("10.0.0.11", 22, "root", "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGQzHOcMCfK5ByrmSWHRvkmDrXTEkJ3WqIHsYIOxEnTe");

    private static readonly QemuSpec Spec = new("web", 1, 256, MacAddress.Parse("0e:00:00:00:00:01"), "/dev/md/web-disk", Accelerator.Kvm, "qemu64")
    {
        Mirror = new MdMirror("/dev/md/web-disk", "/dev/etherd/e1.5", "/dev/etherd/e2.5"),
    };

    private sealed class OneHost : IHypervisorHosts
    {
        public Task<HypervisorHost> FindAsync(string hypervisor, CancellationToken cancellationToken) => Task.FromResult(new HypervisorHost(hypervisor, Target));
    }

    private static bool IsAssemble(Remote.Commands.RemoteCommand c) => c.Arguments.Count > 2 && c.Arguments[2] == QemuCommands.AssembleMd;

    private static bool IsLaunch(Remote.Commands.RemoteCommand c) => c.Arguments.Contains(QemuCommands.Qemu);

    private static bool IsKill(Remote.Commands.RemoteCommand c) => c.ShellText.Contains("mdadm --stop", StringComparison.Ordinal);

    [Fact]
    public async Task LaunchAsync_Mirror_AssembledWithBothHalvesBeforeQemuOpensTheMdDevice()
    {
        var hosts = new FakeRemoteHosts();
        var driver = new SshHypervisorDriver(hosts, new OneHost());

        await driver.LaunchAsync("hv1", Spec, CancellationToken.None);

        var commands = hosts.Host(Target).Commands;
        Assert.Equal(2, commands.Count);
        Assert.True(IsAssemble(commands[0]));
        Assert.Equal(["/dev/md/web-disk", "/dev/etherd/e1.5", "/dev/etherd/e2.5", "/run/fabric/instances/web"], commands[0].Arguments.Skip(4));
        Assert.True(IsLaunch(commands[1]));
        Assert.Contains("file=/dev/md/web-disk,format=raw,if=virtio,cache=none", commands[1].Arguments);
    }

    [Fact]
    public async Task LaunchAsync_HalfNotVisible_FailsWithTheReasonAndNoQemuStarts()
    {
        var hosts = new FakeRemoteHosts();
        hosts.Host(Target).On(IsAssemble, FakeReply.Fail(1, "cannot see /dev/etherd/e2.5 (half of /dev/md/web-disk): no such AoE device on this hypervisor"));
        var driver = new SshHypervisorDriver(hosts, new OneHost());

        var e = await Assert.ThrowsAsync<RemoteCommandFailedException>(() => driver.LaunchAsync("hv1", Spec with { Incoming = true }, CancellationToken.None));

        Assert.Contains("cannot see /dev/etherd/e2.5", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(hosts.Host(Target).Commands, IsLaunch);
    }

    [Fact]
    public async Task LaunchAsync_QemuFailsAfterAssembly_KillStopsTheArrayAgain()
    {
        var hosts = new FakeRemoteHosts();
        hosts.Host(Target).On(IsLaunch, FakeReply.Fail(1, "qemu-system-x86_64: -drive file=/dev/md/web-disk: Could not open"));
        var driver = new SshHypervisorDriver(hosts, new OneHost());

        await Assert.ThrowsAsync<RemoteCommandFailedException>(() => driver.LaunchAsync("hv1", Spec, CancellationToken.None));

        var commands = hosts.Host(Target).Commands;
        Assert.Equal([true, false, false], commands.Select(IsAssemble));
        Assert.True(IsKill(commands[^1]));
    }
}

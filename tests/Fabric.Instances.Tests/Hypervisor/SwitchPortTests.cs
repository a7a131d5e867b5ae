using System.Diagnostics;
using Fabric.Core;
using Fabric.Instances.Hypervisor;

namespace Fabric.Instances.Tests.Hypervisor;

/// <summary>Where an instance's tap goes: the hypervisor's switch labels, and the plug and kill scripts run by a real
/// <c>sh</c> against recording stand-ins for <c>ovs-vsctl</c> and <c>ip</c> (the real ones would change this machine).</summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class SwitchPortTests : IDisposable
{
    private static readonly QemuSpec Web = new("web", 1, 256, MacAddress.Parse("0e:12:34:56:78:9a"), "/srv/web.img", Accelerator.Tcg, "qemu64");
    private readonly string _dir = Directory.CreateTempSubdirectory("fabric-switch-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static Node Hypervisor(params (string Key, string Value)[] labels) => new()
    {
        Name = "hv1",
        Role = NodeRole.Hardware,
        Macs = [MacAddress.Parse("52:54:00:00:00:01")],
        Labels = labels.ToDictionary(l => l.Key, l => l.Value),
    };

    [Fact]
    public void For_NoSwitchLabel_NoPortNoProblem()
    {
        Assert.Null(SwitchPort.For(Hypervisor(), 100, out var problem));
        Assert.Null(problem);
    }

    [Fact]
    public void For_Ovs_DefaultBridgeAndTheNetworksVlan()
    {
        var port = SwitchPort.For(Hypervisor((SwitchPort.SwitchLabel, "ovs")), 100, out var problem);

        Assert.Null(problem);
        Assert.Equal(new SwitchPort(SwitchKind.Ovs, "br0", "eth1", 100), port);
    }

    [Fact]
    public void For_LinuxWithUplinkLabel_UplinkKept()
    {
        var port = SwitchPort.For(Hypervisor((SwitchPort.SwitchLabel, "linux"), (SwitchPort.UplinkLabel, "bond0")), 200, out _);

        Assert.Equal(new SwitchPort(SwitchKind.Linux, "br0", "bond0", 200), port);
    }

    [Theory]
    [InlineData(SwitchPort.SwitchLabel, "vde", "not ovs or linux")]
    [InlineData(SwitchPort.BridgeLabel, "br0;reboot", "not an interface name")]
    [InlineData(SwitchPort.UplinkLabel, "a-very-long-uplink", "not an interface name")]
    public void For_BadLabel_ProblemNamingIt(string label, string value, string reason)
    {
        var labels = new List<(string, string)> { (SwitchPort.SwitchLabel, "ovs"), (label, value) };
        if (label == SwitchPort.SwitchLabel)
        {
            labels.RemoveAt(0);
        }

        Assert.Null(SwitchPort.For(Hypervisor([.. labels]), 100, out var problem));
        Assert.Contains(label, problem, StringComparison.Ordinal);
        Assert.Contains(reason, problem, StringComparison.Ordinal);
    }

    [Fact]
    public void For_LinuxVlanSubInterfaceTooLong_Problem()
    {
        Assert.Null(SwitchPort.For(Hypervisor((SwitchPort.SwitchLabel, "linux"), (SwitchPort.UplinkLabel, "enp129s0f1np0")), 4000, out var problem));
        Assert.Contains("enp129s0f1np0.4000", problem, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PlugThenKill_Ovs_TaggedAccessPortThenRemoved()
    {
        var spec = Web with { RunRoot = Path.Combine(_dir, "run"), Port = new SwitchPort(SwitchKind.Ovs, "br0", "eth1", 100) };
        Directory.CreateDirectory(spec.Paths.Folder);

        var plug = await RunAsync(QemuCommands.Plug(spec));
        var again = await RunAsync(QemuCommands.Plug(spec));
        var portFile = await File.ReadAllTextAsync(Path.Combine(spec.Paths.Folder, "port"));
        var kill = await RunAsync(QemuCommands.Kill("web", spec.RunRoot));

        Assert.Equal((0, 0, 0), (plug, again, kill));
        Assert.Equal("ovs br0 fab3456789a\n", portFile);
        Assert.Equal(
            [
                "ovs-vsctl --may-exist add-port br0 fab3456789a -- set port fab3456789a tag=100",
                "ip link set fab3456789a up",
                "ovs-vsctl --may-exist add-port br0 fab3456789a -- set port fab3456789a tag=100",
                "ip link set fab3456789a up",
                "ovs-vsctl --if-exists del-port br0 fab3456789a",
            ],
            Calls());
        Assert.False(Directory.Exists(spec.Paths.Folder));
    }

    [Fact]
    public async Task Plug_LinuxVlan_SubInterfaceAndBridgeMadeWhenMissingTapJoinsIt()
    {
        var spec = Web with { RunRoot = Path.Combine(_dir, "run"), Port = new SwitchPort(SwitchKind.Linux, "br0", "eth1", 100) };
        Directory.CreateDirectory(spec.Paths.Folder);

        Assert.Equal(0, await RunAsync(QemuCommands.Plug(spec), missingLinks: true));
        Assert.Equal(
            [
                "ip link show eth1.100",
                "ip link add link eth1 name eth1.100 type vlan id 100",
                "ip link show br100",
                "ip link add br100 type bridge",
                "ip link set eth1.100 master br100",
                "ip link set eth1.100 up",
                "ip link set br100 up",
                "ip link set fab3456789a master br100",
                "ip link set fab3456789a up",
            ],
            Calls());
        Assert.Equal("linux br100 fab3456789a\n", await File.ReadAllTextAsync(Path.Combine(spec.Paths.Folder, "port")));
    }

    [Fact]
    public async Task Plug_OvsRefuses_NonZeroAndNoPortRecorded()
    {
        var spec = Web with { RunRoot = Path.Combine(_dir, "run"), Port = new SwitchPort(SwitchKind.Ovs, "br9", "eth1", 100) };
        Directory.CreateDirectory(spec.Paths.Folder);

        Assert.NotEqual(0, await RunAsync(QemuCommands.Plug(spec), failOvs: true));
        Assert.False(File.Exists(Path.Combine(spec.Paths.Folder, "port")));
    }

    private string[] Calls() => File.Exists(Path.Combine(_dir, "calls")) ? File.ReadAllLines(Path.Combine(_dir, "calls")) : [];

    /// <summary>Runs the command's argument list as the hypervisor would, with <c>ovs-vsctl</c> and <c>ip</c> replaced
    /// by scripts that append their arguments to <c>calls</c>.</summary>
    private async Task<int> RunAsync(Fabric.Remote.Commands.RemoteCommand command, bool missingLinks = false, bool failOvs = false)
    {
        var bin = Path.Combine(_dir, "bin");
        Directory.CreateDirectory(bin);
        var calls = Path.Combine(_dir, "calls");
        await File.WriteAllTextAsync(Path.Combine(bin, "ovs-vsctl"), $"#!/bin/sh\necho \"ovs-vsctl $*\" >> '{calls}'\nexit {(failOvs ? 1 : 0)}\n");
        await File.WriteAllTextAsync(Path.Combine(bin, "ip"), $"#!/bin/sh\necho \"ip $*\" >> '{calls}'\n{(missingLinks ? "[ \"$2\" = show ] && exit 1\n" : "")}exit 0\n");
        foreach (var f in new[] { "ovs-vsctl", "ip" })
        {
            File.SetUnixFileMode(Path.Combine(bin, f), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        var start = new ProcessStartInfo(command.Arguments[0]) { RedirectStandardError = true };
        foreach (var a in command.Arguments.Skip(1))
        {
            start.ArgumentList.Add(a);
        }

        start.Environment["PATH"] = $"{bin}:/usr/bin:/bin";
        using var process = Process.Start(start)!;
        await process.WaitForExitAsync();
        return process.ExitCode;
    }
}

/// <summary>The SSH driver plugs the tap right after qemu starts, and takes qemu away again when the plug fails.</summary>
public sealed class SshDriverPlugTests
{
    private static readonly Fabric.Remote.Hosts.SshTarget Hv = new("10.9.0.5", 22, "root", "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMH+N/HlckRA1VPmf0RlfkWoTAMbXa3N/yslBBTJVtn");
    private static readonly QemuSpec Web = new("web", 1, 256, MacAddress.Parse("0e:12:34:56:78:9a"), "/srv/web.img", Accelerator.Tcg, "qemu64")
    {
        Port = new SwitchPort(SwitchKind.Ovs, "br0", "eth1", 100),
    };

    private sealed class OneHost : IHypervisorHosts
    {
        public Task<HypervisorHost> FindAsync(string hypervisor, CancellationToken cancellationToken) => Task.FromResult(new HypervisorHost("hv1", Hv));
    }

    [Fact]
    public async Task Launch_WithPort_LaunchThenPlug()
    {
        var hosts = new Fabric.Remote.Testing.FakeRemoteHosts();
        var driver = new SshHypervisorDriver(hosts, new OneHost());

        await driver.LaunchAsync("hv1", Web, CancellationToken.None);

        var lines = hosts.Host(Hv).Commands;
        Assert.Equal(2, lines.Count);
        Assert.Equal(QemuCommands.Launch(Web), lines[0]);
        Assert.Equal(QemuCommands.Plug(Web), lines[1]);
    }

    [Fact]
    public async Task Launch_PlugFails_QemuKilledAndTheReasonThrown()
    {
        var hosts = new Fabric.Remote.Testing.FakeRemoteHosts();
        hosts.Host(Hv).On(c => c == QemuCommands.Plug(Web), Fabric.Remote.Testing.FakeReply.Fail(1, "ovs-vsctl: no bridge named br0"));
        var driver = new SshHypervisorDriver(hosts, new OneHost());

        var e = await Assert.ThrowsAsync<Fabric.Remote.RemoteCommandFailedException>(() => driver.LaunchAsync("hv1", Web, CancellationToken.None));

        Assert.Contains("no bridge named br0", e.Message, StringComparison.Ordinal);
        Assert.Equal(QemuCommands.Kill("web"), hosts.Host(Hv).Commands[^1]);
    }

    [Fact]
    public async Task Launch_NoPort_OnlyLaunch()
    {
        var hosts = new Fabric.Remote.Testing.FakeRemoteHosts();
        var driver = new SshHypervisorDriver(hosts, new OneHost());

        await driver.LaunchAsync("hv1", Web with { Port = null }, CancellationToken.None);

        Assert.Single(hosts.Host(Hv).Commands);
    }
}

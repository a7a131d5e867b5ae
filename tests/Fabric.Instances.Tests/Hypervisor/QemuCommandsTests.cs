using Fabric.Core;
using Fabric.Instances.Hypervisor;

namespace Fabric.Instances.Tests.Hypervisor;

public sealed class QemuCommandsTests
{
    private static readonly QemuSpec Web = new("web", 2, 512, MacAddress.Parse("0e:12:34:56:78:9a"), "/srv/storage/web-disk.img", Accelerator.Tcg, "qemu64");

    [Fact]
    public void Arguments_LabInstance_WholeCommandLine()
    {
        Assert.Equal(
            [
                "-name", "guest=web",
                "-accel", "tcg",
                "-cpu", "qemu64",
                "-smp", "2",
                "-m", "512M",
                "-drive", "file=/srv/storage/web-disk.img,format=raw,if=virtio,cache=writethrough",
                "-netdev", "tap,id=net0,ifname=fab3456789a,script=no,downscript=no",
                "-device", "virtio-net-pci,netdev=net0,mac=0e:12:34:56:78:9a",
                "-display", "none",
                "-serial", "file:/run/fabric/instances/web/serial.log",
                "-qmp", "unix:/run/fabric/instances/web/qmp.sock,server=on,wait=off",
                "-pidfile", "/run/fabric/instances/web/qemu.pid",
                "-daemonize",
            ],
            QemuCommands.Arguments(Web));
    }

    [Fact]
    public void Arguments_MigrationTargetOnKvmWithBlockDevice_IncomingDeferKvmAndNoHostCache()
    {
        var args = QemuCommands.Arguments(Web with { Accelerator = Accelerator.Kvm, DiskPath = "/dev/etherd/e1.3", Incoming = true });

        Assert.Equal(["-incoming", "defer"], args.TakeLast(2));
        Assert.Equal("kvm", args[args.ToList().IndexOf("-accel") + 1]);
        Assert.Contains("file=/dev/etherd/e1.3,format=raw,if=virtio,cache=none", args);
    }

    [Fact]
    public void Arguments_DiskPathWithComma_CommaDoubledSoItStaysOneValue()
    {
        var args = QemuCommands.Arguments(Web with { DiskPath = "/srv/a,format=qcow2" });

        Assert.Contains("file=/srv/a,,format=qcow2,format=raw,if=virtio,cache=writethrough", args);
    }

    [Fact]
    public void TapName_FromTheMac_FitsLinuxInterfaceNames()
    {
        Assert.Equal("fab3456789a", Web.TapName);
        Assert.True(Web.TapName.Length <= 15);
    }

    [Fact]
    public void Launch_ShellText_ValuesAreQuotedArgumentsOfAConstantScript()
    {
        var command = QemuCommands.Launch(Web with { DiskPath = "/srv/it's $(reboot).img" });

        Assert.Equal(["sh", "-c", "d=$1; shift; mkdir -p -- \"$d\" && exec \"$@\"", "sh", "/run/fabric/instances/web", "qemu-system-x86_64"], command.Arguments.Take(6));
        Assert.Contains("'file=/srv/it'\\''s $(reboot).img,format=raw,if=virtio,cache=writethrough'", command.ShellText, StringComparison.Ordinal);
    }

    [Fact]
    public void QmpChannel_Socat_JoinsStdioToTheQmpSocket()
    {
        Assert.Equal("socat - UNIX-CONNECT:/run/fabric/instances/web/qmp.sock", QemuCommands.QmpChannel("web").ShellText);
    }

    [Fact]
    public void Kill_FolderIsTheOnlyArgument()
    {
        var command = QemuCommands.Kill("web");

        Assert.Equal("/run/fabric/instances/web", command.Arguments[^1]);
        Assert.Equal(5, command.Arguments.Count);
    }

    [Theory]
    [InlineData("../etc")]
    [InlineData("a/b")]
    [InlineData("")]
    public void InstancePaths_NotAHostName_Refused(string name)
    {
        var e = Assert.Throws<ArgumentException>(() => new InstancePaths(name));

        Assert.StartsWith($"'{name}' is not an instance name", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void InstancePaths_Name_FilesUnderRunFabricInstances()
    {
        var paths = new InstancePaths("Web");

        Assert.Equal(("/run/fabric/instances/web/qemu.pid", "/run/fabric/instances/web/serial.log", "/run/fabric/instances/web/qmp.sock"), (paths.PidFile, paths.SerialLog, paths.QmpSocket));
    }

    [Fact]
    public void InstancePaths_OtherRoot_FilesUnderIt()
    {
        var paths = new InstancePaths("web", "/run/hv-a/instances/");

        Assert.Equal("/run/hv-a/instances/web/qmp.sock", paths.QmpSocket);
        Assert.Equal("socat - UNIX-CONNECT:/run/hv-a/instances/web/qmp.sock", QemuCommands.QmpChannel("web", "/run/hv-a/instances").ShellText);
        Assert.Equal("/run/hv-a/instances/web", QemuCommands.Kill("web", "/run/hv-a/instances").Arguments[^1]);
        Assert.Contains("file:/run/hv-a/instances/web/serial.log", QemuCommands.Arguments(Web with { RunRoot = "/run/hv-a/instances" }));
    }

    [Theory]
    [InlineData("run/fabric")]
    [InlineData("/run/../etc")]
    [InlineData("/run/a b")]
    [InlineData("/run/a,b")]
    [InlineData("/")]
    [InlineData("")]
    public void CheckRoot_NotAPlainAbsoluteFolder_Refused(string root)
    {
        Assert.NotNull(InstancePaths.CheckRoot(root));
        Assert.Throws<ArgumentException>(() => new InstancePaths("web", root));
    }

    [Fact]
    public void IsRunning_FolderIsTheOnlyArgument()
    {
        var command = QemuCommands.IsRunning("web");

        Assert.Equal(["sh", "-c"], command.Arguments.Take(2));
        Assert.Equal("/run/fabric/instances/web", command.Arguments[^1]);
    }
}

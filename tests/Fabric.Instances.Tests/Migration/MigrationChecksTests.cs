using Fabric.Core;
using Fabric.Core.Lifecycle;
using Fabric.Instances.Migration;

namespace Fabric.Instances.Tests.Migration;

public sealed class MigrationChecksTests
{
    private static int _mac;

    private static Node Hypervisor(string name, long memoryMiB, string cpu = "qemu64", string accel = "tcg") => new()
    {
        Name = name,
        Role = NodeRole.Hardware,
        Macs = [MacAddress.FromBytes([0x02, 1, 0, 0, 0, (byte)Interlocked.Increment(ref _mac)])],
        State = NodeState.Up,
        Hardware = new HardwareSpec(4, memoryMiB, null),
        Labels = new Dictionary<string, string> { [MigrationChecks.CpuModelLabel] = cpu, [MigrationChecks.AcceleratorLabel] = accel },
    };

    private static Node Web(InstanceState state = InstanceState.Running, string hypervisor = "hv1") => new()
    {
        Name = "web",
        Role = NodeRole.Instance,
        Macs = [MacAddress.Parse("0e:00:00:00:00:01")],
        Instance = new InstanceSpec(1, 1024, "web-disk", null, hypervisor, "debian-13", state),
    };

    [Fact]
    public void Check_TargetFits_AllowedToThatTarget()
    {
        Node[] nodes = [Hypervisor("hv1", 4096), Hypervisor("hv2", 4096), Web()];

        var check = MigrationChecks.Check(nodes[2], "hv2", nodes, 4);

        Assert.True(check.Allowed);
        Assert.Equal("hv2", check.Target);
    }

    [Fact]
    public void Check_NoTargetGiven_PlacesAnywhereButTheSource()
    {
        Node[] nodes = [Hypervisor("hv1", 65536), Hypervisor("hv2", 4096), Web()];

        Assert.Equal("hv2", MigrationChecks.Check(nodes[2], null, nodes, 4).Target);
    }

    [Fact]
    public void Check_TargetWithoutTheMemory_RefusedNamingWhatIsShortAndWhere()
    {
        Node[] nodes = [Hypervisor("hv1", 4096), Hypervisor("hv2", 512), Web()];

        var check = MigrationChecks.Check(nodes[2], "hv2", nodes, 4);

        Assert.False(check.Allowed);
        Assert.Equal(["no hypervisor fits instance web (1 vCPUs, 1024 MiB): hv2: memory short by 512 MiB (512 of 512 MiB free, 1024 MiB needed)"], check.Refusals);
    }

    [Fact]
    public void Check_DifferentCpuModel_RefusedNamingBoth()
    {
        Node[] nodes = [Hypervisor("hv1", 4096), Hypervisor("hv2", 4096, cpu: "Cascadelake-Server"), Web()];

        var check = MigrationChecks.Check(nodes[2], "hv2", nodes, 4);

        Assert.Equal(["hv2's CPU model is Cascadelake-Server, hv1's is qemu64 (label fabric.instances/cpu-model)"], check.Refusals);
        Assert.Null(check.Target);
    }

    [Fact]
    public void Check_DifferentAccelerator_Refused()
    {
        Node[] nodes = [Hypervisor("hv1", 4096), Hypervisor("hv2", 4096, accel: "kvm"), Web()];

        Assert.Equal(["hv2's accelerator is kvm, hv1's is tcg (label fabric.instances/accelerator)"], MigrationChecks.Check(nodes[2], "hv2", nodes, 4).Refusals);
    }

    [Fact]
    public void Check_StoppedInstance_RefusedNamingItsState()
    {
        Node[] nodes = [Hypervisor("hv1", 4096), Hypervisor("hv2", 4096), Web(InstanceState.Stopped)];

        Assert.Contains("only a running instance is migrated, web is stopped", MigrationChecks.Check(nodes[2], "hv2", nodes, 4).Refusals);
    }

    [Fact]
    public void Check_TargetIsTheSource_Refused()
    {
        Node[] nodes = [Hypervisor("hv1", 4096), Web()];

        var check = MigrationChecks.Check(nodes[1], "hv1", nodes, 4);

        Assert.Equal(["no hypervisor fits instance web (1 vCPUs, 1024 MiB): hv1: the instance is already there"], check.Refusals);
    }
}

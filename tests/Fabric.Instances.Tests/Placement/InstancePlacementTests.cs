using Fabric.Core;
using Fabric.Core.Lifecycle;
using Fabric.Instances.Placement;

namespace Fabric.Instances.Tests.Placement;

public sealed class InstancePlacementTests
{
    private static int _mac;

    private static Node Hypervisor(string name, int cores, long memoryMiB, NodeState state = NodeState.Up, bool cordoned = false) => new()
    {
        Name = name,
        Role = NodeRole.Hardware,
        Macs = [NextMac()],
        State = state,
        Hardware = new HardwareSpec(cores, memoryMiB, null),
        Labels = cordoned ? new Dictionary<string, string> { [InstancePlacement.CordonLabel] = "true" } : new Dictionary<string, string>(),
    };

    private static Node Instance(string name, string hypervisor, int vcpus, long memoryMiB, InstanceState state = InstanceState.Running) => new()
    {
        Name = name,
        Role = NodeRole.Instance,
        Macs = [NextMac()],
        Instance = new InstanceSpec(vcpus, memoryMiB, null, null, hypervisor, null, state),
    };

    private static MacAddress NextMac() => MacAddress.FromBytes([0x02, 0, 0, 0, 0, (byte)Interlocked.Increment(ref _mac)]);

    [Fact]
    public void Place_TwoFit_PicksTheOneWithMostFreeMemory()
    {
        Node[] nodes = [Hypervisor("hv1", 4, 4096), Hypervisor("hv2", 4, 8192), Instance("a", "hv2", 1, 6144)];

        var result = InstancePlacement.Place(new InstanceDemand("web", 2, 1024), nodes, 4);

        Assert.Equal("hv1", result.Hypervisor);
        Assert.Empty(result.Shortfalls);
    }

    [Fact]
    public void Place_VCpusWithinCoresTimesOvercommit_Fits()
    {
        Node[] nodes = [Hypervisor("hv1", 2, 65536), Instance("a", "hv1", 6, 1024)];

        Assert.Equal("hv1", InstancePlacement.Place(new InstanceDemand("web", 2, 1024), nodes, 4).Hypervisor);
        Assert.False(InstancePlacement.Place(new InstanceDemand("web", 3, 1024), nodes, 4).Placed);
    }

    [Fact]
    public void Place_MemoryExactlyFull_FitsButOneMiBMoreDoesNot()
    {
        Node[] nodes = [Hypervisor("hv1", 8, 4096), Instance("a", "hv1", 1, 3072)];

        Assert.True(InstancePlacement.Place(new InstanceDemand("web", 1, 1024), nodes, 1).Placed);
        var refused = InstancePlacement.Place(new InstanceDemand("web", 1, 1025), nodes, 1);

        Assert.False(refused.Placed);
        Assert.Equal(["hv1: memory short by 1 MiB (1024 of 4096 MiB free, 1025 MiB needed)"], refused.Shortfalls);
    }

    [Fact]
    public void Place_NothingFits_RefusalNamesWhatIsShortOnEveryHypervisor()
    {
        Node[] nodes = [Hypervisor("hv1", 2, 2048), Hypervisor("hv2", 1, 8192), Instance("a", "hv2", 4, 1024)];

        var result = InstancePlacement.Place(new InstanceDemand("db", 2, 4096), nodes, 4);

        Assert.False(result.Placed);
        Assert.Equal(
            [
                "hv1: memory short by 2048 MiB (2048 of 2048 MiB free, 4096 MiB needed)",
                "hv2: vCPUs short by 2 (0 of 4 free: 1 cores x 4, 2 needed)",
            ],
            result.Shortfalls);
        Assert.StartsWith("no hypervisor fits instance db (2 vCPUs, 4096 MiB): hv1: memory short", result.Reason(new InstanceDemand("db", 2, 4096)));
    }

    [Fact]
    public void Place_BothShort_NamesMemoryAndVCpus()
    {
        Node[] nodes = [Hypervisor("hv1", 1, 1024)];

        var result = InstancePlacement.Place(new InstanceDemand("db", 8, 2048), nodes, 2);

        Assert.Equal(["hv1: memory short by 1024 MiB (1024 of 1024 MiB free, 2048 MiB needed) and vCPUs short by 6 (2 of 2 free: 1 cores x 2, 8 needed)"], result.Shortfalls);
    }

    [Theory]
    [InlineData(InstanceState.Stopped)]
    [InlineData(InstanceState.Failed)]
    public void Place_StoppedOrFailedInstances_HoldNoCapacity(InstanceState state)
    {
        Node[] nodes = [Hypervisor("hv1", 1, 1024), Instance("a", "hv1", 4, 1024, state)];

        Assert.Equal("hv1", InstancePlacement.Place(new InstanceDemand("web", 4, 1024), nodes, 4).Hypervisor);
    }

    [Theory]
    [InlineData(InstanceState.Defined)]
    [InlineData(InstanceState.Starting)]
    [InlineData(InstanceState.Running)]
    [InlineData(InstanceState.Migrating)]
    [InlineData(InstanceState.Stopping)]
    public void Place_LiveOrPlacedInstances_HoldTheirCapacity(InstanceState state)
    {
        Node[] nodes = [Hypervisor("hv1", 1, 1024), Instance("a", "hv1", 1, 512, state)];

        Assert.False(InstancePlacement.Place(new InstanceDemand("web", 1, 1024), nodes, 4).Placed);
    }

    [Fact]
    public void Place_TheInstanceItself_NotCountedAgainstItsOwnHypervisor()
    {
        Node[] nodes = [Hypervisor("hv1", 1, 1024), Instance("web", "hv1", 1, 1024, InstanceState.Defined)];

        Assert.Equal("hv1", InstancePlacement.Place(new InstanceDemand("web", 1, 1024), nodes, 1).Hypervisor);
    }

    [Fact]
    public void Place_Reservation_CountsLikeAnInstance()
    {
        Node[] nodes = [Hypervisor("hv1", 4, 2048)];

        var result = InstancePlacement.Place(new InstanceDemand("web", 1, 1024), nodes, 4, reservations: [new Reservation("hv1", 1, 1536)]);

        Assert.Equal(["hv1: memory short by 512 MiB (512 of 2048 MiB free, 1024 MiB needed)"], result.Shortfalls);
    }

    [Fact]
    public void Place_TargetGiven_OnlyThatHypervisorConsidered()
    {
        Node[] nodes = [Hypervisor("hv1", 4, 8192), Hypervisor("hv2", 4, 1024)];

        var result = InstancePlacement.Place(new InstanceDemand("web", 1, 2048), nodes, 4, target: "hv2");

        Assert.Equal(["hv2: memory short by 1024 MiB (1024 of 1024 MiB free, 2048 MiB needed)"], result.Shortfalls);
    }

    [Fact]
    public void Place_ExcludedSource_NeverChosen()
    {
        Node[] nodes = [Hypervisor("hv1", 4, 8192), Hypervisor("hv2", 4, 2048), Instance("web", "hv1", 1, 1024)];

        Assert.Equal("hv2", InstancePlacement.Place(new InstanceDemand("web", 1, 1024), nodes, 4, exclude: "hv1").Hypervisor);
    }

    [Fact]
    public void Place_TargetIsTheSource_RefusedAsAlreadyThere()
    {
        Node[] nodes = [Hypervisor("hv1", 4, 8192)];

        var result = InstancePlacement.Place(new InstanceDemand("web", 1, 1024), nodes, 4, target: "hv1", exclude: "hv1");

        Assert.Equal(["hv1: the instance is already there"], result.Shortfalls);
    }

    [Fact]
    public void Place_UnknownTarget_RefusedNamingIt()
    {
        var result = InstancePlacement.Place(new InstanceDemand("web", 1, 1024), [Hypervisor("hv1", 4, 8192)], 4, target: "hv9");

        Assert.Equal(["hypervisor 'hv9' does not exist"], result.Shortfalls);
    }

    [Fact]
    public void Place_TargetNotAHypervisor_RefusedNamingItsRole()
    {
        Node[] nodes = [Hypervisor("hv1", 4, 8192), Instance("other", "hv1", 1, 1024)];

        var result = InstancePlacement.Place(new InstanceDemand("web", 1, 1024), nodes, 4, target: "other");

        Assert.Equal(["'other' is not a hypervisor (its role is instance)"], result.Shortfalls);
    }

    [Fact]
    public void Place_CordonedRetiredOrWithoutCapacity_Skipped()
    {
        Node[] nodes =
        [
            Hypervisor("hv1", 4, 8192, cordoned: true),
            Hypervisor("hv2", 4, 8192, NodeState.Retired),
            Hypervisor("hv3", 0, 8192),
        ];

        var result = InstancePlacement.Place(new InstanceDemand("web", 1, 1024), nodes, 4);

        Assert.Equal(
            [
                "hv1: the hypervisor is cordoned (evacuated); nothing new lands there",
                "hv2: the hypervisor is retired",
                "hv3: the hypervisor has no cpuCores or memoryMiB recorded",
            ],
            result.Shortfalls);
    }

    [Fact]
    public void Place_NoHypervisors_ReasonSaysSo()
    {
        var demand = new InstanceDemand("web", 1, 1024);

        var result = InstancePlacement.Place(demand, [], 4);

        Assert.Equal("no hypervisor fits instance web (1 vCPUs, 1024 MiB): there are no hypervisors", result.Reason(demand));
    }

    [Fact]
    public void Loads_InstancesAndReservations_SummedPerHypervisor()
    {
        Node[] nodes = [Hypervisor("hv1", 4, 8192), Instance("a", "hv1", 2, 1024), Instance("b", "hv1", 3, 2048, InstanceState.Stopped)];

        var load = Assert.Single(InstancePlacement.Loads(nodes, 4, [new Reservation("hv1", 1, 512)]));

        Assert.Equal(new HypervisorLoad("hv1", 4, 16, 8192, 3, 1536, null), load);
    }
}

using Fabric.Core;
using Fabric.Core.Events;
using Fabric.Instances.Disks;
using Fabric.Registry;
using Fabric.Registry.Volumes;

namespace Fabric.Instances.Tests.Disks;

/// <summary>Where a hypervisor opens an instance's disk, from a real registry: pair p1 of s1 (shelf 3, the lower one,
/// so half A) and s2 (shelf 7), volume web-disk in slot 5.</summary>
public sealed class RegistryInstanceDisksTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("fabric-instance-disks-").FullName;
    private readonly IRegistry _registry;

    public RegistryInstanceDisksTests() => _registry = FabricRegistry.Open(Path.Combine(_dir, "fabric.db"));

    public void Dispose()
    {
        _registry.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    private async Task<Node> AddAsync(NodeInput input)
    {
        var added = await _registry.AddNodeAsync(input with { MacField = "mac" }, Actor.Admin);
        Assert.True(added.Succeeded, added.Error?.ToString());
        return added.Value!;
    }

    private async Task PairWithVolumeAsync()
    {
        await AddAsync(new NodeInput { Name = "s2", Role = "storage", Macs = ["52:54:00:00:20:02"], Pair = "p1", AoeShelf = 7, StoragePath = "/srv/s2" });
        await AddAsync(new NodeInput { Name = "s1", Role = "storage", Macs = ["52:54:00:00:20:01"], Pair = "p1", AoeShelf = 3, StoragePath = "/srv/s1" });
        var recorded = await _registry.RecordVolumeAsync(
            new VolumeRecord("p1", "web-disk", 5, 1 << 20, [new VolumeCopy("s1", "/srv/s1/web-disk.img"), new VolumeCopy("s2", "/srv/s2/web-disk.img")]), Actor.Admin);
        Assert.True(recorded.Succeeded, recorded.Error?.ToString());
    }

    private Task<Node> HypervisorAsync(string? mode) => AddAsync(new NodeInput
    {
        Name = "hv1",
        Role = "hardware",
        Macs = ["52:54:00:00:20:11"],
        CpuCores = 4,
        MemoryMiB = 4096,
        Labels = mode is null ? null : new Dictionary<string, string> { [RegistryInstanceDisks.ModeLabel] = mode },
    });

    private static Node Instance(string diskVolume) => new()
    {
        Name = "web",
        Role = NodeRole.Instance,
        Macs = [MacAddress.Parse("0e:00:00:00:00:01")],
        Instance = new InstanceSpec(1, 256, diskVolume, null, "hv1", "debian"),
    };

    [Fact]
    public async Task Open_VolumeOnHypervisorWithoutLabel_MdMirrorOverBothAoeHalves()
    {
        await PairWithVolumeAsync();
        var hypervisor = await HypervisorAsync(null);

        var disk = RegistryInstanceDisks.Open(_registry, Instance("web-disk"), hypervisor);

        Assert.Equal(new InstanceDisk("/dev/md/web-disk", new MdMirror("/dev/md/web-disk", "/dev/etherd/e3.5", "/dev/etherd/e7.5")), disk);
    }

    [Fact]
    public async Task Open_VolumeOnHypervisorLabelledPath_TheFirstStorageNodesVolumeFile()
    {
        await PairWithVolumeAsync();
        var hypervisor = await HypervisorAsync("path");

        var disk = RegistryInstanceDisks.Open(_registry, Instance("web-disk"), hypervisor);

        Assert.Equal(new InstanceDisk("/srv/s1/web-disk.img"), disk);
    }

    [Fact]
    public async Task Open_AbsolutePath_TheSameFileOnEveryHypervisorAsBefore()
    {
        var hypervisor = await HypervisorAsync(null);

        var disk = RegistryInstanceDisks.Open(_registry, Instance("/srv/lab/web.img"), hypervisor);

        Assert.Equal(new InstanceDisk("/srv/lab/web.img"), disk);
    }

    [Theory]
    [InlineData("nvme", "web-disk", "label fabric.instances/disk is 'nvme', not md or path")]
    [InlineData(null, "gone-disk", "no volume named 'gone-disk' on any pair")]
    [InlineData(null, "/srv/../etc/shadow", "is not an absolute file path")]
    public async Task Open_BadLabelUnknownVolumeOrBadPath_DiskExceptionSayingWhy(string? mode, string diskVolume, string reason)
    {
        await PairWithVolumeAsync();
        var hypervisor = await HypervisorAsync(mode);

        var e = Assert.Throws<InstanceDiskException>(() => RegistryInstanceDisks.Open(_registry, Instance(diskVolume), hypervisor));

        Assert.Contains(reason, e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/srv/fabric/volumes/web.img", null)]
    [InlineData("web-disk", null)]
    [InlineData("relative/web.img", "nor an absolute file path")]
    [InlineData("/srv/./web.img", "is not an absolute file path")]
    public void CheckDiskVolume_PathOrVolumeName_NullOrWhy(string diskVolume, string? problem)
    {
        var found = RegistryInstanceDisks.CheckDiskVolume(diskVolume);

        if (problem is null)
        {
            Assert.Null(found);
        }
        else
        {
            Assert.Contains(problem, found, StringComparison.Ordinal);
        }
    }
}

using Fabric.Core;
using Fabric.Core.Events;
using Fabric.Registry.Volumes;

namespace Fabric.Registry.Tests.Volumes;

/// <summary>Volumes of a pair in the registry: slots held in the writer, recorded on both nodes in one write, removal
/// refused while used. The slot chooser here is the simplest one (lowest slot not used on the pair's nodes or held).</summary>
public sealed class PairVolumesTests : IDisposable
{
    private readonly TempDir _dir = new();
    private readonly IRegistry _registry;

    public PairVolumesTests() => _registry = FabricRegistry.Open(_dir.Database);

    public void Dispose()
    {
        _registry.Dispose();
        _dir.Dispose();
    }

    private static SlotChooser Lowest => (nodes, reserved) =>
    {
        var used = nodes.Where(n => n.Storage is not null).SelectMany(n => n.Storage!.Volumes.Select(v => v.Slot)).Concat(reserved).ToHashSet();
        return RegistryResult<int>.Ok(Enumerable.Range(1, 254).First(s => !used.Contains(s)));
    };

    private async Task AddPairAsync()
    {
        foreach (var (name, shelf) in new[] { ("s1", 1), ("s2", 2) })
        {
            Assert.True((await _registry.AddNodeAsync(new NodeInput { Name = name, Role = "storage", Macs = [$"52:54:00:00:0c:0{shelf}"], MacField = "mac", Pair = "p1", AoeShelf = shelf }, Actor.Admin)).Succeeded);
        }
    }

    private Task<RegistryResult<PairVolume>> RecordAsync(string name, int slot) =>
        _registry.RecordVolumeAsync(new VolumeRecord("p1", name, slot, 1 << 20, [new VolumeCopy("s1", $"/v1/{name}.img"), new VolumeCopy("s2", $"/v2/{name}.img")]), Actor.Admin);

    [Fact]
    public async Task ReserveSlot_TenAtOnce_TenDistinctSlots()
    {
        await AddPairAsync();
        using var start = new ManualResetEventSlim();
        var tasks = Enumerable.Range(0, 10).Select(i => Task.Run(() => { start.Wait(); return _registry.ReserveSlotAsync("p1", $"v{i}", Lowest); })).ToList();
        start.Set();

        var results = await Task.WhenAll(tasks);

        Assert.Equal(Enumerable.Range(1, 10), results.Select(r => r.Value!.Slot).Order());
        Assert.Equal(10, _registry.ListReservations().Count);
    }

    [Fact]
    public async Task ReserveSlot_SameVolumeAgain_SameSlot()
    {
        await AddPairAsync();

        var first = await _registry.ReserveSlotAsync("p1", "v1", Lowest);
        var again = await _registry.ReserveSlotAsync("P1", "v1", Lowest);

        Assert.Equal(first.Value, again.Value);
    }

    [Fact]
    public async Task ReserveSlot_NameRecorded_ConflictNamingName()
    {
        await AddPairAsync();
        Assert.True((await RecordAsync("v1", 1)).Succeeded);

        var again = await _registry.ReserveSlotAsync("p1", "v1", Lowest);

        Assert.Equal(RegistryErrorKind.Conflict, again.Error!.Kind);
        Assert.Equal("name", again.Error.Errors.Single().Field);
    }

    [Fact]
    public async Task RecordVolume_BothNodesInOneWriteReleasesTheSlot()
    {
        await AddPairAsync();
        await _registry.ReserveSlotAsync("p1", "v1", Lowest);

        var recorded = await RecordAsync("v1", 1);

        Assert.True(recorded.Succeeded, recorded.Error?.ToString());
        Assert.Equal(["s1", "s2"], recorded.Value.Copies.Select(c => c.Node));
        Assert.Equal("/v2/v1.img", _registry.FindNode("s2")!.Storage!.Volumes.Single().BackingPath);
        Assert.Empty(_registry.ListReservations());
    }

    [Fact]
    public async Task RecordVolume_SlotTakenOnOneNode_ConflictNothingWritten()
    {
        await AddPairAsync();
        Assert.True((await _registry.UpdateNodeAsync("s2", new NodeInput { Volumes = [new VolumeInput("other", 1, 10, "/v2/other.img")] }, Actor.Admin)).Succeeded);

        var recorded = await RecordAsync("v1", 1);

        Assert.Equal("slot", recorded.Error!.Errors.Single().Field);
        Assert.Empty(_registry.FindNode("s1")!.Storage!.Volumes);
    }

    [Fact]
    public async Task RemoveVolume_RootOfAHardwareNode_ConflictKeepsIt()
    {
        await AddPairAsync();
        await RecordAsync("h1-root", 1);
        Assert.True((await _registry.AddNodeAsync(new NodeInput { Name = "h1", Role = "hardware", Macs = ["52:54:00:00:0d:01"], MacField = "mac", Root = "aoe-md:e1.1,e2.1" }, Actor.Admin)).Succeeded);

        var removed = await _registry.RemoveVolumeAsync("h1-root", null, Actor.Admin);

        Assert.Equal(RegistryErrorKind.Conflict, removed.Error!.Kind);
        Assert.Contains("h1", removed.Error.Errors.Single().Reason, StringComparison.Ordinal);
        Assert.Single(_registry.ListVolumes());
    }

    [Fact]
    public async Task RemoveVolume_DiskOfAnInstance_Conflict()
    {
        await AddPairAsync();
        await RecordAsync("vm1-disk", 1);
        Assert.True((await _registry.AddNodeAsync(new NodeInput { Name = "vm1", Role = "instance", Macs = ["52:54:00:00:0e:01"], MacField = "mac", DiskVolume = "vm1-disk" }, Actor.Admin)).Succeeded);

        var removed = await _registry.RemoveVolumeAsync("vm1-disk", "p1", Actor.Admin);

        Assert.Equal(RegistryErrorKind.Conflict, removed.Error!.Kind);
    }

    [Fact]
    public async Task RemoveVolume_Unused_GoneFromBothNodes()
    {
        await AddPairAsync();
        await RecordAsync("v1", 1);

        var removed = await _registry.RemoveVolumeAsync("v1", null, Actor.Admin);

        Assert.True(removed.Succeeded);
        Assert.Empty(_registry.ListVolumes());
        Assert.All(_registry.ListNodes(NodeRole.Storage), n => Assert.Empty(n.Storage!.Volumes));
        Assert.Equal(RegistryErrorKind.NotFound, (await _registry.RemoveVolumeAsync("v1", null, Actor.Admin)).Error!.Kind);
    }

    [Fact]
    public async Task FinishProvisioning_SetsRootAndRegistersInOneWrite()
    {
        await AddPairAsync();
        var added = await _registry.AddProvisioningNodeAsync(new NodeInput { Name = "h1", Role = "hardware", Macs = ["52:54:00:00:0d:01"], MacField = "mac" }, "p1", "h1-root", Lowest, Actor.Admin);
        Assert.Equal((NodeState.Provisioning, 1), (added.Value.Node.State, added.Value.Slot!.Slot));

        var finished = await _registry.FinishProvisioningAsync("h1", RootSpec.AoeMd(new AoeTarget(1, 1), new AoeTarget(2, 1)), "made", Actor.Job("4"));

        Assert.Equal(NodeState.Registered, finished.Value!.State);
        Assert.Equal("aoe-md:e1.1,e2.1", _registry.FindNode("h1")!.Hardware!.Root!.ToString());
        var kinds = (await _registry.ListEventsAsync("h1")).Value!.Select(e => e.Kind).ToList();
        Assert.Equal([EventKind.Created, EventKind.ProvisioningStarted, EventKind.ProvisioningFinished], kinds);
    }

    [Fact]
    public async Task FinishProvisioning_ByAnOperator_RefusedNodeStaysProvisioning()
    {
        await AddPairAsync();
        await _registry.AddProvisioningNodeAsync(new NodeInput { Name = "h1", Role = "hardware", Macs = ["52:54:00:00:0d:01"], MacField = "mac" }, "p1", "h1-root", Lowest, Actor.Admin);

        var finished = await _registry.FinishProvisioningAsync("h1", RootSpec.AoeMd(new AoeTarget(1, 1), new AoeTarget(2, 1)), "made", Actor.Admin);

        Assert.Equal("state", finished.Error!.Errors.Single().Field);
        Assert.Equal(NodeState.Provisioning, _registry.FindNode("h1")!.State);
    }

    [Fact]
    public async Task AddProvisioningNode_NoChooser_NoSlotHeld()
    {
        await AddPairAsync();

        var added = await _registry.AddProvisioningNodeAsync(new NodeInput { Name = "h1", Role = "hardware", Macs = ["52:54:00:00:0d:01"], MacField = "mac" }, "p1", "h1-root", null, Actor.Admin);

        Assert.Equal((NodeState.Provisioning, null), (added.Value.Node.State, added.Value.Slot));
        Assert.Empty(_registry.ListReservations());
        Assert.Contains((await _registry.ListEventsAsync("h1")).Value!, e => e.Kind == EventKind.ProvisioningStarted && e.Message == "NFS root h1-root on pair p1");
    }

    [Fact]
    public async Task AddNfsExports_BothNodes_OneWriteAgainChangesNothing()
    {
        await AddPairAsync();
        NfsExportRecord[] exports = [new("s1", "/srv/nfs/h1-root"), new("s2", "/srv/nfs/h1-root")];

        var added = await _registry.AddNfsExportsAsync(exports, Actor.Job("3"));
        var again = await _registry.AddNfsExportsAsync(exports, Actor.Job("4"));

        Assert.Equal(["s1", "s2"], added.Value!.Select(n => n.Name));
        Assert.Empty(again.Value!);
        Assert.Equal(["/srv/nfs/h1-root"], _registry.FindNode("s1")!.Storage!.NfsExports);
        Assert.Equal(["/srv/nfs/h1-root"], _registry.FindNode("s2")!.Storage!.NfsExports);
        var events = (await _registry.ListEventsAsync("s2")).Value!.Where(e => e.Message.StartsWith("nfsExports:", StringComparison.Ordinal)).ToList();
        Assert.Equal("job:3", Assert.Single(events).Actor);
    }

    [Fact]
    public async Task AddNfsExports_OneNodeUnknown_NothingWritten()
    {
        await AddPairAsync();

        var added = await _registry.AddNfsExportsAsync([new("s1", "/srv/nfs/h1-root"), new("s9", "/srv/nfs/h1-root")], Actor.Admin);

        Assert.Equal("node", Assert.Single(added.Error!.Errors).Field);
        Assert.Empty(_registry.FindNode("s1")!.Storage!.NfsExports);
    }

    [Fact]
    public async Task RemoveNfsExports_TheRootOfANode_ConflictNamingNfsExportsKept()
    {
        await AddPairAsync();
        await _registry.AddNfsExportsAsync([new("s1", "/srv/nfs/h1-root"), new("s2", "/srv/nfs/h1-root")], Actor.Admin);
        await _registry.AddNodeAsync(new NodeInput { Name = "h1", Role = "hardware", Macs = ["52:54:00:00:0d:01"], MacField = "mac", Root = "nfs:10.0.0.1:/srv/nfs/h1-root" }, Actor.Admin);

        var removed = await _registry.RemoveNfsExportsAsync([new("s1", "/srv/nfs/h1-root"), new("s2", "/srv/nfs/h1-root")], Actor.Admin);

        Assert.Equal(RegistryErrorKind.Conflict, removed.Error!.Kind);
        Assert.Contains("root of h1", Assert.Single(removed.Error.Errors, e => e.Field == "nfsExports").Reason, StringComparison.Ordinal);
        Assert.Equal(["/srv/nfs/h1-root"], _registry.FindNode("s2")!.Storage!.NfsExports);
    }

    [Fact]
    public async Task UpdateNode_DropsAnNfsExportThatIsARoot_ConflictNothingChanged()
    {
        await AddPairAsync();
        await _registry.AddNfsExportsAsync([new("s1", "/srv/nfs/h1-root"), new("s1", "/srv/nfs/other")], Actor.Admin);
        await _registry.AddNodeAsync(new NodeInput { Name = "h1", Role = "hardware", Macs = ["52:54:00:00:0d:01"], MacField = "mac", Root = "nfs:10.0.0.1:/srv/nfs/h1-root" }, Actor.Admin);

        var refused = await _registry.UpdateNodeAsync("s1", new NodeInput { NfsExports = ["/srv/nfs/other"] }, Actor.Admin);
        var allowed = await _registry.UpdateNodeAsync("s1", new NodeInput { NfsExports = ["/srv/nfs/h1-root"] }, Actor.Admin);

        Assert.Equal(RegistryErrorKind.Conflict, refused.Error!.Kind);
        Assert.Equal("nfsExports", Assert.Single(refused.Error.Errors).Field);
        Assert.True(allowed.Succeeded, allowed.Error?.ToString());
        Assert.Equal(["/srv/nfs/h1-root"], _registry.FindNode("s1")!.Storage!.NfsExports);
    }
}

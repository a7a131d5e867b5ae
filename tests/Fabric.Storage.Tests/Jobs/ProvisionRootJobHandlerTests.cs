using Fabric.Core;
using Fabric.Core.Events;
using Fabric.Jobs.Running;
using Fabric.Registry;
using Fabric.Storage.Jobs;

namespace Fabric.Storage.Tests.Jobs;

public sealed class ProvisionRootJobHandlerTests : IDisposable
{
    private readonly StorageJobHarness _h = new();

    public void Dispose() => _h.Dispose();

    private ProvisionRootJobHandler Handler => new(_h.Registry, _h.Maker, _h.NfsMaker, _h.Images);

    private static RecordingJobContext Context(string node = "h1", int attempt = 1) =>
        new(ProvisionRootJobHandler.KindName, node, new Dictionary<string, string> { ["pair"] = "p1", ["image"] = "base" }, attempt);

    private async Task<Node> AddProvisioningNodeAsync(string name = "h1", string mac = "52:54:00:00:0d:01")
    {
        var added = await _h.Registry.AddProvisioningNodeAsync(
            new NodeInput { Name = name, Role = "hardware", Macs = [mac], MacField = "mac" },
            "p1",
            StorageJobs.RootVolumeOf(name),
            StorageServiceCollectionExtensions.SlotChooserOf("p1"),
            Actor.Admin);
        Assert.True(added.Succeeded, added.Error?.ToString());
        Assert.Equal(NodeState.Provisioning, added.Value.Node.State);
        return added.Value.Node;
    }

    [Fact]
    public async Task RunAsync_Provisioning_RootMadeFromImageExportedThenNodeRegisteredWithMdRoot()
    {
        await _h.AddPairAsync();
        await _h.AddImageAsync("base", 8 << 20);
        await AddProvisioningNodeAsync();

        await Handler.RunAsync(Context());

        var node = _h.Registry.FindNode("h1")!;
        Assert.Equal(NodeState.Registered, node.State);
        Assert.Equal("aoe-md:e1.1,e2.1", node.Hardware!.Root!.ToString());
        Assert.Equal(8L << 20, _h.A.Files["/srv/s1/volumes/h1-root.img"]);
        Assert.Equal(8L << 20, _h.B.Files["/srv/s2/volumes/h1-root.img"]);
        Assert.True(_h.A.Exports.ContainsKey("e1.1") && _h.B.Exports.ContainsKey("e2.1"));
        Assert.Equal(["h1"], Assert.Single(_h.Registry.ListVolumes()).UsedBy);
        Assert.Contains((await _h.Registry.ListEventsAsync("h1")).Value!, e => e.Kind == EventKind.ProvisioningFinished && e.Actor == "job:9");
    }

    [Fact]
    public async Task RunAsync_DiskImage_NodeFailedNothingMadeOnStorage()
    {
        await _h.AddPairAsync();
        await _h.AddImageAsync("base", 8 << 20, Fabric.Registry.Images.ImageFormat.Disk);
        await AddProvisioningNodeAsync();

        var error = await Assert.ThrowsAsync<JobFailedException>(() => Handler.RunAsync(Context()));

        Assert.Contains("a node's root is made from an ext4 or tar image", error.Message, StringComparison.Ordinal);
        var node = _h.Registry.FindNode("h1")!;
        Assert.Equal(NodeState.Failed, node.State);
        Assert.Null(node.Hardware!.Root);
        Assert.Empty(_h.Registry.ListVolumes());
        Assert.Empty(_h.Registry.ListReservations());
        Assert.Equal(["/srv/s1/images/base.img"], _h.A.Files.Keys);
        Assert.Empty(_h.A.Exports);
    }

    [Fact]
    public async Task RunAsync_OneNodeFails_NodeFailedVolumeNotRecordedNothingLeftOnStorage()
    {
        await _h.AddPairAsync();
        await _h.AddImageAsync("base", 8 << 20);
        await AddProvisioningNodeAsync();
        _h.A.FailCreate = true;

        var error = await Assert.ThrowsAsync<JobFailedException>(() => Handler.RunAsync(Context()));

        Assert.Contains("s1 (10.9.0.1:22)", error.Message, StringComparison.Ordinal);
        var node = _h.Registry.FindNode("h1")!;
        Assert.Equal(NodeState.Failed, node.State);
        Assert.Null(node.Hardware!.Root);
        Assert.Empty(_h.Registry.ListVolumes());
        Assert.Empty(_h.Registry.ListReservations());
        Assert.Equal(["/srv/s1/images/base.img"], _h.A.Files.Keys);
        Assert.Equal(["/srv/s2/images/base.img"], _h.B.Files.Keys);
        Assert.Empty(_h.A.Exports);
        Assert.Empty(_h.B.Exports);
        Assert.Contains((await _h.Registry.ListEventsAsync("h1")).Value!, e => e.Kind == EventKind.ProvisioningFailed);
    }

    [Fact]
    public async Task RunAsync_RetriedAfterItFailed_ProvisioningAgainThenRegistered()
    {
        await _h.AddPairAsync();
        await _h.AddImageAsync("base", 8 << 20);
        await AddProvisioningNodeAsync();
        _h.B.FailCreate = true;
        await Assert.ThrowsAsync<JobFailedException>(() => Handler.RunAsync(Context()));
        Assert.Equal(NodeState.Failed, _h.Registry.FindNode("h1")!.State);
        _h.B.FailCreate = false;

        await Handler.RunAsync(Context(attempt: 2));

        var node = _h.Registry.FindNode("h1")!;
        Assert.Equal((NodeState.Registered, "aoe-md:e1.1,e2.1"), (node.State, node.Hardware!.Root!.ToString()));
    }

    [Fact]
    public async Task RunAsync_NodeHasItsRoot_ChangesNothing()
    {
        await _h.AddPairAsync();
        await _h.AddImageAsync("base", 8 << 20);
        await AddProvisioningNodeAsync();
        await Handler.RunAsync(Context());
        var before = _h.Registry.FindNode("h1");
        int commands = _h.A.Host.Commands.Count + _h.B.Host.Commands.Count;

        await Handler.RunAsync(Context());

        Assert.Equal(before, _h.Registry.FindNode("h1"));
        Assert.Equal(commands, _h.A.Host.Commands.Count + _h.B.Host.Commands.Count);
    }

    [Fact]
    public async Task AddProvisioningNode_TenAtOnce_TenDistinctSlots()
    {
        await _h.AddPairAsync();
        using var start = new ManualResetEventSlim();
        var adds = Enumerable.Range(1, 10).Select(i => Task.Run(async () =>
        {
            start.Wait();
            return await _h.Registry.AddProvisioningNodeAsync(
                new NodeInput { Name = $"h{i}", Role = "hardware", Macs = [$"52:54:00:00:0d:{i:x2}"], MacField = "mac" },
                "p1",
                StorageJobs.RootVolumeOf($"h{i}"),
                StorageServiceCollectionExtensions.SlotChooserOf("p1"),
                Actor.Admin);
        })).ToList();
        start.Set();
        var results = await Task.WhenAll(adds);

        Assert.All(results, r => Assert.True(r.Succeeded, r.Error?.ToString()));
        Assert.Equal(Enumerable.Range(1, 10), results.Select(r => r.Value.Slot!.Slot).Order());
    }

    [Fact]
    public async Task AddProvisioningNode_NoFreeSlot_ConflictNamingSlotNothingStored()
    {
        await _h.AddPairAsync();
        for (int slot = 1; slot <= AoeTarget.MaxSlot; slot++)
        {
            Assert.True((await _h.Registry.ReserveVolumeSlotAsync("p1", $"v{slot}")).Succeeded);
        }

        var added = await _h.Registry.AddProvisioningNodeAsync(
            new NodeInput { Name = "h1", Role = "hardware", Macs = ["52:54:00:00:0d:01"], MacField = "mac" },
            "p1",
            "h1-root",
            StorageServiceCollectionExtensions.SlotChooserOf("p1"),
            Actor.Admin);

        Assert.Equal(RegistryErrorKind.Conflict, added.Error!.Kind);
        Assert.Equal("slot", Assert.Single(added.Error.Errors).Field);
        Assert.Null(_h.Registry.FindNode("h1"));
    }
}

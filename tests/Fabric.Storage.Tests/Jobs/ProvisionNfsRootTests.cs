using Fabric.Core;
using Fabric.Core.Events;
using Fabric.Jobs.Running;
using Fabric.Registry;
using Fabric.Storage.Jobs;
using Fabric.Storage.Nfs;

namespace Fabric.Storage.Tests.Jobs;

/// <summary><c>provision-root</c> from a tar image: an NFS root folder on both storage nodes of the pair, exported by both,
/// or nothing anywhere.</summary>
public sealed class ProvisionNfsRootTests : IDisposable
{
    private const string FolderA = "/srv/s1/nfs/h1-root";
    private const string FolderB = "/srv/s2/nfs/h1-root";

    private readonly StorageJobHarness _h = new();

    public void Dispose() => _h.Dispose();

    private ProvisionRootJobHandler Handler => new(_h.Registry, _h.Maker, _h.NfsMaker, _h.Images);

    private static RecordingJobContext Context(int attempt = 1) =>
        new(ProvisionRootJobHandler.KindName, "h1", new Dictionary<string, string> { ["pair"] = "p1", ["image"] = "rootfs" }, attempt);

    private async Task ArrangeAsync()
    {
        await _h.AddPairAsync();
        await _h.AddTarImageAsync("rootfs", 40 << 20);
        var added = await _h.Registry.AddProvisioningNodeAsync(
            new NodeInput { Name = "h1", Role = "hardware", Macs = ["52:54:00:00:0d:01"], MacField = "mac" },
            "p1",
            StorageJobs.RootVolumeOf("h1"),
            null,
            Actor.Admin);
        Assert.True(added.Succeeded, added.Error?.ToString());
        Assert.Null(added.Value.Slot);
    }

    private IReadOnlyList<string> ExportsOf(string node) => _h.Registry.FindNode(node)!.Storage!.NfsExports;

    private void AssertNothingLeft()
    {
        Assert.Empty(_h.A.Folders);
        Assert.Empty(_h.B.Folders);
        Assert.Empty(ExportsOf("s1"));
        Assert.Empty(ExportsOf("s2"));
        Assert.Empty(_h.A.NfsServed);
        Assert.Empty(_h.B.NfsServed);
        Assert.Empty(_h.Registry.ListVolumes());
        Assert.Empty(_h.Registry.ListReservations());
    }

    [Fact]
    public async Task RunAsync_TarImage_FolderOnBothExportedByBothThenRegisteredOnNfsRoot()
    {
        await ArrangeAsync();
        var context = Context();

        await Handler.RunAsync(context);

        var node = _h.Registry.FindNode("h1")!;
        Assert.Equal((NodeState.Registered, $"nfs:10.9.0.1:{FolderA}"), (node.State, node.Hardware!.Root!.ToString()));
        Assert.Equal(40L << 20, _h.A.Folders[FolderA]);
        Assert.Equal(40L << 20, _h.B.Folders[FolderB]);
        Assert.Equal([FolderA], ExportsOf("s1"));
        Assert.Equal([FolderB], ExportsOf("s2"));
        Assert.True(_h.A.NfsServed.ContainsKey(FolderA) && _h.B.NfsServed.ContainsKey(FolderB));
        Assert.Empty(_h.Registry.ListVolumes());
        Assert.Empty(_h.A.Exports);
        Assert.Contains(_h.A.Host.Commands, c => ScriptedStorageNode.Is(c, NfsRootScripts.Extract) && c.Arguments[5] == "/srv/s1/images/rootfs.tar");
        var added = (await _h.Registry.ListEventsAsync("s1")).Value!.Single(e => e.Message.StartsWith("nfsExports: +", StringComparison.Ordinal));
        Assert.Equal("job:9", added.Actor);
        Assert.Contains((await _h.Registry.ListEventsAsync("h1")).Value!, e => e.Kind == EventKind.ProvisioningFinished && e.Message.Contains(FolderA, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task RunAsync_TarImageOneNodeFails_NodeFailedNothingLeftOnTheOther(bool failA)
    {
        await ArrangeAsync();
        (failA ? _h.A : _h.B).FailCreate = true;

        var error = await Assert.ThrowsAsync<JobFailedException>(() => Handler.RunAsync(Context()));

        Assert.Contains(failA ? "s1 (10.9.0.1:22)" : "s2 (10.9.0.2:22)", error.Message, StringComparison.Ordinal);
        Assert.Contains("No space left on device", error.Message, StringComparison.Ordinal);
        var node = _h.Registry.FindNode("h1")!;
        Assert.Equal(NodeState.Failed, node.State);
        Assert.Null(node.Hardware!.Root);
        AssertNothingLeft();
        Assert.Contains((await _h.Registry.ListEventsAsync("h1")).Value!, e => e.Kind == EventKind.ProvisioningFailed);
    }

    [Fact]
    public async Task RunAsync_GaneshaFailsToStartOnOne_ExportsTakenBackFoldersRemovedNodeFailed()
    {
        await ArrangeAsync();
        _h.B.Host.On(c => ScriptedStorageNode.Is(c, GaneshaScripts.Start), Fabric.Remote.Testing.FakeReply.Fail(1, "ganesha.nfsd exited at once: bind 2049: address in use"));

        var error = await Assert.ThrowsAsync<JobFailedException>(() => Handler.RunAsync(Context()));

        Assert.Contains("address in use", error.Message, StringComparison.Ordinal);
        Assert.Equal(NodeState.Failed, _h.Registry.FindNode("h1")!.State);
        AssertNothingLeft();
    }

    [Fact]
    public async Task RunAsync_TarImageCancelledDuringExtraction_NothingLeftNodeFailed()
    {
        await ArrangeAsync();
        var context = Context();
        _h.A.OnCreated = context.Cancel.Cancel;

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Handler.RunAsync(context));

        Assert.Equal(NodeState.Failed, _h.Registry.FindNode("h1")!.State);
        AssertNothingLeft();
        Assert.Contains((await _h.Registry.ListEventsAsync("h1")).Value!, e => e.Kind == EventKind.ProvisioningFailed && e.Message.Contains("cancelled", StringComparison.Ordinal));
    }

    [Fact]
    public async Task RunAsync_RetryAfterAStoppedAttemptLeftAFolder_Converges()
    {
        await ArrangeAsync();
        // The appliance stopped while s1's folder was being extracted: the folder is there, the registry knows nothing.
        _h.A.Folders[FolderA] = 1;

        await Handler.RunAsync(Context(attempt: 2));

        Assert.Equal(NodeState.Registered, _h.Registry.FindNode("h1")!.State);
        Assert.Equal(40L << 20, _h.A.Folders[FolderA]);
        Assert.Equal(40L << 20, _h.B.Folders[FolderB]);
        Assert.Equal([FolderA], ExportsOf("s1"));
        Assert.Equal([FolderB], ExportsOf("s2"));
    }

    [Fact]
    public async Task RunAsync_FirstAttemptFindsAFolderItDidNotMake_FailsAndLeavesThatFolder()
    {
        await ArrangeAsync();
        _h.A.Folders[FolderA] = 1;

        var error = await Assert.ThrowsAsync<JobFailedException>(() => Handler.RunAsync(Context()));

        Assert.Contains($"NFS root {FolderA} exists", error.Message, StringComparison.Ordinal);
        Assert.Equal(1, _h.A.Folders[FolderA]);
        Assert.Empty(_h.B.Folders);
        Assert.Empty(ExportsOf("s1"));
    }

    [Fact]
    public async Task RunAsync_RetriedAfterItFailed_RegisteredWithOneExportPerNode()
    {
        await ArrangeAsync();
        _h.B.FailCreate = true;
        await Assert.ThrowsAsync<JobFailedException>(() => Handler.RunAsync(Context()));
        _h.B.FailCreate = false;

        await Handler.RunAsync(Context(attempt: 2));

        Assert.Equal((NodeState.Registered, $"nfs:10.9.0.1:{FolderA}"), (_h.Registry.FindNode("h1")!.State, _h.Registry.FindNode("h1")!.Hardware!.Root!.ToString()));
        Assert.Equal([FolderA], ExportsOf("s1"));
        Assert.Equal([FolderB], ExportsOf("s2"));
        Assert.True(_h.A.NfsServed.ContainsKey(FolderA) && _h.B.NfsServed.ContainsKey(FolderB));
    }

    [Fact]
    public async Task RunAsync_ExportsRecordedButNodeStillProvisioning_OnlySyncsThenRegisters()
    {
        await ArrangeAsync();
        _h.A.Folders[FolderA] = 40 << 20;
        _h.B.Folders[FolderB] = 40 << 20;
        Assert.True((await _h.Registry.AddNfsExportsAsync([new("s1", FolderA), new("s2", FolderB)], Actor.Admin)).Succeeded);

        await Handler.RunAsync(Context(attempt: 2));

        Assert.Equal(NodeState.Registered, _h.Registry.FindNode("h1")!.State);
        Assert.Equal(0, _h.A.CommandsOf(NfsRootScripts.Extract) + _h.B.CommandsOf(NfsRootScripts.Extract));
        Assert.True(_h.A.NfsServed.ContainsKey(FolderA) && _h.B.NfsServed.ContainsKey(FolderB));
    }

    [Fact]
    public async Task RunAsync_Ext4ImageStillMakesAnAoeRoot()
    {
        await _h.AddPairAsync();
        await _h.AddImageAsync("rootfs", 8 << 20);
        Assert.True((await _h.Registry.AddProvisioningNodeAsync(
            new NodeInput { Name = "h1", Role = "hardware", Macs = ["52:54:00:00:0d:01"], MacField = "mac" }, "p1", "h1-root", StorageServiceCollectionExtensions.SlotChooserOf("p1"), Actor.Admin)).Succeeded);

        await Handler.RunAsync(Context());

        Assert.Equal("aoe-md:e1.1,e2.1", _h.Registry.FindNode("h1")!.Hardware!.Root!.ToString());
        Assert.Empty(_h.A.Folders);
        Assert.Empty(ExportsOf("s1"));
    }

    [Theory]
    [InlineData("/srv/fabric/volumes", "/srv/fabric/nfs/h1-root")]
    [InlineData("/srv/fabric/volumes/", "/srv/fabric/nfs/h1-root")]
    [InlineData("/data", "/nfs/h1-root")]
    [InlineData("/tmp/x/stor1/volumes", "/tmp/x/stor1/nfs/h1-root")]
    public void DirectoryOf_StoragePath_NfsBesideIt(string storagePath, string expected)
    {
        Assert.Equal(expected, NfsRootScripts.DirectoryOf(new StorageSpec("p1", 1, [], [], storagePath), "h1"));
    }
}

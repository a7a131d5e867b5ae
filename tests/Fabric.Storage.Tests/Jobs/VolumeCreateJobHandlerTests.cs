using Fabric.Core;
using Fabric.Core.Events;
using Fabric.Jobs.Running;
using Fabric.Remote;
using Fabric.Remote.Hosts;
using Fabric.Storage.Exports;
using Fabric.Storage.Jobs;
using Fabric.Storage.Volumes;

namespace Fabric.Storage.Tests.Jobs;

public sealed class VolumeCreateJobHandlerTests : IDisposable
{
    private readonly StorageJobHarness _h = new();

    public void Dispose() => _h.Dispose();

    private static RecordingJobContext Context(string name = "data1", long size = 64L << 20, string? image = null, int attempt = 1)
    {
        var arguments = new Dictionary<string, string> { ["name"] = name, ["pair"] = "p1", ["sizeBytes"] = size.ToString(System.Globalization.CultureInfo.InvariantCulture) };
        if (image is not null)
        {
            arguments["image"] = image;
        }

        return new RecordingJobContext(VolumeCreateJobHandler.KindName, null, arguments, attempt);
    }

    private VolumeCreateJobHandler Handler => new(_h.Maker);

    [Fact]
    public async Task RunAsync_BothNodesAnswer_FilesOnBothRecordedOnBothExportedOnBoth()
    {
        await _h.AddPairAsync();

        await Handler.RunAsync(Context());

        Assert.Equal(64L << 20, _h.A.Files["/srv/s1/volumes/data1.img"]);
        Assert.Equal(64L << 20, _h.B.Files["/srv/s2/volumes/data1.img"]);
        var volume = Assert.Single(_h.Registry.ListVolumes());
        Assert.Equal(("data1", "p1", 1), (volume.Name, volume.Pair, volume.Slot));
        Assert.Equal(["s1", "s2"], volume.Copies.Select(c => c.Node).Order());
        Assert.Equal(("eth0", "/srv/s1/volumes/data1.img"), _h.A.Exports["e1.1"]);
        Assert.Equal(("eth0", "/srv/s2/volumes/data1.img"), _h.B.Exports["e2.1"]);
        Assert.Empty(_h.Registry.ListReservations());
    }

    [Fact]
    public async Task RunAsync_FromDiskImage_MadeOnBothFromItsImgFile()
    {
        await _h.AddPairAsync();
        await _h.AddImageAsync("guest", 1 << 20, Fabric.Registry.Images.ImageFormat.Disk);

        await Handler.RunAsync(Context(image: "guest"));

        Assert.Equal("/srv/s1/images/guest.img", Assert.Single(_h.A.Host.Commands, c => ScriptedStorageNode.Is(c, VolumeScripts.Create)).Arguments[6]);
        Assert.Equal(["s1", "s2"], Assert.Single(_h.Registry.ListVolumes()).Copies.Select(c => c.Node).Order());
    }

    [Fact]
    public async Task RunAsync_FromTarImage_FailsNothingMade()
    {
        await _h.AddPairAsync();
        await _h.AddTarImageAsync("nfsroot", 1 << 20);

        var error = await Assert.ThrowsAsync<JobFailedException>(() => Handler.RunAsync(Context(image: "nfsroot")));

        Assert.Contains("a volume is made from an ext4 or disk image", error.Message, StringComparison.Ordinal);
        Assert.Empty(_h.Registry.ListVolumes());
        Assert.Empty(_h.Registry.ListReservations());
        Assert.DoesNotContain(_h.A.Host.Commands, c => ScriptedStorageNode.Is(c, VolumeScripts.Create));
    }

    [Fact]
    public async Task RunAsync_FromImage_EachNodeCopiesItsOwnImageFile()
    {
        await _h.AddPairAsync();
        await _h.AddImageAsync("base", 1 << 20);

        await Handler.RunAsync(Context(image: "base"));

        var createA = Assert.Single(_h.A.Host.Commands, c => ScriptedStorageNode.Is(c, VolumeScripts.Create));
        var createB = Assert.Single(_h.B.Host.Commands, c => ScriptedStorageNode.Is(c, VolumeScripts.Create));
        Assert.Equal("/srv/s1/images/base.img", createA.Arguments[6]);
        Assert.Equal("/srv/s2/images/base.img", createB.Arguments[6]);
    }

    [Fact]
    public async Task RunAsync_BothNodes_MakeTheirFilesAtTheSameTime()
    {
        await _h.AddPairAsync();
        using var bothInside = new Barrier(2);
        bool metA = false, metB = false;
        _h.A.Host.On(c => ScriptedStorageNode.Is(c, VolumeScripts.Create), _ => { metA = bothInside.SignalAndWait(TimeSpan.FromSeconds(60)); return Remote.Testing.FakeReply.Ok(); });
        _h.B.Host.On(c => ScriptedStorageNode.Is(c, VolumeScripts.Create), _ => { metB = bothInside.SignalAndWait(TimeSpan.FromSeconds(60)); return Remote.Testing.FakeReply.Ok(); });

        await Handler.RunAsync(Context());

        Assert.True(metA && metB, "each node's copy waited for the other's to start: they ran at once");
    }

    [Fact]
    public async Task RunAsync_SecondNodeDiskFull_FirstCopyRemovedNothingRecordedFailsNamingNodeAddressReason()
    {
        await _h.AddPairAsync();
        _h.B.FailCreate = true;

        var error = await Assert.ThrowsAsync<JobFailedException>(() => Handler.RunAsync(Context()));

        Assert.Contains("s2 (10.9.0.2:22)", error.Message, StringComparison.Ordinal);
        Assert.Contains("No space left on device", error.Message, StringComparison.Ordinal);
        Assert.Empty(_h.A.Files);
        Assert.Empty(_h.B.Files);
        Assert.Empty(_h.A.Exports);
        Assert.Empty(_h.Registry.ListVolumes());
        Assert.Empty(_h.Registry.ListReservations());
        Assert.All(_h.Registry.ListNodes(NodeRole.Storage), n => Assert.Empty(n.Storage!.Volumes));
    }

    [Fact]
    public async Task RunAsync_FirstNodeUnreachable_SecondCopyRemovedFailsNamingAddressAndReason()
    {
        await _h.AddPairAsync();
        _h.A.Host.FailEverything(new RemoteHostException(RemoteFailure.Unreachable, "root@10.9.0.1:22", "cannot connect to 10.9.0.1:22 after 4 attempts: Connection refused"));

        var error = await Assert.ThrowsAsync<JobFailedException>(() => Handler.RunAsync(Context()));

        Assert.Contains("s1 (10.9.0.1:22): cannot connect to 10.9.0.1:22 after 4 attempts: Connection refused", error.Message, StringComparison.Ordinal);
        Assert.Empty(_h.B.Files);
        Assert.Equal(1, _h.B.CommandsOf(VolumeScripts.Remove));
        Assert.Empty(_h.Registry.ListVolumes());
    }

    [Fact]
    public async Task RunAsync_HostKeyMismatch_RecordsEventOnThatNodeNothingLeftOnTheOther()
    {
        await _h.AddPairAsync();
        _h.B.Host.FailEverything(new HostKeyMismatchException("root@10.9.0.2:22", HostKey.Parse(StorageJobHarness.PinB), "ssh-ed25519", "SHA256:other"));

        var error = await Assert.ThrowsAsync<JobFailedException>(() => Handler.RunAsync(Context()));

        Assert.Contains("host key mismatch", error.Message, StringComparison.Ordinal);
        Assert.Contains((await _h.Registry.ListEventsAsync("s2")).Value!, e => e.Kind == EventKind.SshHostKeyMismatch && e.Actor == "job:9");
        Assert.Empty(_h.A.Files);
        Assert.Empty(_h.Registry.ListVolumes());
    }

    [Fact]
    public async Task RunAsync_TenJobsAtOnce_TenSlotsEachExportStartedOnce()
    {
        await _h.AddPairAsync();

        await Task.WhenAll(Enumerable.Range(1, 10).Select(i => Task.Run(() => Handler.RunAsync(Context($"v{i}")))));

        Assert.Equal(Enumerable.Range(1, 10), _h.Registry.ListVolumes().Select(v => v.Slot).Order());
        Assert.Equal(10, _h.A.CommandsOf(ExportScripts.Start));
        Assert.Equal(10, _h.B.CommandsOf(ExportScripts.Start));
        Assert.Equal(10, _h.A.Exports.Count);
    }

    [Fact]
    public async Task RunAsync_Again_ChangesNothing()
    {
        await _h.AddPairAsync();
        await Handler.RunAsync(Context());
        var before = _h.Registry.ListNodes(NodeRole.Storage);
        int commandsA = _h.A.Host.Commands.Count;

        await Handler.RunAsync(Context());

        Assert.Equal(1, _h.A.CommandsOf(VolumeScripts.Create));
        Assert.Equal(1, _h.B.CommandsOf(VolumeScripts.Create));
        Assert.Equal(1, _h.A.CommandsOf(ExportScripts.Start));
        Assert.Equal(before, _h.Registry.ListNodes(NodeRole.Storage));
        Assert.All(_h.A.Host.Commands.Skip(commandsA), c => Assert.True(ScriptedStorageNode.Is(c, ExportScripts.List), c.ToString()));
        Assert.Single(_h.Registry.ListVolumes());
    }

    [Fact]
    public async Task RunAsync_RetryAfterAnInterruptedAttemptLeftAFile_MadeAgainAndRecorded()
    {
        await _h.AddPairAsync();
        _h.A.Files["/srv/s1/volumes/data1.img"] = 4096;

        await Handler.RunAsync(Context(attempt: 2));

        Assert.Equal(64L << 20, _h.A.Files["/srv/s1/volumes/data1.img"]);
        Assert.Single(_h.Registry.ListVolumes());
    }

    [Fact]
    public async Task RunAsync_FirstAttemptMeetsAFileNotInTheRegistry_FailsAndKeepsIt()
    {
        await _h.AddPairAsync();
        _h.A.Files["/srv/s1/volumes/data1.img"] = 4096;

        var error = await Assert.ThrowsAsync<JobFailedException>(() => Handler.RunAsync(Context()));

        Assert.Contains("exists", error.Message, StringComparison.Ordinal);
        Assert.Equal(4096, _h.A.Files["/srv/s1/volumes/data1.img"]);
        Assert.Empty(_h.B.Files);
        Assert.Empty(_h.Registry.ListVolumes());
    }

    [Fact]
    public async Task RunAsync_CancelledWhileCopying_TakesBackTheFinishedCopyRecordsNothing()
    {
        await _h.AddPairAsync();
        var context = Context();
        _h.A.Host.On(c => ScriptedStorageNode.Is(c, VolumeScripts.Create), new Remote.Testing.FakeReply(RunsUntilCancelled: true));
        _h.B.OnCreated = () => context.Cancel.CancelAfter(TimeSpan.FromMilliseconds(50));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Handler.RunAsync(context));

        Assert.Empty(_h.B.Files);
        Assert.Empty(_h.Registry.ListVolumes());
        Assert.Empty(_h.Registry.ListReservations());
    }

    [Fact]
    public async Task RunAsync_SlotHeldForAnotherVolume_TakesTheNextFreeSlot()
    {
        await _h.AddPairAsync();
        await Handler.RunAsync(Context("data1"));
        Assert.Equal(2, (await _h.Registry.ReserveVolumeSlotAsync("p1", "data2")).Value!.Slot);

        await Handler.RunAsync(Context("data3"));

        Assert.Equal(3, _h.Registry.ListVolumes().Single(v => v.Name == "data3").Slot);
        Assert.Equal(("data2", 2), _h.Registry.ListReservations().Select(r => (r.Volume, r.Slot)).Single());
    }

    [Theory]
    [InlineData("name", "../x")]
    [InlineData("pair", "bad pair")]
    [InlineData("sizeBytes", "2G")]
    [InlineData("image", "a b")]
    [InlineData("force", "true")]
    public void Validate_BadArgument_NamesIt(string key, string value)
    {
        var arguments = new Dictionary<string, string> { ["name"] = "data1", ["pair"] = "p1", ["sizeBytes"] = "1024", [key] = value };

        var errors = Handler.Validate(arguments);

        Assert.Equal($"arguments.{key}", Assert.Single(errors).Field);
    }
}

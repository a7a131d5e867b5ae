using Fabric.Core;
using Fabric.Core.Events;
using Fabric.Jobs.Model;
using Fabric.Jobs.Running;
using Fabric.Registry;
using Fabric.Remote;
using Fabric.Remote.Hosts;
using Fabric.Remote.Testing;
using Fabric.Storage.Exports;
using Fabric.Storage.Jobs;
using Fabric.Storage.Nfs;

namespace Fabric.Storage.Tests.Jobs;

public sealed class StorageSyncJobHandlerTests : IDisposable
{
    private const string Pin = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOqlDtcScx3TBXl3oaum63sKOEpeBAX7UfklRfGs6x9l";

    private readonly string _dir = Directory.CreateTempSubdirectory("fabric-storage-jobs-").FullName;
    private readonly IRegistry _registry;
    private readonly FakeRemoteHosts _hosts = new();

    public StorageSyncJobHandlerTests() => _registry = FabricRegistry.Open(Path.Combine(_dir, "fabric.db"));

    public void Dispose()
    {
        _registry.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    private async Task AddStorageAsync(string? hostKey = Pin)
    {
        var added = await _registry.AddNodeAsync(
            new NodeInput
            {
                Name = "s1",
                Role = "storage",
                Macs = ["52:54:00:00:0c:01"],
                MacField = "mac",
                Pair = "p1",
                AoeShelf = 1,
                SshAddress = "10.9.0.1",
                SshPort = 2200,
                SshHostKey = hostKey,
                AoeInterface = "veth-s1",
                Volumes = [new VolumeInput("root-h1", 1, 1 << 20, "/srv/fabric/volumes/root-h1.img")],
            },
            Actor.Admin);
        Assert.True(added.Succeeded, added.Error?.ToString());
    }

    private FakeRemoteHost Host => _hosts.Host(new SshTarget("10.9.0.1", 2200, "root", Pin));

    [Fact]
    public async Task RunAsync_NothingRunning_StartsTheVolumeOnTheNodesSshTarget()
    {
        await AddStorageAsync();
        Host.On(c => c.Equals(ExportScripts.ListCommand()), FakeReply.Ok(""));
        var context = new FakeJobContext(new Dictionary<string, string> { ["dryRun"] = "false" });

        await new StorageSyncJobHandler(_registry, _hosts).RunAsync(context);

        Assert.Equal(3, Host.Commands.Count);
        Assert.Equal(["1", "1", "veth-s1", "/srv/fabric/volumes/root-h1.img"], Host.Commands[1].Arguments.Skip(4));
        Assert.Equal(GaneshaScripts.StatusCommand("/run/fabric"), Host.Commands[2]);
        Assert.Contains(context.Lines, l => l.Contains("start e1.1", StringComparison.Ordinal));
    }

    [Fact]
    public async Task RunAsync_DryRun_OnlyLists()
    {
        await AddStorageAsync();
        Host.On(c => c.Equals(ExportScripts.ListCommand()), FakeReply.Ok(""));

        await new StorageSyncJobHandler(_registry, _hosts).RunAsync(new FakeJobContext(new Dictionary<string, string> { ["dryRun"] = "true" }));

        Assert.Equal([ExportScripts.ListCommand(), GaneshaScripts.StatusCommand("/run/fabric")], Host.Commands);
    }

    [Fact]
    public async Task RunAsync_HostKeyMismatch_FailsRecordsEventRunsNothing()
    {
        await AddStorageAsync();
        Host.FailEverything(new HostKeyMismatchException("root@10.9.0.1:2200", HostKey.Parse(Pin), "ssh-ed25519", "SHA256:other"));

        var error = await Assert.ThrowsAsync<JobFailedException>(() => new StorageSyncJobHandler(_registry, _hosts).RunAsync(new FakeJobContext([])));

        Assert.Contains("10.9.0.1:2200", error.Message, StringComparison.Ordinal);
        Assert.Contains((await _registry.ListEventsAsync("s1")).Value!, e => e.Kind == EventKind.SshHostKeyMismatch && e.Actor == "job:7");
        Assert.All(Host.Commands, c => Assert.Equal(ExportScripts.ListCommand(), c));
    }

    [Fact]
    public async Task RunAsync_Unreachable_FailsNamingAddressAndReason()
    {
        await AddStorageAsync();
        Host.FailEverything(new RemoteHostException(RemoteFailure.Unreachable, "root@10.9.0.1:2200", "cannot connect to 10.9.0.1:2200 after 4 attempts: Connection refused"));

        var error = await Assert.ThrowsAsync<JobFailedException>(() => new StorageSyncJobHandler(_registry, _hosts).RunAsync(new FakeJobContext([])));

        Assert.Contains("10.9.0.1:2200 after 4 attempts: Connection refused", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunAsync_NoHostKeyPinned_FailsBeforeConnecting()
    {
        await AddStorageAsync(hostKey: null);

        await Assert.ThrowsAsync<JobFailedException>(() => new StorageSyncJobHandler(_registry, _hosts).RunAsync(new FakeJobContext([])));

        Assert.Empty(_hosts.Hosts.SelectMany(h => h.Commands));
    }

    [Theory]
    [InlineData("dryRun", "yes")]
    [InlineData("force", "true")]
    public void Validate_BadArgument_NamesIt(string key, string value)
    {
        var errors = new StorageSyncJobHandler(_registry, _hosts).Validate(new Dictionary<string, string> { [key] = value });

        Assert.Equal($"arguments.{key}", Assert.Single(errors).Field);
    }

    private sealed class FakeJobContext(Dictionary<string, string> arguments) : IJobContext
    {
        public List<string> Lines { get; } = [];

        public Job Job { get; } = new()
        {
            Id = 7,
            Kind = StorageSyncJobHandler.KindName,
            Node = "s1",
            Arguments = arguments,
            State = JobState.Running,
            Actor = "admin",
            CreatedAt = DateTimeOffset.UnixEpoch,
            QueuedAt = DateTimeOffset.UnixEpoch,
        };

        public CancellationToken CancellationToken => CancellationToken.None;

        public ValueTask StepAsync(string name) => ValueTask.CompletedTask;

        public void Progress(long done, long? total, string unit)
        {
        }

        public void Log(string line) => Lines.Add(line);
    }
}

using System.Diagnostics.Metrics;
using Fabric.Core.Events;
using Fabric.Core.Lifecycle;
using Fabric.Registry;
using Fabric.Remote;
using Fabric.Remote.Hosts;
using Fabric.Remote.Testing;
using Fabric.Storage.Health;
using Fabric.Storage.Jobs;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Fabric.Storage.Tests.Health;

public sealed class StorageHealthMonitorTests : IDisposable
{
    private const string Pin = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOqlDtcScx3TBXl3oaum63sKOEpeBAX7UfklRfGs6x9l";
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(5);

    private readonly string _dir = Directory.CreateTempSubdirectory("fabric-storage-health-").FullName;
    private readonly IRegistry _registry;
    private readonly FakeRemoteHosts _hosts = new();
    private readonly QueuedJobsService _jobs = new();
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 12, 2, 1, 0, 0, TimeSpan.Zero));
    private readonly StorageMetrics _metrics = new();

    public StorageHealthMonitorTests() => _registry = FabricRegistry.Open(Path.Combine(_dir, "fabric.db"));

    public void Dispose()
    {
        _metrics.Dispose();
        _registry.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    private FakeRemoteHost Store1 => _hosts.Host(new SshTarget("10.9.0.11", 22, "root", Pin));

    private FakeRemoteHost Store0 => _hosts.Host(new SshTarget("10.9.0.10", 22, "root", Pin));

    private StorageHealthMonitor Monitor() => new(
        _registry, _hosts, _jobs, Options.Create(new StorageHealthOptions { CheckInterval = Interval }), _time, _metrics, NullLogger<StorageHealthMonitor>.Instance);

    private async Task AddAsync(NodeInput input)
    {
        var added = await _registry.AddNodeAsync(input with { MacField = "mac" }, Actor.Admin);
        Assert.True(added.Succeeded, added.Error?.ToString());
    }

    private async Task AddPairWithRootsAsync()
    {
        await AddAsync(new NodeInput { Name = "store0", Role = "storage", Macs = ["52:54:00:00:0c:00"], Pair = "p", AoeShelf = 0, SshAddress = "10.9.0.10", SshHostKey = Pin });
        await AddAsync(new NodeInput { Name = "store1", Role = "storage", Macs = ["52:54:00:00:0c:01"], Pair = "p", AoeShelf = 1, SshAddress = "10.9.0.11", SshHostKey = Pin });
        await AddAsync(new NodeInput { Name = "hnode02", Role = "hardware", Macs = ["52:54:00:00:0d:02"], Root = "aoe-md:e0.2,e1.2" });
        await AddAsync(new NodeInput { Name = "hnode01", Role = "hardware", Macs = ["52:54:00:00:0d:01"], Root = "aoe-md:e0.1,e1.1" });
        await AddAsync(new NodeInput { Name = "hnode03", Role = "hardware", Macs = ["52:54:00:00:0d:03"], Root = "aoe-md:e0.3,e1.3" });
        await AddAsync(new NodeInput { Name = "hnode04", Role = "hardware", Macs = ["52:54:00:00:0d:04"], Root = "aoe:e1.4" });
        foreach (var up in (string[])["hnode01", "hnode02", "hnode04"])
        {
            Assert.True((await _registry.ApplyAsync(up, NodeTrigger.ReportedUp, EventKind.BootUp, "up", Actor.Node(up))).Succeeded);
        }
    }

    private static RemoteHostException Refused(string host) =>
        new(RemoteFailure.Unreachable, $"root@{host}:22", $"cannot connect to {host}:22 after 4 attempts: Connection refused (ConnectionRefused)");

    [Fact]
    public async Task ExecuteAsync_NodeUnreachableThenBack_DownUpEventsAndRepairJobsInOrder()
    {
        await AddPairWithRootsAsync();
        long checksOk = 0, checksDown = 0;
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (ReferenceEquals(instrument.Meter, _metrics.Meter))
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            if (instrument.Name == "fabric.storage.checks")
            {
                _ = tags[0].Value as string == "ok" ? Interlocked.Add(ref checksOk, value) : Interlocked.Add(ref checksDown, value);
            }
        });
        listener.Start();

        var monitor = Monitor();
        Assert.Equal(StorageHealth.Unknown, monitor.Of("store1").Health);
        await monitor.StartAsync(CancellationToken.None);
        try
        {
            await WaitFor.TrueAsync(() => monitor.Rounds >= 1, "the first round");
            Assert.Equal(StorageHealth.Ok, monitor.Of("store1").Health);
            Assert.Equal(StorageHealth.Ok, monitor.Of("store0").Health);
            Assert.Equal(StorageHealthMonitor.Probe, Assert.Single(Store1.Commands));

            Store1.FailEverything(Refused("10.9.0.11"));
            _time.Advance(Interval);
            await WaitFor.TrueAsync(() => monitor.Rounds >= 2, "the second round");
            var down = monitor.Of("store1");
            Assert.Equal(StorageHealth.Down, down.Health);
            Assert.Contains("Connection refused", down.Reason, StringComparison.Ordinal);
            Assert.Equal(StorageHealth.Ok, monitor.Of("store0").Health);

            _time.Advance(Interval);
            await WaitFor.TrueAsync(() => monitor.Rounds >= 3, "the third round");
            Assert.Empty(_jobs.Queued);

            Store1.On(_ => true, FakeReply.Ok());
            _time.Advance(Interval);
            await WaitFor.TrueAsync(() => monitor.Rounds >= 4, "the fourth round");
            Assert.Equal(StorageHealth.Ok, monitor.Of("store1").Health);
        }
        finally
        {
            await monitor.StopAsync(CancellationToken.None);
        }

        var events = (await _registry.ListEventsAsync("store1")).Value!.Where(e => e.Kind == EventKind.StorageDown || e.Kind == EventKind.StorageUp).ToList();
        Assert.Equal([EventKind.StorageDown, EventKind.StorageUp], events.Select(e => e.Kind));
        Assert.Contains("10.9.0.11:22", events[0].Message, StringComparison.Ordinal);
        Assert.All(events, e => Assert.Equal("appliance", e.Actor));
        Assert.DoesNotContain((await _registry.ListEventsAsync("store0")).Value!, e => e.Kind == EventKind.StorageDown);

        // The exports come back first; then every up hardware node with an md half on shelf 1, by name, waits for that sync.
        var queued = _jobs.Queued;
        Assert.Equal(
            [(StorageSyncJobHandler.KindName, "store1"), (MdRepairJobHandler.KindName, "hnode01"), (MdRepairJobHandler.KindName, "hnode02")],
            queued.Select(j => (j.Kind, j.Node!)));
        Assert.Equal("false", queued[0].Arguments["dryRun"]);
        Assert.Equal("e1.1", queued[1].Arguments["target"]);
        Assert.Equal("e1.2", queued[2].Arguments["target"]);
        Assert.All(queued.Skip(1), j => Assert.Equal(queued[0].Id.ToString(System.Globalization.CultureInfo.InvariantCulture), j.Arguments["after"]));
        Assert.All(queued, j => Assert.Equal("appliance", j.Actor));

        listener.RecordObservableInstruments();
        Assert.Equal(2, Interlocked.Read(ref checksDown));
        Assert.Equal(6, Interlocked.Read(ref checksOk));
    }

    [Fact]
    public async Task CheckAllAsync_CommandHangs_DownWithinTheCheckTimeout()
    {
        await AddPairWithRootsAsync();
        Store0.On(_ => true, new FakeReply(RunsUntilCancelled: true));
        var monitor = Monitor();

        var round = monitor.CheckAllAsync();
        await WaitFor.TrueAsync(() => Store0.Commands.Count == 1, "the check to start");
        Assert.False(round.IsCompleted);
        _time.Advance(Interval * 0.8);
        await round;

        Assert.Equal(StorageHealth.Down, monitor.Of("store0").Health);
        Assert.Contains("no answer within 4 s", monitor.Of("store0").Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CheckAllAsync_DownAlready_RecordsOneEvent()
    {
        await AddPairWithRootsAsync();
        Store1.FailEverything(Refused("10.9.0.11"));
        var monitor = Monitor();

        await monitor.CheckAllAsync();
        await monitor.CheckAllAsync();
        await monitor.CheckAllAsync();

        Assert.Single((await _registry.ListEventsAsync("store1")).Value!, e => e.Kind == EventKind.StorageDown);
    }

    [Fact]
    public async Task CheckAllAsync_LastEventStorageUpBeforeRestart_NoRepair()
    {
        await AddPairWithRootsAsync();
        await _registry.RecordAsync("store1", EventKind.StorageDown, "root@10.9.0.11:22: refused", Actor.Appliance);
        await _registry.RecordAsync("store1", EventKind.StorageUp, "answers again", Actor.Appliance);
        var monitor = Monitor();

        await monitor.CheckAllAsync();

        Assert.Equal(StorageHealth.Ok, monitor.Of("store1").Health);
        Assert.Empty(_jobs.Queued);
    }

    [Fact]
    public async Task CheckAllAsync_LastEventStorageDownBeforeRestart_RepairsWhenItAnswers()
    {
        await AddPairWithRootsAsync();
        await _registry.RecordAsync("store1", EventKind.StorageUp, "answers again", Actor.Appliance);
        await _registry.RecordAsync("store1", EventKind.StorageDown, "root@10.9.0.11:22: refused", Actor.Appliance);
        var monitor = Monitor();

        await monitor.CheckAllAsync();

        Assert.Equal(StorageHealth.Ok, monitor.Of("store1").Health);
        Assert.Equal(["store1", "hnode01", "hnode02"], _jobs.Queued.Select(j => j.Node!));
        Assert.Contains((await _registry.ListEventsAsync("store1")).Value!, e => e.Kind == EventKind.StorageUp);
    }

    [Fact]
    public async Task CheckAllAsync_NoHostKeyOrRetired_NotCheckedStaysUnknown()
    {
        await AddAsync(new NodeInput { Name = "unpinned", Role = "storage", Macs = ["52:54:00:00:0c:05"], Pair = "q", AoeShelf = 5, SshAddress = "10.9.0.15" });
        await AddAsync(new NodeInput { Name = "old", Role = "storage", Macs = ["52:54:00:00:0c:06"], Pair = "q", AoeShelf = 6, SshAddress = "10.9.0.16", SshHostKey = Pin });
        Assert.True((await _registry.UpdateNodeAsync("old", new NodeInput { State = "retired" }, Actor.Admin)).Succeeded);
        var monitor = Monitor();

        await monitor.CheckAllAsync();

        Assert.Equal(StorageHealth.Unknown, monitor.Of("unpinned").Health);
        Assert.Equal(StorageHealth.Unknown, monitor.Of("old").Health);
        Assert.Empty(_hosts.Hosts.SelectMany(h => h.Commands));
    }

    [Fact]
    public async Task CheckAllAsync_HostKeyMismatch_DownNamingIt()
    {
        await AddPairWithRootsAsync();
        Store0.FailEverything(new HostKeyMismatchException("root@10.9.0.10:22", HostKey.Parse(Pin), "ssh-ed25519", "SHA256:other"));
        var monitor = Monitor();

        await monitor.CheckAllAsync();

        Assert.Equal(StorageHealth.Down, monitor.Of("store0").Health);
        Assert.Contains("host key mismatch", monitor.Of("store0").Reason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("00:00:05", null)]
    [InlineData("00:00:00.5", "Fabric:Storage:CheckInterval: '00:00:00.5' is not a time span")]
    [InlineData("ten", "Fabric:Storage:CheckInterval: 'ten' is not a time span")]
    public void Read_CheckInterval_ValidatedNamingTheKey(string value, string? problem)
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["Fabric:Storage:CheckInterval"] = value }).Build();
        var options = new StorageHealthOptions();

        StorageHealthOptions.Read(configuration, options);
        var result = new StorageHealthOptions.Validator().Validate(null, options);

        if (problem is null)
        {
            Assert.True(result.Succeeded);
            Assert.Equal(TimeSpan.FromSeconds(5), options.CheckInterval);
            Assert.Equal(TimeSpan.FromSeconds(4), options.CheckTimeout);
        }
        else
        {
            Assert.StartsWith(problem, Assert.Single(result.Failures!), StringComparison.Ordinal);
        }
    }
}

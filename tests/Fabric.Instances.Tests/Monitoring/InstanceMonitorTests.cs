using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Fabric.Core;
using Fabric.Core.Events;
using Fabric.Core.Lifecycle;
using Fabric.Instances.Hypervisor;
using Fabric.Instances.Monitoring;
using Fabric.Instances.Qmp;
using Fabric.Instances.Settings;
using Fabric.Instances.Tests.Jobs;
using Fabric.Jobs.Model;
using Fabric.Registry;
using Fabric.Remote;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Fabric.Instances.Tests.Monitoring;

/// <summary>The monitor on a real registry, a fake driver (which qemus run, which hypervisors answer) and a
/// <see cref="FakeTimeProvider"/>.</summary>
public sealed class InstanceMonitorTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("fabric-instance-monitor-").FullName;
    private readonly IRegistry _registry;
    private readonly FakeDriver _driver = new();
    private readonly RecordingJobService _jobs = new();
    private readonly FakeTimeProvider _time = new();
    private readonly InstanceMetrics _metrics;
    private readonly InstanceMonitor _monitor;

    public InstanceMonitorTests()
    {
        _registry = FabricRegistry.Open(Path.Combine(_dir, "fabric.db"));
        _metrics = new InstanceMetrics(_registry);
        _monitor = new InstanceMonitor(_registry, _driver, _jobs, Options.Create(new InstanceOptions()), _time, _metrics, NullLogger<InstanceMonitor>.Instance);
    }

    public void Dispose()
    {
        _monitor.Dispose();
        _metrics.Dispose();
        _registry.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    private sealed class FakeDriver : IHypervisorDriver
    {
        public ConcurrentDictionary<(string Hypervisor, string Instance), bool> Running { get; } = new();

        public ConcurrentDictionary<string, bool> Unreachable { get; } = new();

        public string Console { get; set; } = "";

        public Task<bool> IsRunningAsync(string hypervisor, string instance, CancellationToken cancellationToken) =>
            Unreachable.ContainsKey(hypervisor)
                ? Task.FromException<bool>(new RemoteHostException(RemoteFailure.Unreachable, hypervisor, "connection refused"))
                : Task.FromResult(Running.GetValueOrDefault((hypervisor, instance)));

        public Task<string> ConsoleAsync(string hypervisor, string instance, int bytes, CancellationToken cancellationToken) => Task.FromResult(Console);

        public Task LaunchAsync(string hypervisor, QemuSpec spec, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<QmpClient> ConnectQmpAsync(string hypervisor, string instance, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task KillAsync(string hypervisor, string instance, CancellationToken cancellationToken) => throw new NotSupportedException();
    }

    private async Task InstanceAsync(string name, InstanceState state, string mac)
    {
        if (_registry.FindNode("hv1") is null)
        {
            Assert.True((await _registry.AddNodeAsync(new NodeInput { Name = "hv1", Role = "hardware", Macs = ["52:54:00:00:30:01"], MacField = "mac", CpuCores = 8, MemoryMiB = 8192 }, Actor.Admin)).Succeeded);
        }

        var added = await _registry.AddNodeAsync(
            new NodeInput { Name = name, Role = "instance", Macs = [mac], MacField = "mac", VCpus = 1, MemoryMiB = 256, DiskVolume = "/srv/x.img", Hypervisor = "hv1" }, Actor.Admin);
        Assert.True(added.Succeeded, added.Error?.ToString());
        var path = state switch
        {
            InstanceState.Running => new[] { InstanceState.Starting, InstanceState.Running },
            InstanceState.Migrating => [InstanceState.Starting, InstanceState.Running, InstanceState.Migrating],
            InstanceState.Stopped => [InstanceState.Starting, InstanceState.Running, InstanceState.Stopping, InstanceState.Stopped],
            _ => [],
        };
        var from = InstanceState.Defined;
        foreach (var to in path)
        {
            Assert.True((await _registry.TransitionInstanceAsync(name, from, to, null, "test", Actor.Job("1"))).Succeeded);
            from = to;
        }
    }

    private InstanceState StateOf(string name) => _registry.FindNode(name)!.Instance!.State!.Value;

    private async Task<List<NodeEvent>> EventsAsync(string name, EventKind kind) =>
        [.. (await _registry.ListEventsAsync(name)).Value!.Where(e => e.Kind == kind)];

    [Fact]
    public async Task CheckAll_QemuGone_FailedWithProcessLostEventNamingHypervisorAndConsoleAndCounted()
    {
        await InstanceAsync("web", InstanceState.Running, "0e:00:00:00:30:01");
        await InstanceAsync("db", InstanceState.Running, "0e:00:00:00:30:02");
        _driver.Running[("hv1", "db")] = true;
        _driver.Console = "[  12.3] Kernel panic - not syncing: Attempted to kill init!\n\x1b[0m---[ end Kernel panic ]---\n";
        long lost = 0;
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter == _metrics.Meter && instrument.Name == "fabric_instances_lost_total")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((_, value, _, _) => Interlocked.Add(ref lost, value));
        listener.Start();

        await _monitor.CheckAllAsync();

        Assert.Equal((InstanceState.Failed, InstanceState.Running), (StateOf("web"), StateOf("db")));
        var lostEvent = Assert.Single(await EventsAsync("web", EventKind.InstanceProcessLost));
        Assert.Contains("gone from hv1", lostEvent.Message, StringComparison.Ordinal);
        Assert.Contains("its console ended with: [  12.3] Kernel panic - not syncing: Attempted to kill init! | ", lostEvent.Message, StringComparison.Ordinal);
        Assert.EndsWith("---[ end Kernel panic ]---", lostEvent.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\x1b', lostEvent.Message);
        Assert.Equal(Actor.Appliance.ToString(), lostEvent.Actor);
        Assert.Equal(1, Interlocked.Read(ref lost));
        Assert.Empty(await EventsAsync("db", EventKind.InstanceProcessLost));
    }

    [Fact]
    public async Task CheckAll_MigratingInstanceHeldByItsJob_NeverJudged()
    {
        await InstanceAsync("web", InstanceState.Migrating, "0e:00:00:00:30:01");
        await _jobs.EnqueueAsync(new NewJob("instance-migrate", "web", new Dictionary<string, string> { ["target"] = "hv2" }, "admin"));

        await _monitor.CheckAllAsync();

        Assert.Equal(InstanceState.Migrating, StateOf("web"));
        Assert.Empty(await EventsAsync("web", EventKind.InstanceProcessLost));
    }

    [Fact]
    public async Task CheckAll_InstancesOfAHypervisorBeingEvacuated_NeverJudged()
    {
        // An evacuation migrates each instance itself (no instance-migrate job): the source qemu is gone for a moment
        // before the registry names the target.
        await InstanceAsync("web", InstanceState.Migrating, "0e:00:00:00:30:01");
        await InstanceAsync("db", InstanceState.Running, "0e:00:00:00:30:02");
        await _jobs.EnqueueAsync(new NewJob("node-evacuate", "hv1", new Dictionary<string, string>(), "admin"));

        await _monitor.CheckAllAsync();

        Assert.Equal((InstanceState.Migrating, InstanceState.Running), (StateOf("web"), StateOf("db")));
        Assert.Empty(await EventsAsync("web", EventKind.InstanceProcessLost));
        Assert.Empty(await EventsAsync("db", EventKind.InstanceProcessLost));
    }

    [Fact]
    public async Task CheckAll_OtherJobOnTheHypervisor_InstancesStillJudged()
    {
        await InstanceAsync("web", InstanceState.Running, "0e:00:00:00:30:01");
        await _jobs.EnqueueAsync(new NewJob("md-repair", "hv1", new Dictionary<string, string>(), "admin"));

        await _monitor.CheckAllAsync();

        Assert.Equal(InstanceState.Failed, StateOf("web"));
    }

    [Fact]
    public async Task CheckAll_MigratingWithoutAJobAndQemuGone_Failed()
    {
        await InstanceAsync("web", InstanceState.Migrating, "0e:00:00:00:30:01");

        await _monitor.CheckAllAsync();

        Assert.Equal(InstanceState.Failed, StateOf("web"));
    }

    [Fact]
    public async Task CheckAll_StoppedInstance_NotLookedFor()
    {
        await InstanceAsync("web", InstanceState.Stopped, "0e:00:00:00:30:01");

        await _monitor.CheckAllAsync();

        Assert.Equal(InstanceState.Stopped, StateOf("web"));
    }

    [Fact]
    public async Task CheckAll_HypervisorUnreachableTwice_StateKeptAndOneEventThenAgainAfterItAnswered()
    {
        await InstanceAsync("web", InstanceState.Running, "0e:00:00:00:30:01");
        _driver.Unreachable["hv1"] = true;

        await _monitor.CheckAllAsync();
        await _monitor.CheckAllAsync();

        Assert.Equal(InstanceState.Running, StateOf("web"));
        var uncheckedEvent = Assert.Single(await EventsAsync("web", EventKind.InstanceUnchecked));
        Assert.Contains("cannot ask hv1", uncheckedEvent.Message, StringComparison.Ordinal);
        Assert.Contains("connection refused", uncheckedEvent.Message, StringComparison.Ordinal);

        _driver.Unreachable.Clear();
        _driver.Running[("hv1", "web")] = true;
        await _monitor.CheckAllAsync();
        _driver.Unreachable["hv1"] = true;
        await _monitor.CheckAllAsync();

        Assert.Equal(2, (await EventsAsync("web", EventKind.InstanceUnchecked)).Count);
        Assert.Equal(InstanceState.Running, StateOf("web"));
    }

    [Fact]
    public async Task ExecuteAsync_EachCheckInterval_ARoundAndTheLostInstanceFailed()
    {
        await InstanceAsync("web", InstanceState.Running, "0e:00:00:00:30:01");
        _driver.Running[("hv1", "web")] = true;
        await _monitor.StartAsync(CancellationToken.None);

        await AdvanceUntilAsync(() => _monitor.Rounds >= 1);
        Assert.Equal(InstanceState.Running, StateOf("web"));

        _driver.Running[("hv1", "web")] = false;
        await AdvanceUntilAsync(() => StateOf("web") == InstanceState.Failed);

        Assert.Single(await EventsAsync("web", EventKind.InstanceProcessLost));
        await _monitor.StopAsync(CancellationToken.None);
    }

    /// <summary>Moves the fake clock one interval at a time (the monitor's timer may start after the test went on)
    /// until <paramref name="condition"/> holds.</summary>
    private async Task AdvanceUntilAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "the condition did not become true");
            _time.Advance(new InstanceOptions().CheckInterval);
            await Task.Delay(50);
        }
    }

    [Fact]
    public async Task Gauge_InstancesByState_EveryStateReported()
    {
        var seen = new ConcurrentDictionary<string, long>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter == _metrics.Meter && instrument.Name == "fabric_instances")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((_, value, tags, _) => seen[(string)tags[0].Value!] = value);
        listener.Start();
        await InstanceAsync("web", InstanceState.Running, "0e:00:00:00:30:01");

        listener.RecordObservableInstruments();

        Assert.Equal(Enum.GetValues<InstanceState>().Select(s => s.ToWire()).Order(), seen.Keys.Order());
        Assert.Equal((1L, 0L), (seen["running"], seen["failed"]));
    }
}

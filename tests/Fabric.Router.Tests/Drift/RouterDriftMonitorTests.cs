using System.Diagnostics.Metrics;
using Fabric.Core;
using Fabric.Core.Events;
using Fabric.Registry;
using Fabric.Remote;
using Fabric.Remote.Hosts;
using Fabric.Router.Drift;
using Fabric.Router.Jobs;
using Fabric.Router.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Fabric.Router.Tests.Drift;

/// <summary>The drift check with a fake clock against a router that keeps state: a sub-interface removed by hand is
/// drift (one event, the gauge), apply repairs it and the next check clears it; an unreachable router is one event and
/// counted failures, and nothing else changes.</summary>
public sealed class RouterDriftMonitorTests : IDisposable
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(60);

    private readonly string _dir = Directory.CreateTempSubdirectory("fabric-router-drift-").FullName;
    private readonly IRegistry _registry;
    private readonly SshTarget _target = new("192.0.2.7", 2222, "root", Fixtures.Pin);
    private readonly FakeRouterHost _router;
    private readonly RouterHosts _hosts;
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 12, 2, 1, 0, 0, TimeSpan.Zero));
    private readonly RouterMetrics _metrics = new();
    private readonly MeterListener _listener = new();
    private readonly Dictionary<string, long> _gauge = new(StringComparer.Ordinal);
    private readonly Dictionary<string, long> _failures = new(StringComparer.Ordinal);

    public RouterDriftMonitorTests()
    {
        _registry = FabricRegistry.Open(Path.Combine(_dir, "fabric.db"));
        _router = new FakeRouterHost(_target).WithLink("lo").WithLink("eth1").WithLink("eth2");
        _hosts = new RouterHosts(_router);
        _listener.InstrumentPublished = (instrument, l) =>
        {
            if (ReferenceEquals(instrument.Meter, _metrics.Meter))
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<int>((instrument, value, tags, _) => Record(_gauge, tags, value, replace: true));
        _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) => Record(_failures, tags, value, replace: false));
        _listener.Start();
    }

    public void Dispose()
    {
        _listener.Dispose();
        _metrics.Dispose();
        _registry.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    private static void Record(Dictionary<string, long> into, ReadOnlySpan<KeyValuePair<string, object?>> tags, long value, bool replace)
    {
        var router = (string)tags[0].Value!;
        lock (into)
        {
            into[router] = replace ? value : into.GetValueOrDefault(router) + value;
        }
    }

    private long Gauge(string router)
    {
        _listener.RecordObservableInstruments();
        lock (_gauge)
        {
            return _gauge.TryGetValue(router, out var value) ? value : -1;
        }
    }

    private long Failures(string router)
    {
        lock (_failures)
        {
            return _failures.GetValueOrDefault(router);
        }
    }

    private RouterDriftMonitor Monitor(RouterGate? gate = null) => new(
        _registry, _hosts, Options.Create(new RouterOptions { CheckInterval = Interval }), _time, _metrics, NullLogger<RouterDriftMonitor>.Instance, gate: gate);

    private async Task AddRegistryAsync()
    {
        Assert.True((await _registry.AddNetworkAsync(new NetworkInput { Name = "pub1", Cidr = "203.0.113.0/24", Gateway = "203.0.113.1", Vlan = 100, Kind = "public" }, Actor.Admin)).Succeeded);
        var router = await _registry.AddNodeAsync(
            new NodeInput { Name = "router1", Role = "router", Macs = ["52:54:00:00:09:01"], SshAddress = "192.0.2.7", SshPort = 2222, SshHostKey = Fixtures.Pin }, Actor.Admin);
        Assert.True(router.Succeeded, router.Error?.ToString());
        var web = await _registry.AddNodeAsync(new NodeInput { Name = "web1", Role = "instance", Macs = ["0e:00:00:00:00:01"], Network = "pub1", Ip = "203.0.113.10" }, Actor.Admin);
        Assert.True(web.Succeeded, web.Error?.ToString());
    }

    private async Task ApplyAsync()
    {
        var node = _registry.FindNode("router1")!;
        var plan = await RouterSync.PlanAsync(_router, RouterSync.Desired(_registry, node), CancellationToken.None);
        await RouterSync.ApplyAsync(_router, plan.Actions, _ => { }, CancellationToken.None);
    }

    private async Task<List<NodeEvent>> RouterEventsAsync() =>
        [.. (await _registry.ListEventsAsync("router1")).Value!.Where(e => e.Kind.Wire.StartsWith("router-", StringComparison.Ordinal))];

    [Fact]
    public async Task ExecuteAsync_SubInterfaceRemovedByHandThenApplied_DriftEventAndGaugeThenInSync()
    {
        await AddRegistryAsync();
        await ApplyAsync();
        var monitor = Monitor();
        await monitor.StartAsync(CancellationToken.None);
        try
        {
            await WaitFor.TrueAsync(() => monitor.Rounds >= 1, "the first round");
            Assert.Equal(RouterDriftStatus.InSync, monitor.Of("router1").Status);
            Assert.Equal(0, Gauge("router1"));
            Assert.Empty(await RouterEventsAsync());

            // Someone removes the sub-interface by hand: its address and sysctls go with it.
            Assert.Equal(0, (await _router.RunAsync(Remote.Commands.RemoteCommand.Of("ip", "link", "del", "dev", "eth1.100"))).ExitCode);
            _time.Advance(Interval);
            await WaitFor.TrueAsync(() => monitor.Rounds >= 2, "the second round");

            var drift = monitor.Of("router1");
            Assert.Equal(RouterDriftStatus.Drift, drift.Status);
            Assert.Contains("add link eth1.100 (vlan 100, network pub1)", drift.Changes);
            Assert.Equal(drift.Changes.Count, Gauge("router1"));
            Assert.True(drift.Changes.Count >= 3, string.Join("; ", drift.Changes)); // the link, its gateway and its sysctls
            var events = await RouterEventsAsync();
            var driftEvent = Assert.Single(events);
            Assert.Equal(EventKind.RouterDrift, driftEvent.Kind);
            Assert.StartsWith($"drift: {drift.Changes.Count} changes apply would make: add link eth1.100 (vlan 100, network pub1)", driftEvent.Message, StringComparison.Ordinal);
            Assert.Equal("appliance", driftEvent.Actor);

            // The same drift again: no second event.
            _time.Advance(Interval);
            await WaitFor.TrueAsync(() => monitor.Rounds >= 3, "the third round");
            Assert.Single(await RouterEventsAsync());
            Assert.Equal(drift.Since, monitor.Of("router1").Since);

            await ApplyAsync();
            _time.Advance(Interval);
            await WaitFor.TrueAsync(() => monitor.Rounds >= 4, "the fourth round");

            Assert.Equal(RouterDriftStatus.InSync, monitor.Of("router1").Status);
            Assert.Equal(0, Gauge("router1"));
            events = await RouterEventsAsync();
            Assert.Equal([EventKind.RouterDrift, EventKind.RouterInSync], events.Select(e => e.Kind));
        }
        finally
        {
            await monitor.StopAsync(CancellationToken.None);
        }
    }

    [Fact]
    public async Task ExecuteAsync_RouterUnreachableForTwoChecks_OneEventCountedFailuresAndNothingElseChanges()
    {
        await AddRegistryAsync();
        await ApplyAsync();
        var monitor = Monitor();
        await monitor.StartAsync(CancellationToken.None);
        try
        {
            await WaitFor.TrueAsync(() => monitor.Rounds >= 1, "the first round");
            var nodeBefore = _registry.FindNode("router1");

            _hosts.Failure = new RemoteHostException(RemoteFailure.Unreachable, _target.ToString(), "cannot connect to 192.0.2.7:2222: Connection refused");
            _time.Advance(Interval);
            await WaitFor.TrueAsync(() => monitor.Rounds >= 2, "the second round");
            _time.Advance(Interval);
            await WaitFor.TrueAsync(() => monitor.Rounds >= 3, "the third round");

            var state = monitor.Of("router1");
            Assert.Equal(RouterDriftStatus.InSync, state.Status); // the last known drift is kept
            Assert.Contains("Connection refused", state.Unreachable, StringComparison.Ordinal);
            var unreachable = Assert.Single(await RouterEventsAsync());
            Assert.Equal(EventKind.RouterUnreachable, unreachable.Kind);
            Assert.Contains("Connection refused", unreachable.Message, StringComparison.Ordinal);
            Assert.Equal(2, Failures("router1"));
            Assert.Equal(nodeBefore, _registry.FindNode("router1"));

            _hosts.Failure = null;
            _time.Advance(Interval);
            await WaitFor.TrueAsync(() => monitor.Rounds >= 4, "the fourth round");
            Assert.Null(monitor.Of("router1").Unreachable);
            Assert.Single(await RouterEventsAsync());
        }
        finally
        {
            await monitor.StopAsync(CancellationToken.None);
        }
    }

    [Fact]
    public async Task ExecuteAsync_RoundWhileAnApplyJobRuns_ReadsNothingKeepsTheStateAndTheNextRoundReads()
    {
        await AddRegistryAsync();
        var gate = new RouterGate();
        var monitor = Monitor(gate);
        int reads = 0;
        using var applying = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        _router.OnRoundTrip = what =>
        {
            if (what == "read")
            {
                Interlocked.Increment(ref reads);
            }
            else if (what == "run")
            {
                // The apply script is on the router and runs until the test lets it go (the router is held meanwhile).
                applying.Set();
                release.Wait(TimeSpan.FromSeconds(120));
            }
        };
        await monitor.StartAsync(CancellationToken.None);
        try
        {
            await WaitFor.TrueAsync(() => monitor.Rounds >= 1, "the first round");
            var before = monitor.Of("router1");
            Assert.Equal(RouterDriftStatus.Drift, before.Status); // nothing applied yet
            var job = Task.Run(() => new RouterApplyJobHandler(_registry, _hosts, time: _time, gate: gate).RunAsync(new FakeJobContext()));
            await WaitFor.TrueAsync(() => applying.IsSet, "the apply to run its script");
            int readsBefore = Volatile.Read(ref reads);

            _time.Advance(Interval);
            await WaitFor.TrueAsync(() => monitor.Rounds >= 2, "the round during the apply");

            Assert.Equal(readsBefore, Volatile.Read(ref reads));
            Assert.Equal(before, monitor.Of("router1"));
            release.Set();
            await job;
            _time.Advance(Interval);
            await WaitFor.TrueAsync(() => monitor.Rounds >= 3, "the round after the apply");
            Assert.True(Volatile.Read(ref reads) > readsBefore);
            Assert.Equal(RouterDriftStatus.InSync, monitor.Of("router1").Status);
            Assert.Equal([EventKind.RouterDrift, EventKind.RouterInSync], (await RouterEventsAsync()).Select(e => e.Kind));
        }
        finally
        {
            release.Set();
            await monitor.StopAsync(CancellationToken.None);
        }
    }

    [Fact]
    public async Task CheckAllAsync_RouterWithoutPinnedHostKey_NotChecked()
    {
        Assert.True((await _registry.AddNodeAsync(new NodeInput { Name = "router2", Role = "router", Macs = ["52:54:00:00:09:02"], SshAddress = "192.0.2.8" }, Actor.Admin)).Succeeded);
        var monitor = Monitor();

        await monitor.CheckAllAsync();

        Assert.Equal(RouterDriftState.Unknown, monitor.Of("router2"));
        Assert.Empty(_router.Changes);
    }

    [Theory]
    [InlineData("Fabric:Router:CheckInterval", "0.5", "Fabric:Router:CheckInterval: '0.5' is not a time span from 00:00:01 to 01:00:00 (e.g. 00:01:00)")]
    [InlineData("Fabric:Router:AutoApply", "sometimes", "Fabric:Router:AutoApply: 'sometimes' is not true or false")]
    public void Read_BadSetting_ValidatorNamesTheKey(string key, string value, string expected)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { [key] = value }).Build();
        var options = new RouterOptions();

        RouterOptions.Read(configuration, options);
        var result = new RouterOptions.Validator().Validate(null, options);

        Assert.True(result.Failed);
        Assert.Equal([expected], result.Failures);
    }

    [Fact]
    public void Read_NoSettings_DefaultsSixtySecondsAndAutoApplyOn()
    {
        var options = new RouterOptions();

        RouterOptions.Read(new ConfigurationBuilder().Build(), options);

        Assert.Equal((TimeSpan.FromSeconds(60), true), (options.CheckInterval, options.AutoApply));
        Assert.True(new RouterOptions.Validator().Validate(null, options).Succeeded);
    }
}

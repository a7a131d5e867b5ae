using System.Collections.Concurrent;
using Fabric.Core;
using Fabric.Instances.Hypervisor;
using Fabric.Instances.Migration;
using Fabric.Instances.Qmp;
using Fabric.Instances.Tests.Qmp;
using Fabric.Remote;
using Microsoft.Extensions.Time.Testing;

namespace Fabric.Instances.Tests.Migration;

public sealed class LiveMigrationTests : IAsyncDisposable
{
    private static readonly TimeSpan Generous = TimeSpan.FromSeconds(60);

    private static readonly MigrationPlan Plan = new(
        "web",
        "hv1",
        "hv2",
        new QemuSpec("web", 1, 256, MacAddress.Parse("0e:00:00:00:00:01"), "/srv/storage/web.img", Accelerator.Tcg, "qemu64"),
        "tcp:10.0.0.12:49152",
        50,
        32);

    private readonly FakeDriver _driver = new();
    private readonly FakeTimeProvider _time = new();

    /// <summary>Runs the migration, moving the fake clock one poll interval at a time until it ends.</summary>
    private async Task<MigrationOutcome> RunAsync(IProgress<MigrationInfo>? progress = null, CancellationToken cancellationToken = default)
    {
        var run = new LiveMigration(_driver, _time).RunAsync(Plan, progress, cancellationToken);
        using var deadline = new CancellationTokenSource(Generous);
        while (!run.IsCompleted && !deadline.IsCancellationRequested)
        {
            _time.Advance(LiveMigration.PollInterval);
            await Task.Delay(5, CancellationToken.None);
        }

        return await run.WaitAsync(Generous, CancellationToken.None);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var peer in _driver.Peers.Values)
        {
            await peer.DisposeAsync();
        }
    }

    /// <summary>Hands out a scripted QMP peer per hypervisor and records launches and kills.</summary>
    private sealed class FakeDriver : IHypervisorDriver
    {
        public ConcurrentDictionary<string, FakeQmpPeer> Peers { get; } = new();

        public ConcurrentQueue<string> Calls { get; } = new();

        public Exception? LaunchFails { get; set; }

        public FakeQmpPeer Peer(string hypervisor) => Peers.GetOrAdd(hypervisor, _ => new FakeQmpPeer());

        public Task LaunchAsync(string hypervisor, QemuSpec spec, CancellationToken cancellationToken)
        {
            Calls.Enqueue($"launch {hypervisor} incoming={spec.Incoming}");
            return LaunchFails is null ? Task.CompletedTask : Task.FromException(LaunchFails);
        }

        public Task<QmpClient> ConnectQmpAsync(string hypervisor, string instance, CancellationToken cancellationToken)
        {
            Calls.Enqueue($"qmp {hypervisor}");
            var peer = Peer(hypervisor);
            return QmpClient.ConnectAsync(peer.FromQemu, peer.ToQemu, cancellationToken);
        }

        public Task KillAsync(string hypervisor, string instance, CancellationToken cancellationToken)
        {
            Calls.Enqueue($"kill {hypervisor}");
            return Task.CompletedTask;
        }

        public Task<bool> IsRunningAsync(string hypervisor, string instance, CancellationToken cancellationToken) => Task.FromResult(true);

        public Task<string> ConsoleAsync(string hypervisor, string instance, int bytes, CancellationToken cancellationToken) => Task.FromResult("");
    }

    private static string Active(long transferred) =>
        "{\"return\": {\"status\": \"active\", \"expected-downtime\": 30, \"ram\": {\"transferred\": " + transferred
        + ", \"remaining\": " + (268435456 - transferred) + ", \"total\": 268435456}}}";

    private const string Completed = """{"return": {"status": "completed", "total-time": 2100, "downtime": 12, "ram": {"transferred": 270000000, "remaining": 0, "total": 268435456}}}""";

    private static string[] Executed(FakeQmpPeer peer) => peer.Received.Select(r => r.Execute).ToArray();

    [Fact]
    public async Task Run_MigrationCompletes_TargetIncomingSourceMigratedWithLimitsProgressReportedTargetAnnouncesSourceKilled()
    {
        var target = _driver.Peer("hv2").On("migrate-incoming", _ => """{"return": {}}""").On("announce-self", _ =>
        {
            _driver.Calls.Enqueue("announce hv2");
            return """{"return": {}}""";
        });
        int polls = 0;
        var source = _driver.Peer("hv1")
            .On("migrate-set-parameters", _ => """{"return": {}}""")
            .On("migrate", _ => """{"return": {}}""")
            .On("query-migrate", _ => ++polls < 3 ? Active(polls * 100_000_000L) : Completed);
        var reports = new ConcurrentQueue<MigrationInfo>();

        var outcome = await RunAsync(new SyncProgress(reports.Enqueue));

        Assert.True(outcome.Succeeded, outcome.Reason);
        Assert.Equal((2100L, 12L), (outcome.Info!.TotalTimeMs!.Value, outcome.Info.DowntimeMs!.Value));
        Assert.Equal(["qmp_capabilities", "migrate-incoming", "announce-self"], Executed(target));
        Assert.Equal("tcp:10.0.0.12:49152", target.Received.Single(r => r.Execute == "migrate-incoming").Arguments!["uri"]!.GetValue<string>());
        Assert.Equal(LiveMigration.AnnounceArguments().ToJsonString(), target.Received.Single(r => r.Execute == "announce-self").Arguments!.ToJsonString());
        Assert.Equal(["qmp_capabilities", "migrate-set-parameters", "migrate", "query-migrate", "query-migrate", "query-migrate"], Executed(source));
        var parameters = source.Received.ElementAt(1).Arguments!;
        Assert.Equal((50, 32L * 1024 * 1024), (parameters["downtime-limit"]!.GetValue<int>(), parameters["max-bandwidth"]!.GetValue<long>()));
        Assert.Equal(["active", "active", "completed"], reports.Select(r => r.Status));
        // The target announces the guest before the source goes.
        Assert.Equal(["qmp hv1", "launch hv2 incoming=True", "qmp hv2", "announce hv2", "kill hv1"], _driver.Calls);
    }

    [Fact]
    public async Task Run_TargetCannotAnnounce_MigrationStillSucceedsAndSourceKilled()
    {
        // No rule for announce-self: the fake answers qemu's CommandNotFound error.
        var target = _driver.Peer("hv2").On("migrate-incoming", _ => """{"return": {}}""");
        _driver.Peer("hv1")
            .On("migrate-set-parameters", _ => """{"return": {}}""")
            .On("migrate", _ => """{"return": {}}""")
            .On("query-migrate", _ => Completed);

        var outcome = await RunAsync();

        Assert.True(outcome.Succeeded, outcome.Reason);
        Assert.Contains("announce-self", Executed(target));
        Assert.Contains("kill hv1", _driver.Calls);
        Assert.DoesNotContain("kill hv2", _driver.Calls);
    }

    [Fact]
    public async Task Run_SourceReportsFailed_MigrateCancelTargetRemovedSourceKeptAndReasonGiven()
    {
        _driver.Peer("hv2").On("migrate-incoming", _ => """{"return": {}}""");
        var source = _driver.Peer("hv1")
            .On("migrate-set-parameters", _ => """{"return": {}}""")
            .On("migrate", _ => """{"return": {}}""")
            .On("migrate_cancel", _ => """{"return": {}}""")
            .On("query-migrate", _ => """{"return": {"status": "failed", "error-desc": "Unable to write to socket: Connection reset by peer"}}""");

        var outcome = await RunAsync();

        Assert.False(outcome.Succeeded);
        Assert.Equal("the migration failed: Unable to write to socket: Connection reset by peer; the instance keeps running on hv1", outcome.Reason);
        Assert.Contains("kill hv2", _driver.Calls);
        Assert.DoesNotContain("kill hv1", _driver.Calls);
    }

    [Fact]
    public async Task Run_TargetRefusesIncoming_NoMigrateSentTargetRemoved()
    {
        _driver.Peer("hv2").On("migrate-incoming", _ => """{"error": {"class": "GenericError", "desc": "Failed to bind socket: Address already in use"}}""");
        var source = _driver.Peer("hv1");

        var outcome = await RunAsync();

        Assert.Equal("qemu refused migrate-incoming: GenericError: Failed to bind socket: Address already in use; the instance keeps running on hv1", outcome.Reason);
        Assert.Equal(["qmp_capabilities"], Executed(source));
        Assert.Equal(["qmp hv1", "launch hv2 incoming=True", "qmp hv2", "kill hv2"], _driver.Calls);
    }

    [Fact]
    public async Task Run_TargetLaunchFails_NothingSentToSourceAndNoKill()
    {
        _driver.LaunchFails = new RemoteHostException(RemoteFailure.Unreachable, "root@10.0.0.12:22", "cannot connect to 10.0.0.12:22 after 4 attempts: Connection refused");
        var source = _driver.Peer("hv1");

        var outcome = await RunAsync();

        Assert.False(outcome.Succeeded);
        Assert.StartsWith("root@10.0.0.12:22: cannot connect to 10.0.0.12:22", outcome.Reason, StringComparison.Ordinal);
        Assert.Equal(["qmp_capabilities"], Executed(source));
        Assert.DoesNotContain(_driver.Calls, c => c.StartsWith("kill", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Run_CancelledWhileActive_MigrateCancelSentTargetRemovedSourceKept()
    {
        using var cancel = new CancellationTokenSource();
        _driver.Peer("hv2").On("migrate-incoming", _ => """{"return": {}}""");
        int polls = 0;
        var source = _driver.Peer("hv1")
            .On("migrate-set-parameters", _ => """{"return": {}}""")
            .On("migrate", _ => """{"return": {}}""")
            .On("migrate_cancel", _ => """{"return": {}}""")
            .On("query-migrate", _ =>
            {
                if (++polls == 2)
                {
                    cancel.Cancel();
                }

                return Active(polls * 1_000_000L);
            });

        var outcome = await RunAsync(cancellationToken: cancel.Token);

        Assert.False(outcome.Succeeded);
        Assert.Equal("the migration was cancelled; the instance keeps running on hv1", outcome.Reason);
        Assert.Equal(["migrate_cancel", "query-migrate"], Executed(source)[^2..]);
        Assert.Contains("kill hv2", _driver.Calls);
        Assert.DoesNotContain("kill hv1", _driver.Calls);
    }

    [Fact]
    public async Task Run_CancelledJustAfterQemuCompleted_SucceedsTargetKeptSourceKilled()
    {
        _driver.Peer("hv2").On("migrate-incoming", _ => """{"return": {}}""");
        int polls = 0;
        using var cancel = new CancellationTokenSource();
        var source = _driver.Peer("hv1")
            .On("migrate-set-parameters", _ => """{"return": {}}""")
            .On("migrate", _ => """{"return": {}}""")
            .On("migrate_cancel", _ => """{"return": {}}""")
            .On("query-migrate", _ =>
            {
                // The operator cancels while qemu is about to finish; the query after the cancel finds it completed.
                if (++polls == 2)
                {
                    cancel.Cancel();
                    return Active(200_000_000L);
                }

                return polls < 2 ? Active(100_000_000L) : Completed;
            });

        var outcome = await RunAsync(cancellationToken: cancel.Token);

        Assert.True(outcome.Succeeded, outcome.Reason);
        Assert.Equal("completed", outcome.Info!.Status);
        Assert.Equal(["migrate_cancel", "query-migrate"], Executed(source)[^2..]);
        Assert.Contains("announce-self", Executed(_driver.Peer("hv2")));
        Assert.Contains("kill hv1", _driver.Calls);
        Assert.DoesNotContain("kill hv2", _driver.Calls);
    }

    [Fact]
    public async Task Run_SourceEndsCancelledOnItsOwn_ReasonGivenAndTargetRemoved()
    {
        _driver.Peer("hv2").On("migrate-incoming", _ => """{"return": {}}""");
        int polls = 0;
        var source = _driver.Peer("hv1")
            .On("migrate-set-parameters", _ => """{"return": {}}""")
            .On("migrate", _ => """{"return": {}}""")
            .On("migrate_cancel", _ => """{"return": {}}""")
            .On("query-migrate", _ => ++polls < 2 ? Active(1000) : """{"return": {"status": "cancelled"}}""");

        var outcome = await RunAsync();

        Assert.Equal("the migration ended cancelled; the instance keeps running on hv1", outcome.Reason);
        Assert.Contains("kill hv2", _driver.Calls);
    }

    private sealed class SyncProgress(Action<MigrationInfo> report) : IProgress<MigrationInfo>
    {
        public void Report(MigrationInfo value) => report(value);
    }
}

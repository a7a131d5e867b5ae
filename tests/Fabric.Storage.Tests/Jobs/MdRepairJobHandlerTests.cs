using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using Fabric.Core.Events;
using Fabric.Jobs.Model;
using Fabric.Jobs.Running;
using Fabric.Registry;
using Fabric.Remote.Hosts;
using Fabric.Remote.Testing;
using Fabric.Storage.Jobs;
using Fabric.Storage.Repair;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Fabric.Storage.Tests.Jobs;

public sealed class MdRepairJobHandlerTests : IDisposable
{
    private const string Pin = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOqlDtcScx3TBXl3oaum63sKOEpeBAX7UfklRfGs6x9l";

    private readonly string _dir = Directory.CreateTempSubdirectory("fabric-md-repair-").FullName;
    private readonly IRegistry _registry;
    private readonly FakeRemoteHosts _hosts = new();
    private readonly QueuedJobsService _jobs = new();
    private readonly FakeTimeProvider _time = new();
    private readonly ServiceProvider _services;

    public MdRepairJobHandlerTests()
    {
        _registry = FabricRegistry.Open(Path.Combine(_dir, "fabric.db"));
        _services = new ServiceCollection().AddSingleton<IJobService>(_jobs).BuildServiceProvider();
    }

    public void Dispose()
    {
        _services.Dispose();
        _registry.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    private FakeRemoteHost Host => _hosts.Host(new SshTarget("10.9.0.21", 22, "root", Pin));

    private MdRepairJobHandler Handler() => new(_registry, _hosts, _services, _time);

    private static string Sample(string name, [CallerFilePath] string source = "") =>
        File.ReadAllText(Path.Combine(Path.GetDirectoryName(source)!, "..", "Repair", "Samples", name));

    private async Task AddHardwareAsync(string root = "aoe-md:e0.1,e1.1")
    {
        var added = await _registry.AddNodeAsync(
            new NodeInput { Name = "h1", Role = "hardware", Macs = ["52:54:00:00:0f:01"], MacField = "mac", SshAddress = "10.9.0.21", Root = root, SshHostKey = Pin },
            Actor.Admin);
        Assert.True(added.Succeeded, added.Error?.ToString());
    }

    /// <summary>Answers <c>cat /proc/mdstat</c> with the samples in turn, the last one from then on.</summary>
    private void MdStatSays(params string[] samples)
    {
        var answers = new ConcurrentQueue<string>(samples.Select(s => Sample(s)));
        string last = Sample(samples[^1]);
        Host.On(c => c.Equals(MdRepairScripts.ReadMdStat()), _ => FakeReply.Ok(answers.TryDequeue(out var next) ? next : last));
    }

    private static RepairJobContext Context(Dictionary<string, string> arguments, CancellationToken cancellationToken = default) =>
        new(MdRepairJobHandler.KindName, "h1", arguments, cancellationToken);

    /// <summary>Runs the job, moving the fake clock on while it waits between reads of /proc/mdstat.</summary>
    private async Task RunAsync(RepairJobContext context)
    {
        var run = Handler().RunAsync(context);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (!run.IsCompleted && DateTime.UtcNow < deadline)
        {
            _time.Advance(MdRepairJobHandler.PollInterval);
            await Task.Delay(5);
        }

        await run;
    }

    [Fact]
    public async Task RunAsync_ArrayClean_RunsNothingSucceedsSayingSo()
    {
        await AddHardwareAsync();
        MdStatSays("clean.txt");
        var context = Context([]);

        await RunAsync(context);

        Assert.Equal([MdRepairScripts.ReadMdStat()], Host.Commands);
        Assert.Contains(context.Lines, l => l.Contains("md0 is clean [UU]: nothing to do", StringComparison.Ordinal));
    }

    [Fact]
    public async Task RunAsync_HalfMissing_ReAddsThenFollowsRecoveryUntilClean()
    {
        await AddHardwareAsync();
        MdStatSays("degraded.txt", "recovering-bitmap.txt", "clean.txt");
        var context = Context(new() { ["target"] = "e1.1" });

        await RunAsync(context);

        Assert.Equal(
            [
                MdRepairScripts.ReadMdStat(),
                MdRepairScripts.Detail("/dev/md0"),
                MdRepairScripts.RevalidateCommand(new Core.AoeTarget(1, 1)),
                MdRepairScripts.Remove("/dev/md0", "failed"),
                MdRepairScripts.Remove("/dev/md0", "detached"),
                MdRepairScripts.ReAdd("/dev/md0", new Core.AoeTarget(1, 1)),
                MdRepairScripts.ReadMdStat(),
                MdRepairScripts.ReadMdStat(),
            ],
            Host.Commands);
        Assert.Equal("mdadm /dev/md0 --re-add /dev/etherd/e1.1", Host.CommandLines[5]);
        Assert.Equal(["sh", "-c", MdRepairScripts.Revalidate, "sh", "e1.1"], Host.Commands[2].Arguments);
        Assert.Contains(new JobProgress(71936, 261056, "blocks"), context.Progressed);
        Assert.Contains(context.Lines, l => l.Contains("md0 is clean [UU]", StringComparison.Ordinal));
        Assert.DoesNotContain(Host.Commands, c => c.Arguments.Contains("--add"));
    }

    [Fact]
    public async Task RunAsync_FailedMember_RemovedAndReAdded()
    {
        await AddHardwareAsync();
        MdStatSays("failed-member.txt", "clean.txt");

        await RunAsync(Context([]));

        Assert.Contains(MdRepairScripts.ReAdd("/dev/md0", new Core.AoeTarget(1, 1)), Host.Commands);
        Assert.DoesNotContain(MdRepairScripts.ReAdd("/dev/md0", new Core.AoeTarget(0, 1)), Host.Commands);
    }

    [Fact]
    public async Task RunAsync_ReAddRefused_FallsBackToAddAndSaysSo()
    {
        await AddHardwareAsync();
        MdStatSays("degraded.txt", "recovering-bitmap.txt", "clean.txt");
        Host.On(c => c.Equals(MdRepairScripts.ReAdd("/dev/md0", new Core.AoeTarget(1, 1))),
            FakeReply.Fail(1, "mdadm: --re-add for /dev/etherd/e1.1 to /dev/md0 is not possible"));
        var context = Context([]);

        await RunAsync(context);

        var readd = Host.Commands.ToList().IndexOf(MdRepairScripts.ReAdd("/dev/md0", new Core.AoeTarget(1, 1)));
        Assert.Equal(MdRepairScripts.Add("/dev/md0", new Core.AoeTarget(1, 1)), Host.Commands[readd + 1]);
        Assert.Contains(context.Lines, l => l.Contains("--re-add of e1.1 was refused", StringComparison.Ordinal) && l.Contains("--add", StringComparison.Ordinal));
    }

    [Fact]
    public async Task RunAsync_DryRun_ReadsOnlyAndLogsThePlan()
    {
        await AddHardwareAsync();
        MdStatSays("degraded.txt");
        var context = Context(new() { ["dryRun"] = "true" });

        await RunAsync(context);

        Assert.Equal([MdRepairScripts.ReadMdStat(), MdRepairScripts.Detail("/dev/md0")], Host.Commands);
        Assert.Contains(context.Lines, l => l.Contains("would run mdadm /dev/md0 --re-add /dev/etherd/e1.1", StringComparison.Ordinal));
        Assert.Contains(context.Lines, l => l.Contains("would run mdadm /dev/md0 --remove failed", StringComparison.Ordinal));
    }

    [Fact]
    public async Task RunAsync_Cancelled_StopsWaiting()
    {
        await AddHardwareAsync();
        MdStatSays("degraded.txt", "recovering-bitmap.txt");
        using var cancel = new CancellationTokenSource();
        var context = Context([], cancel.Token);

        var run = Handler().RunAsync(context);
        await WaitFor.TrueAsync(() => context.Progressed.Count > 0, "the rebuild's progress");
        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run);
    }

    [Fact]
    public async Task RunAsync_AfterJobFailed_FailsWithoutTouchingTheNode()
    {
        await AddHardwareAsync();
        var sync = (await _jobs.EnqueueAsync(new NewJob(StorageSyncJobHandler.KindName, "store1", new Dictionary<string, string>(), "appliance"))).Value!;
        _jobs.SetState(sync.Id, JobState.Failed);

        var error = await Assert.ThrowsAsync<JobFailedException>(() => RunAsync(Context(new() { ["after"] = sync.Id.ToString(System.Globalization.CultureInfo.InvariantCulture) })));

        Assert.Contains("ended failed", error.Message, StringComparison.Ordinal);
        Assert.Empty(Host.Commands);
    }

    [Fact]
    public async Task RunAsync_AfterJobSucceeds_RepairsOnlyThen()
    {
        await AddHardwareAsync();
        MdStatSays("clean.txt");
        var sync = (await _jobs.EnqueueAsync(new NewJob(StorageSyncJobHandler.KindName, "store1", new Dictionary<string, string>(), "appliance"))).Value!;
        var context = Context(new() { ["after"] = sync.Id.ToString(System.Globalization.CultureInfo.InvariantCulture) });

        var run = Handler().RunAsync(context);
        await WaitFor.TrueAsync(() => context.Steps.Count > 0, "the wait step");
        _time.Advance(MdRepairJobHandler.PollInterval);
        Assert.Empty(Host.Commands);
        _jobs.SetState(sync.Id, JobState.Succeeded);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (!run.IsCompleted && DateTime.UtcNow < deadline)
        {
            _time.Advance(MdRepairJobHandler.PollInterval);
            await Task.Delay(5);
        }

        await run;
        Assert.Equal(MdRepairScripts.ReadMdStat(), Host.Commands[0]);
    }

    [Fact]
    public async Task RunAsync_NoMdRoot_Fails()
    {
        await AddHardwareAsync("aoe:e0.1");

        var error = await Assert.ThrowsAsync<JobFailedException>(() => RunAsync(Context([])));

        Assert.Contains("no aoe-md root", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunAsync_TargetNotAHalf_Fails()
    {
        await AddHardwareAsync();

        var error = await Assert.ThrowsAsync<JobFailedException>(() => RunAsync(Context(new() { ["target"] = "e2.1" })));

        Assert.Contains("e2.1 is not a half", error.Message, StringComparison.Ordinal);
        Assert.Empty(Host.Commands);
    }

    [Fact]
    public async Task RunAsync_HostKeyMismatch_RecordsEventFails()
    {
        await AddHardwareAsync();
        Host.FailEverything(new Remote.HostKeyMismatchException("root@10.9.0.21:22", HostKey.Parse(Pin), "ssh-ed25519", "SHA256:other"));

        await Assert.ThrowsAsync<JobFailedException>(() => RunAsync(Context([])));

        Assert.Contains((await _registry.ListEventsAsync("h1")).Value!, e => e.Kind == EventKind.SshHostKeyMismatch);
    }

    [Theory]
    [InlineData("dryRun", "yes")]
    [InlineData("target", "disk1")]
    [InlineData("after", "-3")]
    [InlineData("force", "true")]
    public void Validate_BadArgument_NamesIt(string key, string value)
    {
        var errors = Handler().Validate(new Dictionary<string, string> { [key] = value });

        Assert.Equal($"arguments.{key}", Assert.Single(errors).Field);
    }
}

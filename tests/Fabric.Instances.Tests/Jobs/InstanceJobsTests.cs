using Fabric.Core;
using Fabric.Core.Events;
using Fabric.Core.Lifecycle;
using Fabric.Instances.Disks;
using Fabric.Instances.Hypervisor;
using Fabric.Instances.Jobs;
using Fabric.Instances.Operations;
using Fabric.Instances.Placement;
using Fabric.Instances.Settings;
using Fabric.Instances.Tests.Hypervisor;
using Fabric.Jobs.Model;
using Fabric.Jobs.Running;
using Fabric.Registry;
using Fabric.Remote;
using Microsoft.Extensions.Options;

namespace Fabric.Instances.Tests.Jobs;

/// <summary>The instance jobs end to end below the API: requests through <see cref="InstanceOperations"/> on a real
/// registry, each queued job run by its handler, with the real SSH driver, real sshd and real qemu of
/// <see cref="HypervisorLab"/> (hypervisors <c>hv-a</c> and <c>hv-b</c>).</summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class InstanceJobsTests : IClassFixture<HypervisorLab>, IAsyncLifetime
{
    private static readonly TimeSpan Patience = TimeSpan.FromMinutes(3);

    private readonly HypervisorLab _lab;
    private readonly string _dir = Directory.CreateTempSubdirectory("fabric-instance-jobs-").FullName;
    private readonly IRegistry _registry;
    private readonly RecordingJobService _jobs = new();
    private readonly IRemoteHosts _pool;
    private readonly SshHypervisorDriver _driver;
    private readonly MigrationReservations _reservations = new();
    private readonly InstanceOperations _operations;
    private readonly InstanceWork _work;
    private readonly List<string> _instances = [];

    public InstanceJobsTests(HypervisorLab lab)
    {
        _lab = lab;
        _registry = FabricRegistry.Open(Path.Combine(_dir, "fabric.db"));
        _pool = lab.NewPool();
        _driver = new SshHypervisorDriver(_pool, lab);
        var options = Options.Create(new InstanceOptions());
        _operations = new InstanceOperations(_registry, _jobs, _driver, _reservations, options);
        _work = new InstanceWork(_registry, _driver, new RegistryInstanceDisks(_registry), _reservations, options, TimeProvider.System);
    }

    public async Task InitializeAsync()
    {
        foreach (var (name, address, mac) in new[] { (HypervisorLab.A, _lab.AddressA, "52:54:00:00:0a:01"), (HypervisorLab.B, _lab.AddressB, "52:54:00:00:0a:02") })
        {
            var added = await _registry.AddNodeAsync(
                new NodeInput
                {
                    Name = name,
                    Role = "hardware",
                    Macs = [mac],
                    MacField = "mac",
                    CpuCores = 2,
                    MemoryMiB = 1024,
                    SshAddress = address,
                    Labels = new Dictionary<string, string> { ["fabric.instances/accelerator"] = "tcg", ["fabric.instances/cpu-model"] = "qemu64" },
                },
                Actor.Admin);
            Assert.True(added.Succeeded, added.Error?.ToString());
        }
    }

    public async Task DisposeAsync()
    {
        foreach (var name in _instances)
        {
            foreach (var hv in new[] { HypervisorLab.A, HypervisorLab.B })
            {
                await _driver.KillAsync(hv, name, CancellationToken.None);
            }
        }

        await _pool.DisposeAsync();
        _operations.Dispose();
        _registry.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    private string NewName()
    {
        var name = "vm-" + Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(3));
        _instances.Add(name);
        return name;
    }

    private InstanceRequest Request(string name, string? hypervisor = HypervisorLab.A) =>
        new() { Name = name, VCpus = 1, MemoryMiB = 64, DiskVolume = _lab.NewDisk(), Hypervisor = hypervisor };

    private IJobHandler Handler(string kind) => kind switch
    {
        InstanceJobKinds.Create => new CreateInstanceJobHandler(_work),
        InstanceJobKinds.Start => new StartAgainInstanceJobHandler(_work),
        InstanceJobKinds.Stop => new StopInstanceJobHandler(_work),
        InstanceJobKinds.Migrate => new MigrateInstanceJobHandler(_work),
        InstanceJobKinds.Evacuate => new EvacuateJobHandler(_work, _reservations),
        _ => throw new ArgumentException(kind, nameof(kind)),
    };

    /// <summary>Runs the job a request queued, as the runner would.</summary>
    private async Task<TestJobContext> RunAsync(InstanceOperation operation, IReadOnlyDictionary<string, string>? arguments = null)
    {
        Assert.True(operation.Succeeded, operation.Error?.ToString());
        var job = operation.Job!;
        var context = new TestJobContext(arguments is null ? job : job with { Arguments = arguments });
        Assert.Empty(Handler(job.Kind).Validate(context.Job.Arguments));
        await Handler(job.Kind).RunAsync(context).WaitAsync(Patience);
        return context;
    }

    private InstanceSpec Spec(string name) => _registry.FindNode(name)!.Instance!;

    [Fact]
    public async Task CreateMigrateStop_RealQemu_RunsOnTheTargetThenStops()
    {
        var name = NewName();

        var created = await RunAsync(await _operations.CreateAsync(Request(name), "admin"));
        Assert.Equal((InstanceState.Running, HypervisorLab.A), (Spec(name).State!.Value, Spec(name).Hypervisor));
        Assert.Equal(["disk", "launch", "check"], created.Steps);
        int sourcePid = _lab.Pid(HypervisorLab.A, name)!.Value;

        var migrated = await RunAsync(await _operations.MigrateAsync(name, HypervisorLab.B, "admin"));
        Assert.Equal((InstanceState.Running, HypervisorLab.B), (Spec(name).State!.Value, Spec(name).Hypervisor));
        Assert.NotEmpty(migrated.Progresses);
        Assert.All(migrated.Progresses, p => Assert.Equal("bytes", p.Unit));
        Assert.Contains(migrated.Lines, l => l.StartsWith($"{name} runs on {HypervisorLab.B}: total ", StringComparison.Ordinal));
        await HypervisorLab.WaitGoneAsync(sourcePid);
        Assert.Equal("running", await _work.StatusAsync(HypervisorLab.B, name, CancellationToken.None));
        var events = (await _registry.ListEventsAsync(name)).Value!;
        Assert.Contains(events, e => e.Message.Contains($": migrated from {HypervisorLab.A} to {HypervisorLab.B} (total ", StringComparison.Ordinal));

        // The lab's guest ignores the ACPI power button: after the timeout qemu is quit and killed.
        int targetPid = _lab.Pid(HypervisorLab.B, name)!.Value;
        var stopped = await RunAsync(await _operations.StopAsync(name, "admin"), new Dictionary<string, string> { ["timeoutSeconds"] = "2" });
        Assert.Equal(InstanceState.Stopped, Spec(name).State);
        Assert.Contains(stopped.Lines, l => l.Contains("did not power off within 2 s", StringComparison.Ordinal));
        await HypervisorLab.WaitGoneAsync(targetPid);
        Assert.False(await _driver.IsRunningAsync(HypervisorLab.B, name, CancellationToken.None));
    }

    [Fact]
    public async Task Migrate_TargetCannotListen_JobFailsAndTheInstanceKeepsRunningOnTheSource()
    {
        var name = NewName();
        await RunAsync(await _operations.CreateAsync(Request(name), "admin"));
        int sourcePid = _lab.Pid(HypervisorLab.A, name)!.Value;

        // hv-b's recorded address is hv-a's: the target qemu cannot listen there, so the migration fails after it started.
        await _registry.UpdateNodeAsync(HypervisorLab.B, new NodeInput { SshAddress = _lab.AddressA }, Actor.Admin);
        var queued = await _operations.MigrateAsync(name, HypervisorLab.B, "admin");
        var failed = await Assert.ThrowsAsync<JobFailedException>(() => RunAsync(queued));

        Assert.Contains($"keeps running on {HypervisorLab.A}", failed.Message, StringComparison.Ordinal);
        Assert.Equal((InstanceState.Running, HypervisorLab.A), (Spec(name).State!.Value, Spec(name).Hypervisor));
        Assert.True(HypervisorLab.Alive(sourcePid));
        Assert.False(await _driver.IsRunningAsync(HypervisorLab.B, name, CancellationToken.None));
        Assert.Equal("running", await _work.StatusAsync(HypervisorLab.A, name, CancellationToken.None));
        Assert.Empty(_reservations.All);
    }

    [Fact]
    public async Task Evacuate_TwoRunningInstances_BothMovedAndTheHypervisorCordoned()
    {
        var names = new[] { NewName(), NewName() };
        foreach (var name in names)
        {
            await RunAsync(await _operations.CreateAsync(Request(name), "admin"));
        }

        var evacuation = await RunAsync(await _operations.EvacuateAsync(HypervisorLab.A, "admin"));

        Assert.Equal("true", _registry.FindNode(HypervisorLab.A)!.Labels[InstancePlacement.CordonLabel]);
        foreach (var name in names)
        {
            Assert.Equal((InstanceState.Running, HypervisorLab.B), (Spec(name).State!.Value, Spec(name).Hypervisor));
            Assert.False(await _driver.IsRunningAsync(HypervisorLab.A, name, CancellationToken.None));
        }

        Assert.Contains($"{HypervisorLab.A} is empty: 2 instances moved", evacuation.Lines);

        // Nothing new lands on a cordoned hypervisor.
        var refused = await _operations.CreateAsync(Request(NewName()), "admin");
        Assert.Contains("cordoned", refused.Error!.Errors[0].Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Migrate_RetryAfterQemuHadFinished_RecordsTheTargetAndKeepsItsQemu()
    {
        var name = NewName();
        var request = Request(name);
        await RunAsync(await _operations.CreateAsync(request, "admin"));
        var queued = await _operations.MigrateAsync(name, HypervisorLab.B, "admin");

        // As if the last attempt was cut off after qemu finished: the guest runs on hv-b, nothing is left on hv-a.
        await _driver.KillAsync(HypervisorLab.A, name, CancellationToken.None);
        var spec = await _work.SpecAsync(_registry.FindNode(name)!, _registry.FindNode(HypervisorLab.B)!, CancellationToken.None);
        await _driver.LaunchAsync(HypervisorLab.B, spec, CancellationToken.None);
        int targetPid = _lab.Pid(HypervisorLab.B, name)!.Value;

        var retried = await RunAsync(queued);

        Assert.Equal((InstanceState.Running, HypervisorLab.B), (Spec(name).State!.Value, Spec(name).Hypervisor));
        Assert.Contains(retried.Lines, l => l.Contains("the migration had finished", StringComparison.Ordinal));
        Assert.True(HypervisorLab.Alive(targetPid), "the target's qemu (the guest) was removed");
        Assert.Empty(_reservations.All);
    }

    [Fact]
    public async Task Migrate_CancelledWhileItCannotConverge_CancelledAndTheInstanceKeepsRunningOnTheSource()
    {
        var name = NewName();
        await RunAsync(await _operations.CreateAsync(Request(name), "admin"));
        await HypervisorLab.WaitDirtyingAsync(_driver, HypervisorLab.A, name);
        await HypervisorLab.HoldBeforeSwitchoverAsync(_driver, HypervisorLab.A, name);
        int sourcePid = _lab.Pid(HypervisorLab.A, name)!.Value;
        var queued = await _operations.MigrateAsync(name, HypervisorLab.B, "admin");
        Assert.True(queued.Succeeded, queued.Error?.ToString());

        // Slow (1 MiB/s, 1 ms downtime limit) and held before its switch-over: the migration runs until cancelled.
        var slow = new InstanceWork(
            _registry, _driver, new RegistryInstanceDisks(_registry), _reservations, Options.Create(new InstanceOptions { MigrationBandwidthMiBps = 1, MigrationDowntimeMs = 1 }), TimeProvider.System);
        using var cancel = new CancellationTokenSource();
        var context = new TestJobContext(queued.Job!, cancel.Token);
        var run = new MigrateInstanceJobHandler(slow).RunAsync(context);
        var deadline = DateTime.UtcNow + Patience;
        while (context.Progresses.Count < 5 && !run.IsCompleted)
        {
            Assert.True(DateTime.UtcNow < deadline, "no progress from the migration");
            await Task.Delay(50);
        }

        Assert.True(await _driver.IsRunningAsync(HypervisorLab.B, name, CancellationToken.None), "the target qemu is not running mid-migration");
        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run.WaitAsync(Patience));
        Assert.Equal((InstanceState.Running, HypervisorLab.A), (Spec(name).State!.Value, Spec(name).Hypervisor));
        Assert.Contains(context.Lines, l => l.Contains("the migration was cancelled", StringComparison.Ordinal));
        Assert.True(HypervisorLab.Alive(sourcePid));
        Assert.False(await _driver.IsRunningAsync(HypervisorLab.B, name, CancellationToken.None));
        Assert.Equal("running", await _work.StatusAsync(HypervisorLab.A, name, CancellationToken.None));
    }
}

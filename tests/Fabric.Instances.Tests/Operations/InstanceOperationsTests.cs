using Fabric.Core;
using Fabric.Core.Events;
using Fabric.Core.Lifecycle;
using Fabric.Instances.Addressing;
using Fabric.Instances.Hypervisor;
using Fabric.Instances.Jobs;
using Fabric.Instances.Operations;
using Fabric.Instances.Settings;
using Fabric.Instances.Tests.Jobs;
using Fabric.Registry;
using Fabric.Remote.Testing;
using Microsoft.Extensions.Options;

namespace Fabric.Instances.Tests.Operations;

/// <summary>Requests decided before any job: placement, the lifecycle table and the migration checks, against a real
/// registry; the jobs are only recorded.</summary>
public sealed class InstanceOperationsTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("fabric-instance-ops-").FullName;
    private readonly IRegistry _registry;
    private readonly RecordingJobService _jobs = new();
    private readonly MigrationReservations _reservations = new();
    private readonly InstanceOperations _operations;

    public InstanceOperationsTests()
    {
        _registry = FabricRegistry.Open(Path.Combine(_dir, "fabric.db"));
        var driver = new SshHypervisorDriver(new FakeRemoteHosts(), new RegistryHypervisorHosts(_registry));
        _operations = new InstanceOperations(_registry, _jobs, driver, _reservations, Options.Create(new InstanceOptions()));
    }

    public void Dispose()
    {
        _operations.Dispose();
        _registry.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    private async Task AddHypervisorAsync(string name, int cores, long memoryMiB, string mac, Dictionary<string, string>? labels = null)
    {
        var added = await _registry.AddNodeAsync(
            new NodeInput { Name = name, Role = "hardware", Macs = [mac], MacField = "mac", CpuCores = cores, MemoryMiB = memoryMiB, Labels = labels }, Actor.Admin);
        Assert.True(added.Succeeded, added.Error?.ToString());
    }

    private static InstanceRequest Web(long memoryMiB = 512, string? hypervisor = null) =>
        new() { Name = "web", VCpus = 2, MemoryMiB = memoryMiB, DiskVolume = "/srv/fabric/volumes/web.img", Image = "debian", Hypervisor = hypervisor };

    private async Task<Node> RunningAsync(string name, string hypervisor)
    {
        var created = await _operations.CreateAsync(Web(hypervisor: hypervisor) with { Name = name }, "admin");
        Assert.True(created.Succeeded, created.Error?.ToString());
        var running = await _registry.TransitionInstanceAsync(name, InstanceState.Starting, InstanceState.Running, null, "test", Actor.Job("1"));
        Assert.True(running.Succeeded, running.Error?.ToString());
        return running.Value!;
    }

    [Fact]
    public async Task CreateAsync_FitsOnTheHypervisorWithMostMemory_StartingThereWithALocalMacAndCreateJobQueued()
    {
        await AddHypervisorAsync("hv1", 4, 2048, "52:54:00:00:01:01");
        await AddHypervisorAsync("hv2", 4, 4096, "52:54:00:00:01:02");

        var created = await _operations.CreateAsync(Web(), "admin");

        Assert.True(created.Succeeded, created.Error?.ToString());
        var node = _registry.FindNode("web")!;
        Assert.Equal((InstanceState.Starting, "hv2"), (node.Instance!.State!.Value, node.Instance.Hypervisor));
        Assert.True(InstanceMac.IsLocalUnicast(Assert.Single(node.Macs)));
        var job = Assert.Single(_jobs.Queued);
        Assert.Equal((InstanceJobKinds.Create, "web", "admin"), (job.Kind, job.Node, job.Actor));
        Assert.Equal(job.Id, created.Job!.Id);
    }

    [Fact]
    public async Task CreateAsync_NoHypervisorHasTheMemory_ConflictNamingWhatIsShortAndNothingStored()
    {
        await AddHypervisorAsync("hv1", 4, 1024, "52:54:00:00:01:01");

        var created = await _operations.CreateAsync(Web(memoryMiB: 2048), "admin");

        Assert.Equal(RegistryErrorKind.Conflict, created.Error!.Kind);
        var error = Assert.Single(created.Error.Errors);
        Assert.Equal("placement", error.Field);
        Assert.Contains("hv1: memory short by 1024 MiB", error.Reason, StringComparison.Ordinal);
        Assert.Null(_registry.FindNode("web"));
        Assert.Empty(_jobs.Queued);
    }

    [Fact]
    public async Task CreateAsync_MissingAndBadFields_EveryFieldNamedAndNothingStored()
    {
        var created = await _operations.CreateAsync(new InstanceRequest { DiskVolume = "relative/web.img" }, "admin");

        Assert.Equal(RegistryErrorKind.Validation, created.Error!.Kind);
        Assert.Equal(["name", "vCpus", "memoryMiB", "diskVolume"], created.Error.Errors.Select(e => e.Field));
        Assert.Empty(_registry.ListNodes());
        Assert.Empty(_jobs.Queued);
    }

    [Fact]
    public async Task CreateAsync_ImageButNoDiskAndNoStorageFeature_PairNamedAndNothingStored()
    {
        await AddHypervisorAsync("hv1", 4, 4096, "52:54:00:00:01:01");

        var created = await _operations.CreateAsync(Web() with { DiskVolume = null }, "admin");

        Assert.Equal(("pair", RegistryErrorKind.Validation), (Assert.Single(created.Error!.Errors).Field, created.Error.Kind));
        Assert.Null(_registry.FindNode("web"));
        Assert.Empty(_jobs.Queued);
    }

    [Fact]
    public async Task CreateAsync_NameTaken_ConflictAndTheOtherNodeUntouched()
    {
        await AddHypervisorAsync("web", 4, 4096, "52:54:00:00:01:01");

        var created = await _operations.CreateAsync(Web(), "admin");

        Assert.Equal("name", Assert.Single(created.Error!.Errors).Field);
        Assert.Equal(NodeRole.Hardware, _registry.FindNode("web")!.Role);
    }

    [Fact]
    public async Task StopAsync_StartingInstance_ConflictFromTheLifecycleTableAndNoJob()
    {
        await AddHypervisorAsync("hv1", 4, 4096, "52:54:00:00:01:01");
        await _operations.CreateAsync(Web(), "admin");

        var stopped = await _operations.StopAsync("web", "admin");

        Assert.Equal(("state", "the instance is starting; stop it once it runs"), (stopped.Error!.Errors[0].Field, stopped.Error.Errors[0].Reason));
        Assert.Single(_jobs.Queued);
    }

    [Fact]
    public async Task StopAsync_Running_StoppingAndStopJobQueued()
    {
        await AddHypervisorAsync("hv1", 4, 4096, "52:54:00:00:01:01");
        await RunningAsync("web", "hv1");

        var stopped = await _operations.StopAsync("web", "token:ci");

        Assert.True(stopped.Succeeded, stopped.Error?.ToString());
        Assert.Equal(InstanceState.Stopping, _registry.FindNode("web")!.Instance!.State);
        Assert.Equal((InstanceJobKinds.Stop, "token:ci"), (_jobs.Queued.Last().Kind, _jobs.Queued.Last().Actor));
    }

    [Fact]
    public async Task MigrateAsync_TargetWithoutTheMemory_ConflictBeforeAnyJobAndStateKept()
    {
        await AddHypervisorAsync("hv1", 4, 4096, "52:54:00:00:01:01");
        await AddHypervisorAsync("hv2", 4, 256, "52:54:00:00:01:02");
        await RunningAsync("web", "hv1");

        var migrated = await _operations.MigrateAsync("web", "hv2", "admin");

        Assert.Equal(RegistryErrorKind.Conflict, migrated.Error!.Kind);
        var error = Assert.Single(migrated.Error.Errors);
        Assert.Equal("target", error.Field);
        Assert.Contains("hv2: memory short by 256 MiB", error.Reason, StringComparison.Ordinal);
        Assert.Equal((InstanceState.Running, "hv1"), (_registry.FindNode("web")!.Instance!.State!.Value, _registry.FindNode("web")!.Instance!.Hypervisor));
        Assert.Single(_jobs.Queued);
        Assert.Empty(_reservations.All);
    }

    [Fact]
    public async Task MigrateAsync_NoTargetGiven_PlacementChoosesAnotherAndTheTargetIsReserved()
    {
        await AddHypervisorAsync("hv1", 4, 4096, "52:54:00:00:01:01");
        await AddHypervisorAsync("hv2", 4, 1024, "52:54:00:00:01:02");
        await RunningAsync("web", "hv1");

        var migrated = await _operations.MigrateAsync("web", null, "admin");

        Assert.True(migrated.Succeeded, migrated.Error?.ToString());
        Assert.Equal(InstanceState.Migrating, _registry.FindNode("web")!.Instance!.State);
        Assert.Equal("hv2", _jobs.Queued.Last().Arguments["target"]);
        Assert.Equal("hv2", Assert.Single(_reservations.All).Hypervisor);

        // The reservation holds hv2's memory: a second instance that needs it is refused there.
        var other = await _operations.CreateAsync(Web(memoryMiB: 1024, hypervisor: "hv2") with { Name = "db" }, "admin");
        Assert.Contains("hv2: memory short", other.Error!.Errors[0].Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task MigrateAsync_DifferentCpuModels_RefusedNamingTheLabel()
    {
        await AddHypervisorAsync("hv1", 4, 4096, "52:54:00:00:01:01", new() { ["fabric.instances/cpu-model"] = "qemu64" });
        await AddHypervisorAsync("hv2", 4, 4096, "52:54:00:00:01:02", new() { ["fabric.instances/cpu-model"] = "Cascadelake-Server" });
        await RunningAsync("web", "hv1");

        var migrated = await _operations.MigrateAsync("web", "hv2", "admin");

        Assert.Contains("fabric.instances/cpu-model", migrated.Error!.Errors[0].Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RemoveAsync_RunningInstance_ConflictAndKept()
    {
        await AddHypervisorAsync("hv1", 4, 4096, "52:54:00:00:01:01");
        await RunningAsync("web", "hv1");

        var removed = await _operations.RemoveAsync("web", purgeVolume: false, "admin");

        Assert.Equal(("state", "only a stopped instance is removed, web is running"), (removed.Error!.Errors[0].Field, removed.Error.Errors[0].Reason));
        Assert.NotNull(_registry.FindNode("web"));
    }

    [Fact]
    public async Task RemoveAsync_StoppedWithAFileDisk_PurgeRefusedNamingPurgeVolumeAndAPlainRemoveRemoves()
    {
        await AddHypervisorAsync("hv1", 4, 4096, "52:54:00:00:01:01");
        await RunningAsync("web", "hv1");
        await _registry.TransitionInstanceAsync("web", InstanceState.Running, InstanceState.Stopped, null, "test", Actor.Job("2"));

        // A file path is not a volume Fabric made: purging it is refused before anything is removed.
        var purge = await _operations.RemoveAsync("web", purgeVolume: true, "admin");
        Assert.Equal((RegistryErrorKind.Validation, "purgeVolume", false), (purge.Error!.Kind, purge.Error.Errors[0].Field, purge.Unsupported));
        Assert.Contains("not a volume of a pair", purge.Error.Errors[0].Reason, StringComparison.Ordinal);
        Assert.NotNull(_registry.FindNode("web"));

        var removed = await _operations.RemoveAsync("web", purgeVolume: false, "admin");
        Assert.True(removed.Succeeded, removed.Error?.ToString());
        Assert.Null(_registry.FindNode("web"));
    }

    [Fact]
    public async Task EvacuateAsync_NotAHypervisor_ConflictNamingTheRole()
    {
        await AddHypervisorAsync("hv1", 4, 4096, "52:54:00:00:01:01");
        await RunningAsync("web", "hv1");

        var evacuated = await _operations.EvacuateAsync("web", "admin");

        Assert.Equal("role", evacuated.Error!.Errors[0].Field);
        Assert.Equal(RegistryErrorKind.NotFound, (await _operations.EvacuateAsync("nope", "admin")).Error!.Kind);
    }
}

using System.Globalization;
using Fabric.Core;
using Fabric.Core.Events;
using Fabric.Core.Lifecycle;
using Microsoft.Extensions.Time.Testing;

namespace Fabric.Registry.Tests.Roles;

/// <summary>The instance role's fields (image and lifecycle state next to vCPUs, memory, volume and hypervisor) and
/// the one write that moves an instance through its lifecycle.</summary>
public sealed class InstanceRoleTests : IDisposable
{
    private readonly TempDir _dir = new();
    private readonly FakeTimeProvider _time = new(DateTimeOffset.Parse("2026-06-01T00:00:00Z", CultureInfo.InvariantCulture));

    public void Dispose() => _dir.Dispose();

    private IRegistry Open() => FabricRegistry.Open(_dir.Database, _time);

    private static NodeInput Instance(string name, string mac, string hypervisor = "hv1") => new()
    {
        Name = name,
        Macs = [mac],
        Role = "instance",
        VCpus = 2,
        MemoryMiB = 512,
        DiskVolume = "web-disk",
        Image = "debian-13",
        Hypervisor = hypervisor,
    };

    private static NodeInput Hypervisor(string name, string mac) => new() { Name = name, Macs = [mac], Role = "hardware", CpuCores = 4, MemoryMiB = 8192 };

    private async Task<IRegistry> WithTwoHypervisorsAsync()
    {
        var registry = Open();
        Assert.True((await registry.AddNodeAsync(Hypervisor("hv1", "52:54:00:00:01:01"), Actor.Admin)).Succeeded);
        Assert.True((await registry.AddNodeAsync(Hypervisor("hv2", "52:54:00:00:01:02"), Actor.Admin)).Succeeded);
        return registry;
    }

    [Fact]
    public async Task AddNode_Instance_DefinedWithItsImageAndKeptAcrossReopen()
    {
        using (var registry = Open())
        {
            var added = await registry.AddNodeAsync(Instance("web", "0e:00:00:00:00:01"), Actor.Admin);

            Assert.True(added.Succeeded, added.Error?.ToString());
            Assert.Equal(InstanceState.Defined, added.Value!.Instance!.State);
        }

        using var reopened = Open();
        var spec = reopened.FindNode("web")!.Instance!;
        Assert.Equal(new InstanceSpec(2, 512, "web-disk", null, "hv1", "debian-13", InstanceState.Defined), spec);
    }

    [Fact]
    public async Task AddNode_ImageWithControlCharacter_InvalidNamingImageAndNothingStored()
    {
        using var registry = Open();

        var result = await registry.AddNodeAsync(Instance("web", "0e:00:00:00:00:01") with { Image = "deb\nian" }, Actor.Admin);

        Assert.Equal(RegistryErrorKind.Validation, result.Error!.Kind);
        Assert.Equal("image", Assert.Single(result.Error.Errors).Field);
        Assert.Null(registry.FindNode("web"));
    }

    [Fact]
    public async Task AddNode_ImageOnAHypervisor_InvalidNamingTheRoleThatHasIt()
    {
        using var registry = Open();

        var result = await registry.AddNodeAsync(Hypervisor("hv1", "52:54:00:00:01:01") with { Image = "debian-13" }, Actor.Admin);

        Assert.Equal("image", Assert.Single(result.Error!.Errors).Field);
    }

    [Fact]
    public async Task TransitionInstance_MigrationFinished_HypervisorAndStateChangeInOneWrite()
    {
        using (var registry = await WithTwoHypervisorsAsync())
        {
            await registry.AddNodeAsync(Instance("web", "0e:00:00:00:00:01"), Actor.Admin);
            await registry.TransitionInstanceAsync("web", InstanceState.Defined, InstanceState.Starting, null, "start", Actor.Admin);
            await registry.TransitionInstanceAsync("web", InstanceState.Starting, InstanceState.Running, null, "qemu up", Actor.Job("1"));
            await registry.TransitionInstanceAsync("web", InstanceState.Running, InstanceState.Migrating, null, "to hv2", Actor.Admin);

            var done = await registry.TransitionInstanceAsync("web", InstanceState.Migrating, InstanceState.Running, "HV2", "migrated", Actor.Job("2"));

            Assert.True(done.Succeeded, done.Error?.ToString());
            Assert.Equal((InstanceState.Running, "hv2"), (done.Value!.Instance!.State!.Value, done.Value.Instance.Hypervisor!));
            var last = (await registry.ListEventsAsync("web")).Value![^1];
            Assert.Equal(EventKind.InstanceState, last.Kind);
            Assert.Equal("migrating -> running, hypervisor hv1 -> hv2: migrated", last.Message);
            Assert.Equal("job:2", last.Actor);
        }

        using var reopened = Open();
        var spec = reopened.FindNode("web")!.Instance!;
        Assert.Equal((InstanceState.Running, "hv2"), (spec.State!.Value, spec.Hypervisor!));
    }

    [Fact]
    public async Task TransitionInstance_NotInTheExpectedState_ConflictNamingStateAndNothingWritten()
    {
        using var registry = await WithTwoHypervisorsAsync();
        await registry.AddNodeAsync(Instance("web", "0e:00:00:00:00:01"), Actor.Admin);
        int events = (await registry.ListEventsAsync("web")).Value!.Count;

        var result = await registry.TransitionInstanceAsync("web", InstanceState.Migrating, InstanceState.Running, "hv2", "migrated", Actor.Job("2"));

        Assert.Equal(RegistryErrorKind.Conflict, result.Error!.Kind);
        Assert.Equal(new FieldError("state", "instance 'web' is defined, not migrating"), Assert.Single(result.Error.Errors));
        Assert.Equal((InstanceState.Defined, "hv1"), (registry.FindNode("web")!.Instance!.State!.Value, registry.FindNode("web")!.Instance!.Hypervisor!));
        Assert.Equal(events, (await registry.ListEventsAsync("web")).Value!.Count);
    }

    [Fact]
    public async Task TransitionInstance_TargetNotAHypervisor_ConflictNamingHypervisorAndNothingWritten()
    {
        using var registry = await WithTwoHypervisorsAsync();
        await registry.AddNodeAsync(Instance("web", "0e:00:00:00:00:01"), Actor.Admin);

        var result = await registry.TransitionInstanceAsync("web", InstanceState.Defined, InstanceState.Starting, "web", "start", Actor.Admin);

        Assert.Equal("hypervisor", Assert.Single(result.Error!.Errors).Field);
        Assert.Equal(InstanceState.Defined, registry.FindNode("web")!.Instance!.State);
    }

    [Fact]
    public async Task TransitionInstance_NotAnInstance_ConflictNamingRole()
    {
        using var registry = await WithTwoHypervisorsAsync();

        var result = await registry.TransitionInstanceAsync("hv1", InstanceState.Defined, InstanceState.Starting, null, "start", Actor.Admin);

        Assert.Equal("role", Assert.Single(result.Error!.Errors).Field);
    }

    [Fact]
    public async Task UpdateNode_PatchRunningInstance_KeepsItsState()
    {
        using var registry = await WithTwoHypervisorsAsync();
        await registry.AddNodeAsync(Instance("web", "0e:00:00:00:00:01"), Actor.Admin);
        await registry.TransitionInstanceAsync("web", InstanceState.Defined, InstanceState.Starting, null, "start", Actor.Admin);

        var patched = await registry.UpdateNodeAsync("web", new NodeInput { Image = "debian-14" }, Actor.Admin);

        Assert.True(patched.Succeeded, patched.Error?.ToString());
        Assert.Equal(("debian-14", InstanceState.Starting), (patched.Value!.Instance!.Image!, patched.Value.Instance.State!.Value));
    }
}

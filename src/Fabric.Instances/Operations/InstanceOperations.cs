using Fabric.Core;
using Fabric.Core.Events;
using Fabric.Core.Lifecycle;
using Fabric.Instances.Addressing;
using Fabric.Instances.Disks;
using Fabric.Instances.Hypervisor;
using Fabric.Instances.Jobs;
using Fabric.Instances.Lifecycle;
using Fabric.Instances.Migration;
using Fabric.Instances.Placement;
using Fabric.Instances.Settings;
using Fabric.Jobs.Model;
using Fabric.Jobs.Running;
using Fabric.Registry;
using Fabric.Remote;
using Fabric.Storage.Volumes;
using Microsoft.Extensions.Options;

namespace Fabric.Instances.Operations;

/// <summary>Decides operators' requests about instances against the registry, then writes the state and queues the job.
/// Requests that place (create, start, migrate, evacuate) are decided one at a time, so two of them never count on the
/// same free capacity.</summary>
internal sealed class InstanceOperations(
    IRegistry registry, IJobService jobs, IHypervisorDriver driver, MigrationReservations reservations, IOptions<InstanceOptions> options, IPairVolumes? volumes = null)
    : IInstanceOperations, IDisposable
{
    private readonly SemaphoreSlim _admission = new(1, 1);

    private int Overcommit => options.Value.CpuOvercommit;

    public void Dispose() => _admission.Dispose();

    public async Task<InstanceOperation> CreateAsync(InstanceRequest request, string actor, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var who = Actor.Parse(actor);
        var errors = new List<FieldError>();
        if (string.IsNullOrWhiteSpace(request.Name))
        {
            errors.Add(new FieldError("name", "an instance needs a name"));
        }

        if (request.VCpus is null)
        {
            errors.Add(new FieldError("vCpus", "an instance needs vCpus"));
        }

        if (request.MemoryMiB is null)
        {
            errors.Add(new FieldError("memoryMiB", "an instance needs memoryMiB"));
        }

        bool makeDisk = string.IsNullOrWhiteSpace(request.DiskVolume);
        if (makeDisk && string.IsNullOrWhiteSpace(request.Image))
        {
            errors.Add(new FieldError("diskVolume", "an instance needs a diskVolume, or an image to make one from on a storage pair"));
        }
        else if (makeDisk && volumes is null)
        {
            errors.Add(new FieldError("pair", "this appliance has no storage pairs to make a disk on; give a diskVolume"));
        }
        else if (!makeDisk && RegistryInstanceDisks.CheckDiskVolume(request.DiskVolume!) is { } diskProblem)
        {
            errors.Add(new FieldError("diskVolume", diskProblem));
        }
        else if (!makeDisk && !RegistryInstanceDisks.IsPath(request.DiskVolume!) && !registry.ListVolumes().Any(v => v.Name == request.DiskVolume))
        {
            errors.Add(new FieldError("diskVolume", $"no volume named '{request.DiskVolume}' on any pair (fabric volume list)"));
        }

        if (errors.Count > 0)
        {
            return InstanceOperation.Failed(new RegistryError(RegistryErrorKind.Validation, errors));
        }

        await _admission.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (registry.FindNode(request.Name!) is { } existing)
            {
                return InstanceOperation.Failed(RegistryError.Conflict("name", $"a node named '{existing.Name}' exists"));
            }

            var nodes = registry.ListNodes();
            var demand = new InstanceDemand(request.Name!, request.VCpus!.Value, request.MemoryMiB!.Value);
            var placed = InstancePlacement.Place(demand, nodes, Overcommit, request.Hypervisor, reservations: reservations.All);
            if (!placed.Placed)
            {
                return InstanceOperation.Failed(RegistryError.Conflict(request.Hypervisor is null ? "placement" : "hypervisor", placed.Reason(demand)));
            }

            var taken = nodes.SelectMany(n => n.Macs).ToHashSet();
            if (InstanceMac.Generate(taken.Contains, Random.Shared) is not { } mac)
            {
                return InstanceOperation.Failed(RegistryError.Conflict("mac", $"no free MAC after {InstanceMac.Attempts} draws"));
            }

            // The disk made from the image: its slot is held now (so a full pair or a missing image is refused before
            // anything is written), the volume itself is made by the instance-create job.
            VolumeHold? hold = null;
            if (makeDisk)
            {
                var held = await volumes!.HoldAsync(request.Pair, DiskVolumeOf(request.Name!), request.Image!, cancellationToken).ConfigureAwait(false);
                if (!held.Succeeded)
                {
                    return InstanceOperation.Failed(held.Error!);
                }

                hold = held.Value;
            }

            var added = await registry.AddNodeAsync(
                new NodeInput
                {
                    Name = request.Name,
                    Role = NodeRole.Instance.ToWire(),
                    Macs = [mac.ToString()],
                    MacField = "mac",
                    Ip = request.Ip,
                    Network = request.Network,
                    Labels = request.Labels,
                    VCpus = request.VCpus,
                    MemoryMiB = request.MemoryMiB,
                    DiskVolume = hold?.Name ?? request.DiskVolume,
                    Image = request.Image,
                    Hypervisor = placed.Hypervisor,
                },
                who,
                cancellationToken).ConfigureAwait(false);
            if (!added.Succeeded)
            {
                await ReleaseAsync(hold).ConfigureAwait(false);
                return InstanceOperation.Failed(added.Error!);
            }

            var arguments = new Dictionary<string, string>();
            if (hold is not null)
            {
                arguments[CreateInstanceJobHandler.PairArgument] = hold.Pair;
            }

            var queued = await MoveAndQueueAsync(added.Value!, InstanceTrigger.Start, who, null, InstanceJobKinds.Create, arguments, actor, cancellationToken)
                .ConfigureAwait(false);
            if (!queued.Succeeded)
            {
                await ReleaseAsync(hold).ConfigureAwait(false);
            }

            return queued;
        }
        finally
        {
            _admission.Release();
        }
    }

    public async Task<InstanceOperation> StartAsync(string name, string actor, CancellationToken cancellationToken = default)
    {
        var who = Actor.Parse(actor);
        await _admission.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (FindInstance(name) is not { } node)
            {
                return NotAnInstance(name);
            }

            var decision = InstanceLifecycle.Decide(StateOf(node), InstanceTrigger.Start, who.Kind);
            if (!decision.Allowed)
            {
                return InstanceOperation.Failed(RegistryError.Conflict("state", decision.Reason!));
            }

            // A stopped or failed instance holds nothing: it is placed again, on its own hypervisor when it still fits.
            var spec = node.Instance!;
            var demand = new InstanceDemand(node.Name, spec.VCpus ?? 1, spec.MemoryMiB ?? 0);
            var nodes = registry.ListNodes();
            var placed = spec.Hypervisor is { } current ? InstancePlacement.Place(demand, nodes, Overcommit, current, reservations: reservations.All) : null;
            if (placed is not { Placed: true })
            {
                placed = InstancePlacement.Place(demand, nodes, Overcommit, reservations: reservations.All);
            }

            if (!placed.Placed)
            {
                return InstanceOperation.Failed(RegistryError.Conflict("placement", placed.Reason(demand)));
            }

            return await MoveAndQueueAsync(node, InstanceTrigger.Start, who, placed.Hypervisor, InstanceJobKinds.Start, new Dictionary<string, string>(), actor, cancellationToken)
                .ConfigureAwait(false);
        }
        finally
        {
            _admission.Release();
        }
    }

    public async Task<InstanceOperation> StopAsync(string name, string actor, CancellationToken cancellationToken = default)
    {
        var who = Actor.Parse(actor);
        if (FindInstance(name) is not { } node)
        {
            return NotAnInstance(name);
        }

        var decision = InstanceLifecycle.Decide(StateOf(node), InstanceTrigger.Stop, who.Kind);
        if (!decision.Allowed)
        {
            return InstanceOperation.Failed(RegistryError.Conflict("state", decision.Reason!));
        }

        return await MoveAndQueueAsync(node, InstanceTrigger.Stop, who, null, InstanceJobKinds.Stop, new Dictionary<string, string>(), actor, cancellationToken)
            .ConfigureAwait(false);
    }

    public async Task<InstanceOperation> MigrateAsync(string name, string? target, string actor, CancellationToken cancellationToken = default)
    {
        var who = Actor.Parse(actor);
        await _admission.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (FindInstance(name) is not { } node)
            {
                return NotAnInstance(name);
            }

            var decision = InstanceLifecycle.Decide(StateOf(node), InstanceTrigger.Migrate, who.Kind);
            if (!decision.Allowed)
            {
                return InstanceOperation.Failed(RegistryError.Conflict("state", decision.Reason!));
            }

            var check = MigrationChecks.Check(node, string.IsNullOrWhiteSpace(target) ? null : target, registry.ListNodes(), Overcommit, reservations.Except(node.Name));
            if (!check.Allowed)
            {
                return InstanceOperation.Failed(new RegistryError(RegistryErrorKind.Conflict, [.. check.Refusals.Select(r => new FieldError("target", r))]));
            }

            var spec = node.Instance!;
            reservations.Reserve(node.Name, new Reservation(check.Target!, spec.VCpus ?? 1, spec.MemoryMiB ?? 0));
            var queued = await MoveAndQueueAsync(
                node, InstanceTrigger.Migrate, who, null, InstanceJobKinds.Migrate, new Dictionary<string, string> { ["target"] = check.Target! }, actor, cancellationToken)
                .ConfigureAwait(false);
            if (!queued.Succeeded)
            {
                reservations.Release(node.Name);
            }

            return queued;
        }
        finally
        {
            _admission.Release();
        }
    }

    public async Task<InstanceOperation> RemoveAsync(string name, bool purgeVolume, string actor, CancellationToken cancellationToken = default)
    {
        var who = Actor.Parse(actor);
        if (FindInstance(name) is not { } node)
        {
            return NotAnInstance(name);
        }

        if (StateOf(node) != InstanceState.Stopped)
        {
            return InstanceOperation.Failed(RegistryError.Conflict("state", $"only a stopped instance is removed, {node.Name} is {StateOf(node).ToWire()}"));
        }

        var disk = node.Instance!.DiskVolume;
        if (purgeVolume)
        {
            // Checked before anything is removed: a purge that cannot happen leaves the instance as it is.
            if (string.IsNullOrEmpty(disk) || RegistryInstanceDisks.IsPath(disk))
            {
                return InstanceOperation.Failed(RegistryError.Invalid(
                    "purgeVolume", $"{node.Name}'s disk {(string.IsNullOrEmpty(disk) ? "is not recorded" : $"is the file {disk}, not a volume of a pair")}; remove the instance without purgeVolume"));
            }

            if (volumes is null)
            {
                return new InstanceOperation(node, null, RegistryError.Invalid("purgeVolume", "this appliance has no storage pairs; remove the instance without purgeVolume"), Unsupported: true);
            }

            if (registry.ListVolumes().FirstOrDefault(v => v.Name == disk) is not { } volume)
            {
                return InstanceOperation.Failed(RegistryError.Conflict("purgeVolume", $"no volume named '{disk}' on any pair; remove the instance without purgeVolume"));
            }

            if (volume.UsedBy.FirstOrDefault(u => !string.Equals(u, node.Name, StringComparison.OrdinalIgnoreCase)) is { } other)
            {
                return InstanceOperation.Failed(RegistryError.Conflict("purgeVolume", $"volume '{disk}' is also used by {other}; remove the instance without purgeVolume"));
            }
        }

        var removed = await registry.RemoveNodeAsync(node.Name, who, cancellationToken).ConfigureAwait(false);
        if (!removed.Succeeded)
        {
            return InstanceOperation.Failed(removed.Error!);
        }

        if (!purgeVolume)
        {
            return new InstanceOperation(removed.Value, null, null);
        }

        // The instance is gone: its volume is removed as DELETE /api/v1/volumes/{name} removes one.
        var purged = await volumes!.RemoveAsync(disk!, null, actor, cancellationToken).ConfigureAwait(false);
        if (purged.Error is not null)
        {
            return new InstanceOperation(removed.Value, null, purged.Error);
        }

        return purged.Job!.Value.Succeeded
            ? new InstanceOperation(removed.Value, purged.Job.Value.Value, null)
            : new InstanceOperation(removed.Value, null, FromJobError(purged.Job.Value.Error!));
    }

    /// <summary>The volume an instance's disk is made as from its image.</summary>
    public static string DiskVolumeOf(string instance) => $"{instance}-disk";

    private async Task ReleaseAsync(VolumeHold? hold)
    {
        if (hold is not null)
        {
            await volumes!.ReleaseAsync(hold).ConfigureAwait(false);
        }
    }

    public async Task<InstanceOperation> EvacuateAsync(string hypervisor, string actor, CancellationToken cancellationToken = default)
    {
        Actor.Parse(actor);
        var node = registry.FindNode(hypervisor);
        if (node is null)
        {
            return InstanceOperation.Failed(RegistryError.NotFound("name", $"no node named '{hypervisor}'"));
        }

        if (node.Role != NodeRole.Hardware)
        {
            return InstanceOperation.Failed(RegistryError.Conflict("role", $"{node.Name} is a {node.Role.ToWire()} node; only hypervisors (hardware nodes) are evacuated"));
        }

        var queued = await jobs.EnqueueAsync(new NewJob(InstanceJobKinds.Evacuate, node.Name, new Dictionary<string, string>(), actor), cancellationToken).ConfigureAwait(false);
        return queued.Succeeded ? new InstanceOperation(node, queued.Value, null) : InstanceOperation.Failed(FromJobError(queued.Error!));
    }

    public IReadOnlyList<string> MigrationTargets(string name)
    {
        if (FindInstance(name) is not { Instance: { State: InstanceState.Running, Hypervisor: { } source } } node)
        {
            return [];
        }

        var nodes = registry.ListNodes();
        var others = reservations.Except(node.Name);
        return [.. nodes
            .Where(n => n.Role == NodeRole.Hardware && !string.Equals(n.Name, source, StringComparison.OrdinalIgnoreCase))
            .Where(n => MigrationChecks.Check(node, n.Name, nodes, Overcommit, others).Allowed)
            .Select(n => n.Name)
            .Order(StringComparer.Ordinal)];
    }

    public async Task<RegistryResult<string>> ConsoleAsync(string name, int bytes, CancellationToken cancellationToken = default)
    {
        if (FindInstance(name) is not { } node)
        {
            return RegistryError.NotFound("name", $"no instance named '{name}'");
        }

        if (node.Instance!.Hypervisor is not { } hypervisor)
        {
            return RegistryError.Conflict("hypervisor", $"{node.Name} has no hypervisor");
        }

        try
        {
            return RegistryResult<string>.Ok(await driver.ConsoleAsync(hypervisor, node.Name, bytes, cancellationToken).ConfigureAwait(false));
        }
        catch (Exception e) when (e is RemoteHostException or RemoteCommandFailedException or RemoteCommandTimeoutException)
        {
            return RegistryError.Conflict("hypervisor", $"cannot read {node.Name}'s console on {hypervisor}: {e.Message}");
        }
    }

    /// <summary>Moves the instance as the operator asked and queues the job; when the job cannot be queued the state is
    /// put back (it was the operator's, so the table allows no other way back: written directly, as the operator).</summary>
    private async Task<InstanceOperation> MoveAndQueueAsync(
        Node node, InstanceTrigger trigger, Actor who, string? hypervisor, string kind, Dictionary<string, string> arguments, string actor, CancellationToken cancellationToken)
    {
        var from = StateOf(node);
        var decision = InstanceLifecycle.Decide(from, trigger, who.Kind);
        if (!decision.Allowed)
        {
            return InstanceOperation.Failed(RegistryError.Conflict("state", decision.Reason!));
        }

        var moved = await registry.TransitionInstanceAsync(node.Name, from, decision.Next, hypervisor, $"{InstanceLifecycle.Describe(trigger)} asked by {who}", who, cancellationToken)
            .ConfigureAwait(false);
        if (!moved.Succeeded)
        {
            return InstanceOperation.Failed(moved.Error!);
        }

        var queued = await jobs.EnqueueAsync(new NewJob(kind, node.Name, arguments, actor), cancellationToken).ConfigureAwait(false);
        if (!queued.Succeeded)
        {
            await registry.TransitionInstanceAsync(node.Name, decision.Next, from, null, $"the {kind} job could not be queued: {queued.Error}", who, CancellationToken.None)
                .ConfigureAwait(false);
            return InstanceOperation.Failed(FromJobError(queued.Error!));
        }

        return new InstanceOperation(moved.Value, queued.Value, null);
    }

    private Node? FindInstance(string name) => registry.FindNode(name) is { Role: NodeRole.Instance, Instance: not null } node ? node : null;

    private static InstanceOperation NotAnInstance(string name) => InstanceOperation.Failed(RegistryError.NotFound("name", $"no instance named '{name}'"));

    internal static InstanceState StateOf(Node node) => node.Instance?.State ?? InstanceState.Defined;

    private static RegistryError FromJobError(JobError error) => new(
        error.Kind switch
        {
            JobErrorKind.Validation => RegistryErrorKind.Validation,
            JobErrorKind.NotFound => RegistryErrorKind.NotFound,
            _ => RegistryErrorKind.Conflict,
        },
        [.. error.Errors.Select(e => new FieldError(e.Field, e.Reason))]);
}

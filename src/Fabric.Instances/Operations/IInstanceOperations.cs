using Fabric.Core;
using Fabric.Jobs.Model;
using Fabric.Registry;

namespace Fabric.Instances.Operations;

/// <summary>What an operator asks of instances. Each request is decided at once, before any job: a refusal (the
/// lifecycle table, placement, migration checks) is an error value naming the field, and nothing is written or started;
/// an accepted one moves the instance's state and queues the job that does the work.</summary>
public interface IInstanceOperations
{
    /// <summary>Places, registers (state <c>defined</c>, a generated MAC), moves to <c>starting</c> and queues
    /// <c>instance-create</c>.</summary>
    Task<InstanceOperation> CreateAsync(InstanceRequest request, string actor, CancellationToken cancellationToken = default);

    /// <summary>Places again (stopped and failed instances hold nothing), moves to <c>starting</c>, queues <c>instance-start</c>.</summary>
    Task<InstanceOperation> StartAsync(string name, string actor, CancellationToken cancellationToken = default);

    /// <summary>Moves to <c>stopping</c> and queues <c>instance-stop</c>.</summary>
    Task<InstanceOperation> StopAsync(string name, string actor, CancellationToken cancellationToken = default);

    /// <summary>Checks the migration (<see cref="Migration.MigrationChecks"/>), reserves the target, moves to
    /// <c>migrating</c> and queues <c>instance-migrate</c>.</summary>
    Task<InstanceOperation> MigrateAsync(string name, string? target, string actor, CancellationToken cancellationToken = default);

    /// <summary>Removes a stopped instance from the registry.</summary>
    Task<InstanceOperation> RemoveAsync(string name, bool purgeVolume, string actor, CancellationToken cancellationToken = default);

    /// <summary>Queues <c>node-evacuate</c> for a hypervisor.</summary>
    Task<InstanceOperation> EvacuateAsync(string hypervisor, string actor, CancellationToken cancellationToken = default);

    /// <summary>The hypervisors <paramref name="name"/> could migrate to now (the checks of <see cref="MigrateAsync"/>
    /// pass for each), by name; empty when it is not a running instance.</summary>
    IReadOnlyList<string> MigrationTargets(string name);

    /// <summary>The tail of the instance's serial console on its hypervisor.</summary>
    Task<RegistryResult<string>> ConsoleAsync(string name, int bytes, CancellationToken cancellationToken = default);
}

/// <summary>The outcome of a request: the instance (or hypervisor) as it is now and the job queued, or why not.
/// <see cref="Unsupported"/> marks a request this appliance cannot carry out yet (501).</summary>
public sealed record InstanceOperation(Node? Node, Job? Job, RegistryError? Error, bool Unsupported = false)
{
    public bool Succeeded => Error is null;

    public static InstanceOperation Failed(RegistryError error) => new(null, null, error);
}

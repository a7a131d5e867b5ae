using System.Collections.Concurrent;
using Fabric.Instances.Placement;

namespace Fabric.Instances.Operations;

/// <summary>The targets of migrations admitted and not yet ended, so two migrations (or a launch) cannot both count on
/// the same free memory. In memory: after a restart, the interrupted migration jobs no longer hold anything.</summary>
public sealed class MigrationReservations
{
    private readonly ConcurrentDictionary<string, Reservation> _byInstance = new(StringComparer.OrdinalIgnoreCase);

    public IReadOnlyList<Reservation> All => [.. _byInstance.Values];

    public void Reserve(string instance, Reservation reservation) => _byInstance[instance] = reservation;

    public void Release(string instance) => _byInstance.TryRemove(instance, out _);

    /// <summary>Every reservation but <paramref name="instance"/>'s own.</summary>
    public IReadOnlyList<Reservation> Except(string instance) =>
        [.. _byInstance.Where(p => !string.Equals(p.Key, instance, StringComparison.OrdinalIgnoreCase)).Select(p => p.Value)];
}

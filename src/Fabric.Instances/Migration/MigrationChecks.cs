using Fabric.Core;
using Fabric.Core.Lifecycle;
using Fabric.Instances.Placement;

namespace Fabric.Instances.Migration;

/// <summary>The target a migration may go to, or every reason it may not. Decided before anything starts.</summary>
public sealed record MigrationCheck(string? Target, IReadOnlyList<string> Refusals)
{
    public bool Allowed => Target is not null && Refusals.Count == 0;
}

/// <summary>The checks made before a live migration starts, from the registry alone (pure). What only the hypervisor
/// can tell (the disk path opens there) is checked by the job before the target qemu starts.</summary>
public static class MigrationChecks
{
    /// <summary>A hypervisor's guest CPU model, e.g. <c>qemu64</c> or <c>Cascadelake-Server</c>; source and target must
    /// agree, or the guest could see its CPU change under it.</summary>
    public const string CpuModelLabel = "fabric.instances/cpu-model";

    /// <summary>A hypervisor's accelerator, <c>kvm</c> (the default) or <c>tcg</c>.</summary>
    public const string AcceleratorLabel = "fabric.instances/accelerator";

    public static MigrationCheck Check(Node instance, string? target, IReadOnlyCollection<Node> nodes, int cpuOvercommit, IEnumerable<Reservation>? reservations = null)
    {
        var refusals = new List<string>();
        if (instance.Instance is not { } spec)
        {
            return new MigrationCheck(null, [$"'{instance.Name}' is not an instance"]);
        }

        if (spec.State is not InstanceState.Running)
        {
            refusals.Add($"only a running instance is migrated, {instance.Name} is {(spec.State ?? InstanceState.Defined).ToWire()}");
        }

        var source = nodes.FirstOrDefault(n => string.Equals(n.Name, spec.Hypervisor, StringComparison.OrdinalIgnoreCase));
        if (source is null)
        {
            refusals.Add($"{instance.Name} has no hypervisor recorded");
            return new MigrationCheck(null, refusals);
        }

        var demand = new InstanceDemand(instance.Name, spec.VCpus ?? 1, spec.MemoryMiB ?? 0);
        var placed = InstancePlacement.Place(demand, nodes, cpuOvercommit, target, exclude: source.Name, reservations);
        if (!placed.Placed)
        {
            refusals.Add(placed.Reason(demand));
            return new MigrationCheck(null, refusals);
        }

        var chosen = nodes.First(n => n.Name == placed.Hypervisor);
        Compare(source, chosen, CpuModelLabel, "CPU model", null, refusals);
        Compare(source, chosen, AcceleratorLabel, "accelerator", "kvm", refusals);
        return new MigrationCheck(refusals.Count == 0 ? chosen.Name : null, refusals);
    }

    private static void Compare(Node source, Node target, string label, string what, string? fallback, List<string> refusals)
    {
        var a = source.Labels.GetValueOrDefault(label) ?? fallback;
        var b = target.Labels.GetValueOrDefault(label) ?? fallback;
        if (!string.Equals(a, b, StringComparison.OrdinalIgnoreCase))
        {
            refusals.Add($"{target.Name}'s {what} is {b ?? "not recorded"}, {source.Name}'s is {a ?? "not recorded"} (label {label})");
        }
    }
}

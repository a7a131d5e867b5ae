using System.Globalization;
using Fabric.Core;
using Fabric.Core.Lifecycle;

namespace Fabric.Instances.Placement;

/// <summary>What an instance needs of a hypervisor.</summary>
public sealed record InstanceDemand(string Name, int VCpus, long MemoryMiB);

/// <summary>Capacity held on a hypervisor for something the registry does not show yet (e.g. the target of a
/// migration in flight).</summary>
public sealed record Reservation(string Hypervisor, int VCpus, long MemoryMiB);

/// <summary>A hypervisor's capacity and what is already placed on it.</summary>
/// <param name="VCpuCapacity">Its cores times the CPU overcommit.</param>
/// <param name="Unavailable">Why nothing new may land there, or null when it may.</param>
public sealed record HypervisorLoad(string Name, int CpuCores, int VCpuCapacity, long MemoryMiB, int UsedVCpus, long UsedMemoryMiB, string? Unavailable)
{
    public int FreeVCpus => VCpuCapacity - UsedVCpus;

    public long FreeMemoryMiB => MemoryMiB - UsedMemoryMiB;
}

/// <summary>Where an instance goes: a hypervisor, or every reason none fits (one per hypervisor looked at).</summary>
public sealed record PlacementResult(string? Hypervisor, IReadOnlyList<string> Shortfalls)
{
    public bool Placed => Hypervisor is not null;

    /// <summary>The refusal in one line, e.g. for a 409's detail.</summary>
    public string Reason(InstanceDemand demand) => Placed
        ? ""
        : string.Create(CultureInfo.InvariantCulture, $"no hypervisor fits instance {demand.Name} ({demand.VCpus} vCPUs, {demand.MemoryMiB} MiB): ")
          + (Shortfalls.Count == 0 ? "there are no hypervisors" : string.Join("; ", Shortfalls));
}

/// <summary>Placement: vCPUs fit within the hypervisor's cores times <c>Fabric:Instances:CpuOvercommit</c>, memory
/// fits with no overcommit. Pure: the registry's nodes go in, a decision comes out.</summary>
public static class InstancePlacement
{
    /// <summary>A hypervisor with this label set to <c>true</c> takes no new instances (<c>fabric node evacuate</c>).</summary>
    public const string CordonLabel = "fabric.instances/cordoned";

    /// <summary>The states in which an instance holds its share of its hypervisor. A stopped or failed instance holds
    /// nothing; starting it again places it again.</summary>
    public static bool HoldsCapacity(InstanceState? state) =>
        state is null or InstanceState.Defined or InstanceState.Starting or InstanceState.Running or InstanceState.Migrating or InstanceState.Stopping;

    /// <summary>The load of every hypervisor (HardwareNode) among <paramref name="nodes"/>, by name.</summary>
    public static IReadOnlyList<HypervisorLoad> Loads(IEnumerable<Node> nodes, int cpuOvercommit, IEnumerable<Reservation>? reservations = null, string? except = null)
    {
        var all = nodes as IReadOnlyCollection<Node> ?? nodes.ToList();
        var used = new Dictionary<string, (int VCpus, long MemoryMiB)>(StringComparer.OrdinalIgnoreCase);
        foreach (var node in all)
        {
            if (node.Instance is { Hypervisor: { } hv } spec && HoldsCapacity(spec.State)
                && !string.Equals(node.Name, except, StringComparison.OrdinalIgnoreCase))
            {
                var (v, m) = used.GetValueOrDefault(hv);
                used[hv] = (v + (spec.VCpus ?? 0), m + (spec.MemoryMiB ?? 0));
            }
        }

        foreach (var r in reservations ?? [])
        {
            var (v, m) = used.GetValueOrDefault(r.Hypervisor);
            used[r.Hypervisor] = (v + r.VCpus, m + r.MemoryMiB);
        }

        return all.Where(n => n.Role == NodeRole.Hardware)
            .OrderBy(n => n.Name, StringComparer.Ordinal)
            .Select(n =>
            {
                int cores = n.Hardware?.CpuCores ?? 0;
                long memory = n.Hardware?.MemoryMiB ?? 0;
                var (v, m) = used.GetValueOrDefault(n.Name);
                return new HypervisorLoad(n.Name, cores, checked(cores * cpuOvercommit), memory, v, m, Unavailable(n));
            })
            .ToList();
    }

    /// <summary>Places <paramref name="demand"/>: on <paramref name="target"/> when given (or refuses saying why), else
    /// on the hypervisor with the most free memory that fits (ties: the first by name), never on
    /// <paramref name="exclude"/> (the source of a migration).</summary>
    public static PlacementResult Place(
        InstanceDemand demand,
        IEnumerable<Node> nodes,
        int cpuOvercommit,
        string? target = null,
        string? exclude = null,
        IEnumerable<Reservation>? reservations = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(cpuOvercommit, 1);
        var all = nodes as IReadOnlyCollection<Node> ?? nodes.ToList();
        var loads = Loads(all, cpuOvercommit, reservations, except: demand.Name);
        if (target is not null)
        {
            var named = all.FirstOrDefault(n => string.Equals(n.Name, target, StringComparison.OrdinalIgnoreCase));
            if (named is null)
            {
                return new PlacementResult(null, [$"hypervisor '{target}' does not exist"]);
            }

            if (named.Role != NodeRole.Hardware)
            {
                return new PlacementResult(null, [$"'{named.Name}' is not a hypervisor (its role is {named.Role.ToWire()})"]);
            }

            if (string.Equals(named.Name, exclude, StringComparison.OrdinalIgnoreCase))
            {
                return new PlacementResult(null, [$"{named.Name}: the instance is already there"]);
            }

            loads = loads.Where(l => l.Name == named.Name).ToList();
        }
        else if (exclude is not null)
        {
            loads = loads.Where(l => !string.Equals(l.Name, exclude, StringComparison.OrdinalIgnoreCase)).ToList();
        }

        var shortfalls = new List<string>();
        HypervisorLoad? best = null;
        foreach (var load in loads)
        {
            var reason = Shortfall(demand, load);
            if (reason is not null)
            {
                shortfalls.Add($"{load.Name}: {reason}");
            }
            else if (best is null || load.FreeMemoryMiB > best.FreeMemoryMiB)
            {
                best = load;
            }
        }

        return best is not null ? new PlacementResult(best.Name, []) : new PlacementResult(null, shortfalls);
    }

    /// <summary>Why <paramref name="demand"/> does not fit on <paramref name="load"/>, naming every short resource; null
    /// when it fits.</summary>
    public static string? Shortfall(InstanceDemand demand, HypervisorLoad load)
    {
        if (load.Unavailable is not null)
        {
            return load.Unavailable;
        }

        var parts = new List<string>();
        if (demand.MemoryMiB > load.FreeMemoryMiB)
        {
            parts.Add(string.Create(
                CultureInfo.InvariantCulture,
                $"memory short by {demand.MemoryMiB - load.FreeMemoryMiB} MiB ({Math.Max(0, load.FreeMemoryMiB)} of {load.MemoryMiB} MiB free, {demand.MemoryMiB} MiB needed)"));
        }

        if (demand.VCpus > load.FreeVCpus)
        {
            parts.Add(string.Create(
                CultureInfo.InvariantCulture,
                $"vCPUs short by {demand.VCpus - load.FreeVCpus} ({Math.Max(0, load.FreeVCpus)} of {load.VCpuCapacity} free: {load.CpuCores} cores x {load.VCpuCapacity / Math.Max(1, load.CpuCores)}, {demand.VCpus} needed)"));
        }

        return parts.Count == 0 ? null : string.Join(" and ", parts);
    }

    private static string? Unavailable(Node hypervisor)
    {
        if (hypervisor.State is NodeState.Retired or NodeState.Discovered or NodeState.Failed)
        {
            return $"the hypervisor is {hypervisor.State.ToWire()}";
        }

        if (hypervisor.Labels.TryGetValue(CordonLabel, out var cordoned) && string.Equals(cordoned, "true", StringComparison.OrdinalIgnoreCase))
        {
            return "the hypervisor is cordoned (evacuated); nothing new lands there";
        }

        if (hypervisor.Hardware is not { CpuCores: > 0, MemoryMiB: > 0 })
        {
            return "the hypervisor has no cpuCores or memoryMiB recorded";
        }

        return null;
    }
}

using System.Globalization;
using Fabric.Core;

namespace Fabric.Registry.Nodes;

/// <summary>JSON merge patch (RFC 7396) over a stored node, and the node's fields as text for the event log.</summary>
internal static class NodeChanges
{
    /// <summary>The stored node as an input with the changes laid over it: present fields replace, absent ones stay,
    /// fields named in <see cref="NodeInput.Clear"/> go. Changing the role drops the old role's fields; changing the
    /// network drops the address (a new one is allocated). The state is the service's business, not the patch's.</summary>
    public static NodeInput Merge(Node current, NodeInput changes)
    {
        bool roleChanged = changes.Role is not null && (!NodeEnumNames.TryParseRole(changes.Role, out var newRole) || newRole != current.Role);
        var input = ToInput(current, includeRoleFields: !roleChanged);
        bool networkChanged = changes.Network is not null && !string.Equals(changes.Network.Trim(), current.Network, StringComparison.OrdinalIgnoreCase);
        var merged = input with
        {
            Role = changes.Role ?? input.Role,
            Macs = changes.Macs ?? input.Macs,
            Ip = changes.Ip ?? (networkChanged ? null : input.Ip),
            Network = changes.Network ?? input.Network,
            Labels = changes.Labels ?? input.Labels,
            CpuCores = changes.CpuCores ?? input.CpuCores,
            MemoryMiB = changes.MemoryMiB ?? input.MemoryMiB,
            Root = changes.Root ?? input.Root,
            Pair = changes.Pair ?? input.Pair,
            AoeShelf = changes.AoeShelf ?? input.AoeShelf,
            Volumes = changes.Volumes ?? input.Volumes,
            NfsExports = changes.NfsExports ?? input.NfsExports,
            VCpus = changes.VCpus ?? input.VCpus,
            DiskVolume = changes.DiskVolume ?? input.DiskVolume,
            Hypervisor = changes.Hypervisor ?? input.Hypervisor,
        };
        if (changes.Clear is not { Count: > 0 } clear)
        {
            return merged;
        }

        bool Cleared(string field) => clear.Contains(field);
        return merged with
        {
            // Removing the network frees the address too.
            Ip = Cleared("ip") || Cleared("network") ? null : merged.Ip,
            Network = Cleared("network") ? null : merged.Network,
            Labels = Cleared("labels") ? new Dictionary<string, string>() : merged.Labels,
            CpuCores = Cleared("cpuCores") ? null : merged.CpuCores,
            MemoryMiB = Cleared("memoryMiB") ? null : merged.MemoryMiB,
            Root = Cleared("root") ? null : merged.Root,
            Pair = Cleared("pair") ? null : merged.Pair,
            AoeShelf = Cleared("aoeShelf") ? null : merged.AoeShelf,
            Volumes = Cleared("volumes") ? null : merged.Volumes,
            NfsExports = Cleared("nfsExports") ? null : merged.NfsExports,
            VCpus = Cleared("vCpus") ? null : merged.VCpus,
            DiskVolume = Cleared("diskVolume") ? null : merged.DiskVolume,
            Hypervisor = Cleared("hypervisor") ? null : merged.Hypervisor,
        };
    }

    public static NodeInput ToInput(Node node, bool includeRoleFields) => new()
    {
        Name = node.Name,
        Role = node.Role.ToWire(),
        Macs = node.Macs.Select(m => m.ToString()).ToList(),
        Ip = node.Ip?.ToString(),
        Network = node.Network,
        State = node.State.ToWire(),
        Labels = node.Labels,
        CpuCores = includeRoleFields ? node.Hardware?.CpuCores : null,
        MemoryMiB = includeRoleFields ? node.Hardware?.MemoryMiB ?? node.Instance?.MemoryMiB : null,
        Root = includeRoleFields ? node.Hardware?.Root?.ToString() : null,
        Pair = includeRoleFields ? node.Storage?.Pair : null,
        AoeShelf = includeRoleFields ? node.Storage?.AoeShelf : null,
        Volumes = includeRoleFields && node.Storage is { Volumes.Count: > 0 } s ? s.Volumes.Select(v => new VolumeInput(v.Name, v.Slot, v.SizeBytes, v.BackingPath)).ToList() : null,
        NfsExports = includeRoleFields && node.Storage is { NfsExports.Count: > 0 } e ? e.NfsExports : null,
        VCpus = includeRoleFields ? node.Instance?.VCpus : null,
        DiskVolume = includeRoleFields ? node.Instance?.DiskVolume : null,
        Hypervisor = includeRoleFields ? node.Instance?.Hypervisor : null,
    };

    /// <summary>What changed, e.g. <c>state: registered -&gt; retired; ip: 10.0.0.5 -&gt; 10.0.0.6</c>.</summary>
    public static string Describe(Node before, Node after)
    {
        var a = Fields(before);
        var b = Fields(after);
        return string.Join("; ", a.Keys.Where(k => a[k] != b[k]).Select(k => $"{k}: {a[k] ?? "(none)"} -> {b[k] ?? "(none)"}"));
    }

    /// <summary>A one-line description of a node for the event log.</summary>
    public static string Describe(Node node) =>
        string.Join("; ", Fields(node).Where(f => !string.IsNullOrEmpty(f.Value)).Select(f => $"{f.Key}: {f.Value}"));

    private static Dictionary<string, string?> Fields(Node node)
    {
        var input = ToInput(node, includeRoleFields: true);
        return new Dictionary<string, string?>(StringComparer.Ordinal)
        {
            ["role"] = input.Role,
            ["macs"] = string.Join(",", input.Macs!),
            ["ip"] = input.Ip,
            ["network"] = input.Network,
            ["state"] = input.State,
            ["labels"] = string.Join(",", node.Labels.OrderBy(l => l.Key, StringComparer.Ordinal).Select(l => $"{l.Key}={l.Value}")),
            ["cpuCores"] = input.CpuCores?.ToString(CultureInfo.InvariantCulture),
            ["memoryMiB"] = input.MemoryMiB?.ToString(CultureInfo.InvariantCulture),
            ["root"] = input.Root,
            ["pair"] = input.Pair,
            ["aoeShelf"] = input.AoeShelf?.ToString(CultureInfo.InvariantCulture),
            ["volumes"] = input.Volumes is null ? null : string.Join(",", input.Volumes.Select(v => $"{v.Name}@{v.Slot}")),
            ["nfsExports"] = input.NfsExports is null ? null : string.Join(",", input.NfsExports),
            ["vCpus"] = input.VCpus?.ToString(CultureInfo.InvariantCulture),
            ["diskVolume"] = input.DiskVolume,
            ["hypervisor"] = input.Hypervisor,
        };
    }
}

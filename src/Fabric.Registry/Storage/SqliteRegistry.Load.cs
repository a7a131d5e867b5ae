using System.Collections.Immutable;
using System.Net;
using System.Text.Json;
using Dapper;
using Fabric.Core;
using Microsoft.Data.Sqlite;

namespace Fabric.Registry.Storage;

internal sealed partial class SqliteRegistry
{
    private static RegistrySnapshot LoadSnapshot(SqliteConnection connection)
    {
        var snapshot = RegistrySnapshot.Empty;
        var networks = ImmutableSortedDictionary.CreateBuilder<string, Network>(StringComparer.Ordinal);
        foreach (var row in connection.Query<NetworkRow>(
            "SELECT name AS Name, cidr AS Cidr, gateway AS Gateway, dns AS Dns, pool_start AS PoolStart, pool_end AS PoolEnd, vlan AS Vlan, lease_seconds AS LeaseSeconds, serve_unknown AS ServeUnknown FROM networks"))
        {
            networks[row.Name] = new Network(
                row.Name,
                IPNetwork.Parse(row.Cidr),
                row.Gateway is null ? null : IPAddress.Parse(row.Gateway),
                row.Dns.Split(',', StringSplitOptions.RemoveEmptyEntries).Select(IPAddress.Parse).ToList(),
                row.PoolStart is null ? null : IPAddress.Parse(row.PoolStart),
                row.PoolEnd is null ? null : IPAddress.Parse(row.PoolEnd),
                row.Vlan is null ? null : (int)row.Vlan,
                TimeSpan.FromSeconds(row.LeaseSeconds),
                row.ServeUnknown != 0);
        }

        snapshot = snapshot with { Networks = networks.ToImmutable() };

        var macs = connection.Query<(long NodeId, string Mac)>("SELECT node_id, mac FROM node_macs ORDER BY node_id, position")
            .ToLookup(r => r.NodeId, r => MacAddress.Parse(r.Mac));
        var ips = connection.Query<(long NodeId, string Ip, string Network)>("SELECT node_id, ip, network FROM node_ips")
            .ToDictionary(r => r.NodeId);
        var labels = connection.Query<(long NodeId, string Key, string Value)>("SELECT node_id, key, value FROM node_labels")
            .ToLookup(r => r.NodeId);
        var fields = connection.Query<FieldsRow>(
            "SELECT node_id AS NodeId, cpu_cores AS CpuCores, memory_mib AS MemoryMiB, root AS Root, pair AS Pair, aoe_shelf AS AoeShelf, volumes AS Volumes, nfs_exports AS NfsExports, vcpus AS VCpus, disk_volume AS DiskVolume, hypervisor AS Hypervisor FROM node_fields")
            .ToDictionary(r => r.NodeId);

        foreach (var row in connection.Query<NodeRow>(
            "SELECT id AS Id, name AS Name, role AS Role, state AS State, created_at AS CreatedAt, updated_at AS UpdatedAt, COALESCE(state_changed_at, updated_at) AS StateChangedAt FROM nodes"))
        {
            NodeEnumNames.TryParseRole(row.Role, out var role);
            NodeEnumNames.TryParseState(row.State, out var state);
            ips.TryGetValue(row.Id, out var ip);
            fields.TryGetValue(row.Id, out var f);
            var node = new Node
            {
                Name = row.Name,
                Role = role,
                Macs = macs[row.Id].ToList(),
                Ip = ip.Ip is null ? null : IPAddress.Parse(ip.Ip),
                Network = ip.Network,
                State = state,
                Labels = labels[row.Id].ToDictionary(l => l.Key, l => l.Value, StringComparer.Ordinal),
                Hardware = role == NodeRole.Hardware
                    ? new HardwareSpec((int?)f?.CpuCores, f?.MemoryMiB, f?.Root is { } root && RootSpec.TryParse(root, out var spec, out _) ? spec : null)
                    : null,
                Storage = role == NodeRole.Storage
                    ? new StorageSpec(
                        f?.Pair,
                        (int?)f?.AoeShelf,
                        f?.Volumes is null ? [] : JsonSerializer.Deserialize<List<StorageVolume>>(f.Volumes) ?? [],
                        f?.NfsExports is null ? [] : JsonSerializer.Deserialize<List<string>>(f.NfsExports) ?? [])
                    : null,
                Instance = role == NodeRole.Instance
                    ? new InstanceSpec((int?)f?.VCpus, f?.MemoryMiB, f?.DiskVolume, ip.Network, f?.Hypervisor)
                    : null,
                CreatedAt = FromUnixMs(row.CreatedAt),
                UpdatedAt = FromUnixMs(row.UpdatedAt),
            };
            snapshot = snapshot.WithNode(new NodeEntry(row.Id, node, FromUnixMs(row.StateChangedAt)));
        }

        return snapshot;
    }

    /// <summary>The stored node as an input, with the changes laid over it. Changing the role drops the old role's fields;
    /// a discovered node given a role or a root becomes <c>registered</c>.</summary>
    private static NodeInput Merge(Node current, NodeInput changes)
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
            State = changes.State ?? (Adopted(current, changes) ? NodeState.Registered.ToWire() : input.State),
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

    /// <summary>An operator who gives a discovered node a role or a root adopts it: it leaves discovery and boots
    /// as what it now is, unless the same change names a state of its own.</summary>
    private static bool Adopted(Node current, NodeInput changes) =>
        current.State == NodeState.Discovered && (changes.Role is not null || changes.Root is not null);

    private static NodeInput ToInput(Node node, bool includeRoleFields) => new()
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
            ["cpuCores"] = input.CpuCores?.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["memoryMiB"] = input.MemoryMiB?.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["root"] = input.Root,
            ["pair"] = input.Pair,
            ["aoeShelf"] = input.AoeShelf?.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["volumes"] = input.Volumes is null ? null : string.Join(",", input.Volumes.Select(v => $"{v.Name}@{v.Slot}")),
            ["nfsExports"] = input.NfsExports is null ? null : string.Join(",", input.NfsExports),
            ["vCpus"] = input.VCpus?.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["diskVolume"] = input.DiskVolume,
            ["hypervisor"] = input.Hypervisor,
        };
    }

    /// <summary>What changed, e.g. <c>state: registered -&gt; up; ip: 10.0.0.5 -&gt; 10.0.0.6</c>.</summary>
    private static string Changes(Node before, Node after)
    {
        var a = Fields(before);
        var b = Fields(after);
        return string.Join("; ", a.Keys.Where(k => a[k] != b[k]).Select(k => $"{k}: {a[k] ?? "(none)"} -> {b[k] ?? "(none)"}"));
    }

    /// <summary>A one-line description of a node for the event log.</summary>
    private static string Describe(Node node) =>
        string.Join("; ", Fields(node).Where(f => !string.IsNullOrEmpty(f.Value)).Select(f => $"{f.Key}: {f.Value}"));

    private sealed class NetworkRow
    {
        public string Name { get; set; } = "";

        public string Cidr { get; set; } = "";

        public string? Gateway { get; set; }

        public string Dns { get; set; } = "";

        public string? PoolStart { get; set; }

        public string? PoolEnd { get; set; }

        public long? Vlan { get; set; }

        public long LeaseSeconds { get; set; }

        public long ServeUnknown { get; set; }
    }

    private sealed class NodeRow
    {
        public long Id { get; set; }

        public string Name { get; set; } = "";

        public string Role { get; set; } = "";

        public string State { get; set; } = "";

        public long CreatedAt { get; set; }

        public long UpdatedAt { get; set; }

        public long StateChangedAt { get; set; }
    }

    private sealed class FieldsRow
    {
        public long NodeId { get; set; }

        public long? CpuCores { get; set; }

        public long? MemoryMiB { get; set; }

        public string? Root { get; set; }

        public string? Pair { get; set; }

        public long? AoeShelf { get; set; }

        public string? Volumes { get; set; }

        public string? NfsExports { get; set; }

        public long? VCpus { get; set; }

        public string? DiskVolume { get; set; }

        public string? Hypervisor { get; set; }
    }

    private sealed class EventRow
    {
        public long Id { get; set; }

        public string Node { get; set; } = "";

        public long At { get; set; }

        public string Kind { get; set; } = "";

        public string Message { get; set; } = "";

        public string Actor { get; set; } = "";
    }
}

using System.Net;
using System.Text.Json;
using Dapper;
using Fabric.Core;
using Fabric.Core.Lifecycle;
using Microsoft.Data.Sqlite;

namespace Fabric.Registry.Sqlite;

/// <summary>Reads every network and node of the database into domain records.</summary>
internal static class SqliteRegistryLoader
{
    public static StoredRegistry Load(SqliteConnection connection)
    {
        var networks = new List<Network>();
        foreach (var row in connection.Query<NetworkRow>(
            "SELECT name AS Name, cidr AS Cidr, gateway AS Gateway, dns AS Dns, pool_start AS PoolStart, pool_end AS PoolEnd, vlan AS Vlan, lease_seconds AS LeaseSeconds, serve_unknown AS ServeUnknown, boot_timeout_seconds AS BootTimeoutSeconds, kind AS Kind FROM networks"))
        {
            networks.Add(new Network(
                row.Name,
                IPNetwork.Parse(row.Cidr),
                row.Gateway is null ? null : IPAddress.Parse(row.Gateway),
                row.Dns.Split(',', StringSplitOptions.RemoveEmptyEntries).Select(IPAddress.Parse).ToList(),
                row.PoolStart is null ? null : IPAddress.Parse(row.PoolStart),
                row.PoolEnd is null ? null : IPAddress.Parse(row.PoolEnd),
                row.Vlan is null ? null : (int)row.Vlan,
                TimeSpan.FromSeconds(row.LeaseSeconds),
                row.ServeUnknown != 0,
                row.BootTimeoutSeconds is null ? null : (int)row.BootTimeoutSeconds,
                NetworkKindNames.TryParse(row.Kind, out var kind) ? kind : NetworkKind.Boot));
        }

        var macs = connection.Query<(long NodeId, string Mac)>("SELECT node_id, mac FROM node_macs ORDER BY node_id, position")
            .ToLookup(r => r.NodeId, r => MacAddress.Parse(r.Mac));
        var ips = connection.Query<(long NodeId, string Ip, string Network)>("SELECT node_id, ip, network FROM node_ips")
            .ToDictionary(r => r.NodeId);
        var labels = connection.Query<(long NodeId, string Key, string Value)>("SELECT node_id, key, value FROM node_labels")
            .ToLookup(r => r.NodeId);
        var fields = connection.Query<FieldsRow>(
            "SELECT node_id AS NodeId, cpu_cores AS CpuCores, memory_mib AS MemoryMiB, root AS Root, pair AS Pair, aoe_shelf AS AoeShelf, volumes AS Volumes, nfs_exports AS NfsExports, vcpus AS VCpus, disk_volume AS DiskVolume, hypervisor AS Hypervisor, " +
            "storage_path AS StoragePath, aoe_interface AS AoeInterface, image_path AS ImagePath, ssh_address AS SshAddress, ssh_port AS SshPort, ssh_user AS SshUser, ssh_host_key AS SshHostKey, image AS Image, instance_state AS InstanceState, trunk_interface AS TrunkInterface, uplink_interface AS UplinkInterface FROM node_fields")
            .ToDictionary(r => r.NodeId);

        var nodes = new List<StoredNode>();
        foreach (var row in connection.Query<NodeRow>(
            "SELECT id AS Id, name AS Name, role AS Role, state AS State, created_at AS CreatedAt, updated_at AS UpdatedAt, COALESCE(state_changed_at, updated_at) AS StateChangedAt FROM nodes"))
        {
            // The columns hold only names this code wrote (the API validates them first); an unknown one reads as the default.
            _ = NodeEnumNames.TryParseRole(row.Role, out var role);
            _ = NodeEnumNames.TryParseState(row.State, out var state);
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
                        f?.NfsExports is null ? [] : JsonSerializer.Deserialize<List<string>>(f.NfsExports) ?? [],
                        f?.StoragePath,
                        f?.AoeInterface,
                        f?.ImagePath)
                    : null,
                Instance = role == NodeRole.Instance
                    ? new InstanceSpec(
                        (int?)f?.VCpus,
                        f?.MemoryMiB,
                        f?.DiskVolume,
                        ip.Network,
                        f?.Hypervisor,
                        f?.Image,
                        InstanceStateNames.TryParse(f?.InstanceState, out var instanceState) ? instanceState : InstanceState.Defined)
                    : null,
                Router = role == NodeRole.Router ? new RouterSpec(f?.TrunkInterface, f?.UplinkInterface) : null,
                Ssh = f is null ? SshAccess.None : new SshAccess(f.SshAddress, (int?)f.SshPort, f.SshUser, f.SshHostKey),
                CreatedAt = DateTimeOffset.FromUnixTimeMilliseconds(row.CreatedAt),
                UpdatedAt = DateTimeOffset.FromUnixTimeMilliseconds(row.UpdatedAt),
            };
            nodes.Add(new StoredNode(row.Id, node, DateTimeOffset.FromUnixTimeMilliseconds(row.StateChangedAt)));
        }

        return new StoredRegistry(networks, nodes);
    }

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

        public long? BootTimeoutSeconds { get; set; }

        public string? Kind { get; set; }
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

        public string? StoragePath { get; set; }

        public string? ImagePath { get; set; }

        public string? AoeInterface { get; set; }

        public string? SshAddress { get; set; }

        public long? SshPort { get; set; }

        public string? SshUser { get; set; }

        public string? SshHostKey { get; set; }

        public string? Image { get; set; }

        public string? InstanceState { get; set; }

        public string? TrunkInterface { get; set; }

        public string? UplinkInterface { get; set; }
    }
}

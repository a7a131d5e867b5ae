using Fabric.Api.Contracts;
using Fabric.Core;
using Fabric.Core.Lifecycle;
using Fabric.Registry;
using Fabric.Storage.Health;

namespace Fabric.Appliance.Api;

/// <summary>Between the domain records and the API's JSON types.</summary>
internal static class DtoMapping
{
    public static NodeDto ToDto(this Node node) => new()
    {
        Name = node.Name,
        Role = node.Role.ToWire(),
        Macs = node.Macs.Select(m => m.ToString()).ToList(),
        Ip = node.Ip?.ToString(),
        Network = node.Network,
        State = node.State.ToWire(),
        Labels = node.Labels,
        CpuCores = node.Hardware?.CpuCores,
        MemoryMiB = node.Hardware?.MemoryMiB ?? node.Instance?.MemoryMiB,
        Root = node.Hardware?.Root?.ToString(),
        Pair = node.Storage?.Pair,
        AoeShelf = node.Storage?.AoeShelf,
        Volumes = node.Storage?.Volumes.Select(v => new VolumeDto(v.Name, v.Slot, v.SizeBytes, v.BackingPath)).ToList(),
        NfsExports = node.Storage?.NfsExports,
        VCpus = node.Instance?.VCpus,
        DiskVolume = node.Instance?.DiskVolume,
        Hypervisor = node.Instance?.Hypervisor,
        StoragePath = node.Storage?.StoragePath,
        AoeInterface = node.Storage?.AoeInterface,
        ImagePath = node.Storage?.ImagePath,
        SshAddress = node.Ssh.Address,
        SshPort = node.Ssh.Port,
        SshUser = node.Ssh.User,
        SshHostKey = node.Ssh.HostKey,
        Image = node.Instance?.Image,
        InstanceState = node.Instance?.State?.ToWire(),
        TrunkInterface = node.Router?.TrunkInterface,
        UplinkInterface = node.Router?.UplinkInterface,
        CreatedAt = node.CreatedAt,
        UpdatedAt = node.UpdatedAt,
    };

    /// <summary>The node with its health when it is a storage node.</summary>
    public static NodeDto ToDto(this Node node, Storage.Health.IStorageHealth health) =>
        node.Role == NodeRole.Storage ? node.ToDto() with { Health = health.Of(node.Name).Health.ToWire() } : node.ToDto();

    public static NetworkDto ToDto(this Network network) => new()
    {
        Name = network.Name,
        Cidr = network.Cidr.ToString(),
        Gateway = network.Gateway?.ToString(),
        Dns = network.Dns.Select(d => d.ToString()).ToList(),
        PoolStart = network.PoolStart?.ToString(),
        PoolEnd = network.PoolEnd?.ToString(),
        Vlan = network.Vlan,
        LeaseSeconds = (int)network.LeaseTime.TotalSeconds,
        ServeUnknown = network.ServeUnknown,
        BootTimeoutSeconds = network.BootTimeoutSeconds,
        Kind = network.Kind.ToWire(),
    };

    public static NodeEventDto ToDto(this NodeEvent e) => new(e.Id, e.Node, e.At, e.Kind.Wire, e.Message, e.Actor);

    public static LeaseDto ToDto(this Lease lease) =>
        new(lease.Address.ToString(), lease.Mac.ToString(), lease.Hostname, lease.Node, lease.State.ToString().ToLowerInvariant(), lease.Starts, lease.Ends);

    public static NodeInput ToInput(this CreateNodeRequest request)
    {
        IReadOnlyList<string>? macs = request.Macs;
        var field = "macs";
        if (request.Mac is not null)
        {
            macs = [request.Mac, .. request.Macs ?? []];
            field = request.Macs is null ? "mac" : "macs";
        }

        return request.ToFields() with { Name = request.Name, Macs = macs, MacField = macs is null ? "mac" : field };
    }

    public static NodeInput ToChanges(this PatchNodeRequest request) => request.ToFields() with { State = request.State };

    private static NodeInput ToFields(this NodeFieldsRequest request) => new()
    {
        Role = request.Role,
        Macs = request.Macs,
        Ip = request.Ip,
        Network = request.Network,
        Labels = request.Labels,
        CpuCores = request.CpuCores,
        MemoryMiB = request.MemoryMiB,
        Root = request.Root,
        Pair = request.Pair,
        AoeShelf = request.AoeShelf,
        Volumes = request.Volumes?.Select(ToInput).ToList(),
        NfsExports = request.NfsExports,
        VCpus = request.VCpus,
        DiskVolume = request.DiskVolume,
        Hypervisor = request.Hypervisor,
        StoragePath = request.StoragePath,
        AoeInterface = request.AoeInterface,
        ImagePath = request.ImagePath,
        SshAddress = request.SshAddress,
        SshPort = request.SshPort,
        SshUser = request.SshUser,
        SshHostKey = request.SshHostKey,
        Image = request.Image,
        TrunkInterface = request.TrunkInterface,
        UplinkInterface = request.UplinkInterface,
    };

    public static NetworkInput ToInput(this CreateNetworkRequest request) => new()
    {
        Name = request.Name,
        Cidr = request.Cidr,
        Gateway = request.Gateway,
        Dns = request.Dns,
        PoolStart = request.PoolStart,
        PoolEnd = request.PoolEnd,
        Vlan = request.Vlan,
        LeaseSeconds = request.LeaseSeconds,
        ServeUnknown = request.ServeUnknown,
        BootTimeoutSeconds = request.BootTimeoutSeconds,
        Kind = request.Kind,
    };

    private static VolumeInput ToInput(VolumeDto volume) => new(volume.Name, volume.Slot, volume.SizeBytes, volume.BackingPath);
}

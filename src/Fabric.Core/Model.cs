using System.Net;

namespace Fabric.Core;

/// <summary>A managed IPv4 network (a boot network or a VM network).</summary>
/// <param name="Name">Unique name, host-name rules.</param>
/// <param name="Cidr">The network, e.g. 10.0.0.0/24.</param>
/// <param name="Gateway">Default router handed out by DHCP; never given to a node.</param>
/// <param name="Dns">DNS servers handed out by DHCP.</param>
/// <param name="PoolStart">First address of the dynamic pool (unknown MACs), or null for none.</param>
/// <param name="PoolEnd">Last address of the dynamic pool.</param>
/// <param name="Vlan">802.1Q VLAN id, or null when untagged.</param>
/// <param name="LeaseTime">DHCP lease time on this network.</param>
/// <param name="ServeUnknown">When true, unknown MACs get a pool address (and PXE into discovery);
/// when false they get nothing.</param>
/// <param name="BootTimeoutSeconds">Seconds its nodes wait for each boot step, or null for the appliance's default.</param>
/// <param name="Kind">What the network is for; <c>private</c> and <c>public</c> networks have their gateway on the router.</param>
public sealed record Network(
    string Name,
    IPNetwork Cidr,
    IPAddress? Gateway,
    IReadOnlyList<IPAddress> Dns,
    IPAddress? PoolStart,
    IPAddress? PoolEnd,
    int? Vlan,
    TimeSpan LeaseTime,
    bool ServeUnknown,
    int? BootTimeoutSeconds = null,
    NetworkKind Kind = NetworkKind.Boot)
{
    public static readonly TimeSpan DefaultLeaseTime = TimeSpan.FromHours(1);

    public bool InPool(IPAddress address)
    {
        if (PoolStart is null || PoolEnd is null || !Cidr.Contains(address))
        {
            return false;
        }

        uint value = Ipv4.ToUInt32(address);
        return value >= Ipv4.ToUInt32(PoolStart) && value <= Ipv4.ToUInt32(PoolEnd);
    }
}

/// <summary>A volume a StorageNode exports over AoE (as slot <see cref="Slot"/> of the node's shelf)
/// and/or NFS.</summary>
public sealed record StorageVolume(string Name, int Slot, long SizeBytes, string BackingPath);

/// <summary>StorageNode fields.</summary>
/// <param name="Pair">Name of the redundant pair this node belongs to (DRBD Primary/Primary peers).</param>
/// <param name="AoeShelf">The AoE shelf (major) number this node serves its volumes on.</param>
/// <param name="Volumes">Exported volumes.</param>
/// <param name="NfsExports">NFS export paths.</param>
/// <param name="StoragePath">Folder of the node's volume files, or null for <see cref="DefaultStoragePath"/>.</param>
/// <param name="AoeInterface">Interface the node's AoE exports are served on, or null for <see cref="DefaultAoeInterface"/>.</param>
/// <param name="ImagePath">Folder of the node's root images, or null for <see cref="DefaultImagePath"/>.</param>
public sealed record StorageSpec(
    string? Pair,
    int? AoeShelf,
    IReadOnlyList<StorageVolume> Volumes,
    IReadOnlyList<string> NfsExports,
    string? StoragePath = null,
    string? AoeInterface = null,
    string? ImagePath = null)
{
    public const string DefaultStoragePath = "/srv/fabric/volumes";

    public const string DefaultAoeInterface = "eth0";

    /// <summary>Where images live on a storage node unless it says otherwise.</summary>
    public const string DefaultImagePath = "/srv/fabric/images";

    public string EffectiveStoragePath => StoragePath ?? DefaultStoragePath;

    public string EffectiveAoeInterface => AoeInterface ?? DefaultAoeInterface;

    public string EffectiveImagePath => ImagePath ?? DefaultImagePath;
}

/// <summary>How Fabric reaches a node over SSH; null fields take their defaults (<see cref="Node.SshEndpoint"/>).</summary>
/// <param name="Address">Host name or address, or null for the node's IP.</param>
/// <param name="Port">TCP port, or null for 22.</param>
/// <param name="User">Login, or null for <c>root</c>.</param>
/// <param name="HostKey">The pinned host key, <c>TYPE BASE64</c> (see <see cref="SshHostKeyText"/>), or null while none is pinned.</param>
public sealed record SshAccess(string? Address, int? Port, string? User, string? HostKey)
{
    public const int DefaultPort = 22;

    public const string DefaultUser = "root";

    public static SshAccess None { get; } = new(null, null, null, null);
}

/// <summary>Router fields: the interfaces the router joins instance networks on.</summary>
/// <param name="TrunkInterface">Towards the hypervisors, carrying the instance networks' VLANs tagged, or null for
/// <see cref="DefaultTrunkInterface"/>.</param>
/// <param name="UplinkInterface">Towards the outside, or null for <see cref="DefaultUplinkInterface"/>.</param>
public sealed record RouterSpec(string? TrunkInterface, string? UplinkInterface)
{
    public const string DefaultTrunkInterface = "eth1";

    public const string DefaultUplinkInterface = "eth2";

    public string EffectiveTrunkInterface => TrunkInterface ?? DefaultTrunkInterface;

    public string EffectiveUplinkInterface => UplinkInterface ?? DefaultUplinkInterface;
}

/// <summary>HardwareNode fields: a diskless hypervisor.</summary>
public sealed record HardwareSpec(int? CpuCores, long? MemoryMiB, RootSpec? Root);

/// <summary>Instance (VM) fields.</summary>
/// <param name="VCpus">Virtual CPUs.</param>
/// <param name="MemoryMiB">Guest memory; never overcommitted.</param>
/// <param name="DiskVolume">The volume its disk is on.</param>
/// <param name="Network">The node's network, repeated here.</param>
/// <param name="Hypervisor">The HardwareNode it is placed on (runs on, when running).</param>
/// <param name="Image">The image its disk was made from.</param>
/// <param name="State">Its lifecycle state (<see cref="Lifecycle.InstanceState"/>); null for an instance recorded
/// before instances had one.</param>
public sealed record InstanceSpec(
    int? VCpus,
    long? MemoryMiB,
    string? DiskVolume,
    string? Network,
    string? Hypervisor,
    string? Image = null,
    Lifecycle.InstanceState? State = null);

/// <summary>A registered node. Exactly one of the role specs is set, matching <see cref="Role"/>.</summary>
public sealed record Node
{
    public required string Name { get; init; }

    public required NodeRole Role { get; init; }

    public required IReadOnlyList<MacAddress> Macs { get; init; }

    public IPAddress? Ip { get; init; }

    public string? Network { get; init; }

    public NodeState State { get; init; } = NodeState.Registered;

    public IReadOnlyDictionary<string, string> Labels { get; init; } = new Dictionary<string, string>();

    public StorageSpec? Storage { get; init; }

    public HardwareSpec? Hardware { get; init; }

    public InstanceSpec? Instance { get; init; }

    public RouterSpec? Router { get; init; }

    /// <summary>How Fabric reaches the node over SSH (every role).</summary>
    public SshAccess Ssh { get; init; } = SshAccess.None;

    /// <summary>The SSH address, port and user with defaults applied (address: the node's IP), or a null address when
    /// the node has neither.</summary>
    public (string? Address, int Port, string User) SshEndpoint =>
        (Ssh.Address ?? Ip?.ToString(), Ssh.Port ?? SshAccess.DefaultPort, Ssh.User ?? SshAccess.DefaultUser);

    public DateTimeOffset CreatedAt { get; init; }

    public DateTimeOffset UpdatedAt { get; init; }
}

/// <summary>One entry of a node's event log. <see cref="Actor"/> is the text recorded at the time (see
/// <see cref="Events.Actor"/> for the forms written now; older entries keep theirs).</summary>
public sealed record NodeEvent(long Id, string Node, DateTimeOffset At, Events.EventKind Kind, string Message, string Actor);

namespace Fabric.Registry;

/// <summary>A node as a request describes it: raw text, checked by the registry. <see cref="MacField"/>
/// names the request field the MACs came from (<c>mac</c> or <c>macs</c>) so errors point at it.
/// The same record describes a change (PATCH): there, null fields keep the stored value, the fields named in
/// <see cref="Clear"/> are removed (JSON merge patch, RFC 7396: a member set to null), and the name is ignored.</summary>
public sealed record NodeInput
{
    /// <summary>The fields a change may remove, by their wire names. Name, role, MACs and state always have a value.</summary>
    public static IReadOnlySet<string> Clearable { get; } =
        new HashSet<string>(["ip", "network", "labels", .. Roles.RoleModules.Fields.Select(f => f.Name)], StringComparer.Ordinal);

    /// <summary>A change only: wire names of fields to remove (see <see cref="Clearable"/>).</summary>
    public IReadOnlyCollection<string>? Clear { get; init; }

    public string? Name { get; init; }

    public string? Role { get; init; }

    public IReadOnlyList<string>? Macs { get; init; }

    public string MacField { get; init; } = "macs";

    public string? Ip { get; init; }

    public string? Network { get; init; }

    public string? State { get; init; }

    public IReadOnlyDictionary<string, string>? Labels { get; init; }

    public int? CpuCores { get; init; }

    public long? MemoryMiB { get; init; }

    public string? Root { get; init; }

    public string? Pair { get; init; }

    public int? AoeShelf { get; init; }

    public IReadOnlyList<VolumeInput>? Volumes { get; init; }

    public IReadOnlyList<string>? NfsExports { get; init; }

    public int? VCpus { get; init; }

    public string? DiskVolume { get; init; }

    public string? Hypervisor { get; init; }

    public string? StoragePath { get; init; }

    public string? AoeInterface { get; init; }

    public string? ImagePath { get; init; }

    public string? SshAddress { get; init; }

    public int? SshPort { get; init; }

    public string? SshUser { get; init; }

    public string? SshHostKey { get; init; }

    public string? Image { get; init; }

    public string? TrunkInterface { get; init; }

    public string? UplinkInterface { get; init; }
}

/// <summary>A storage volume as a request describes it.</summary>
public sealed record VolumeInput(string? Name, int Slot, long SizeBytes, string? BackingPath);

/// <summary>A network as a request describes it.</summary>
public sealed record NetworkInput
{
    public string? Name { get; init; }

    public string? Cidr { get; init; }

    public string? Gateway { get; init; }

    public IReadOnlyList<string>? Dns { get; init; }

    public string? PoolStart { get; init; }

    public string? PoolEnd { get; init; }

    public int? Vlan { get; init; }

    public int? LeaseSeconds { get; init; }

    public bool? ServeUnknown { get; init; }

    /// <summary>How long (seconds) nodes on this network wait for each boot step; null for the appliance's default.</summary>
    public int? BootTimeoutSeconds { get; init; }

    /// <summary><c>boot</c> (the default), <c>private</c> or <c>public</c>.</summary>
    public string? Kind { get; init; }
}

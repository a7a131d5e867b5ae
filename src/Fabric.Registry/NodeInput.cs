namespace Fabric.Registry;

/// <summary>A node as a request describes it: raw text, checked by the registry. <see cref="MacField"/>
/// names the request field the MACs came from (<c>mac</c> or <c>macs</c>) so errors point at it.
/// The same record describes a change (PATCH): there, null fields keep the stored value and the name is ignored.</summary>
public sealed record NodeInput
{
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
}

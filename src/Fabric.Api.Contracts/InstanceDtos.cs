namespace Fabric.Api.Contracts;

/// <summary><c>POST /api/v1/instances</c>: a new instance. <see cref="Hypervisor"/> asks for one hypervisor; without it
/// placement chooses (the one with the most free memory that fits).</summary>
public sealed record CreateInstanceRequest
{
    public string? Name { get; init; }

    public int? VCpus { get; init; }

    public long? MemoryMiB { get; init; }

    public string? Image { get; init; }

    /// <summary>The instance's disk: an absolute path (a volume file every hypervisor opens by path) or the name of a
    /// volume of a storage pair. Without it the disk is made from <see cref="Image"/> on <see cref="Pair"/> as volume
    /// <c>NAME-disk</c>.</summary>
    public string? DiskVolume { get; init; }

    /// <summary>The storage pair the disk is made on (default: the setting <c>Fabric:Storage:DefaultPair</c>).</summary>
    public string? Pair { get; init; }

    public string? Network { get; init; }

    /// <summary>Given, or the network's lowest free address outside its DHCP pool.</summary>
    public string? Ip { get; init; }

    public string? Hypervisor { get; init; }

    public IReadOnlyDictionary<string, string>? Labels { get; init; }
}

/// <summary><c>POST /api/v1/instances/{name}/migrate</c>: where to; without a target placement chooses.</summary>
public sealed record MigrateInstanceRequest
{
    public string? Target { get; init; }
}

/// <summary>An instance as <c>GET /api/v1/instances[/{name}]</c> shows it.</summary>
public sealed record InstanceDto
{
    public required string Name { get; init; }

    /// <summary><c>defined</c>, <c>starting</c>, <c>running</c>, <c>migrating</c>, <c>stopping</c>, <c>stopped</c> or <c>failed</c>.</summary>
    public required string State { get; init; }

    public int? VCpus { get; init; }

    public long? MemoryMiB { get; init; }

    public string? Image { get; init; }

    public string? DiskVolume { get; init; }

    public string? Hypervisor { get; init; }

    public string? Network { get; init; }

    public string? Ip { get; init; }

    /// <summary>The MAC Fabric generated (locally administered).</summary>
    public string? Mac { get; init; }

    public IReadOnlyDictionary<string, string> Labels { get; init; } = new Dictionary<string, string>();

    public DateTimeOffset CreatedAt { get; init; }
}

namespace Fabric.Instances.Operations;

/// <summary>A new instance as the request describes it (<c>POST /api/v1/instances</c>): raw values, checked by
/// <see cref="IInstanceOperations.CreateAsync"/> and the registry. <see cref="Hypervisor"/> asks for one hypervisor;
/// without it placement chooses.</summary>
public sealed record InstanceRequest
{
    public string? Name { get; init; }

    public int? VCpus { get; init; }

    public long? MemoryMiB { get; init; }

    public string? Image { get; init; }

    /// <summary>An absolute path (a volume file every hypervisor opens by path) or the name of a volume of a pair;
    /// without it the disk is made from <see cref="Image"/> on <see cref="Pair"/> as volume <c>NAME-disk</c>.</summary>
    public string? DiskVolume { get; init; }

    /// <summary>The storage pair the disk is made on (default <c>Fabric:Storage:DefaultPair</c>).</summary>
    public string? Pair { get; init; }

    public string? Network { get; init; }

    public string? Ip { get; init; }

    public string? Hypervisor { get; init; }

    public IReadOnlyDictionary<string, string>? Labels { get; init; }
}

namespace Fabric.Api.Contracts;

/// <summary>A root image held by both storage nodes of a pair. <see cref="Format"/> is <c>ext4</c> (a file system image,
/// for AoE volumes and roots), <c>disk</c> (a disk image with a boot sector, for instances' disks) or <c>tar</c> (a root
/// tree, for NFS roots), detected by the appliance from the upload's first bytes.</summary>
public sealed record ImageDto(string Name, string Pair, long SizeBytes, string Sha256, DateTimeOffset PushedAt, string Format = "ext4");

/// <summary>One copy of a volume: the storage node, its AoE target and its file.</summary>
public sealed record VolumeCopyDto(string Node, string? Target, string BackingPath);

/// <summary>A volume of a pair: the same name and slot on both storage nodes, and who uses it.</summary>
public sealed record PairVolumeDto
{
    public required string Name { get; init; }

    public required string Pair { get; init; }

    public required int Slot { get; init; }

    public required long SizeBytes { get; init; }

    /// <summary>The md root a hardware node would use for it, <c>aoe-md:eA.N,eB.N</c>, when both copies are there.</summary>
    public string? Root { get; init; }

    public required IReadOnlyList<VolumeCopyDto> Copies { get; init; }

    /// <summary>Hardware nodes whose root and instances whose disk is on it; a volume in use cannot be removed.</summary>
    public IReadOnlyList<string> UsedBy { get; init; } = [];
}

/// <summary>POST /api/v1/volumes: a volume of <see cref="SizeBytes"/> on both storage nodes of <see cref="Pair"/>, a sparse
/// copy of <see cref="Image"/> when given, empty otherwise.</summary>
public sealed record CreateVolumeRequest
{
    public string? Name { get; init; }

    public string? Pair { get; init; }

    public long? SizeBytes { get; init; }

    public string? Image { get; init; }
}

/// <summary>The part of a hardware node's registration that asks Fabric to make its root: the pair it goes on and the
/// image it is made from (each defaulting to <c>Fabric:Storage:DefaultPair</c> / <c>DefaultImage</c>).</summary>
public sealed record ProvisionRequest
{
    public string? Pair { get; init; }

    public string? Image { get; init; }
}

/// <summary>The answer to a registration that provisions the node's root: the node (<c>provisioning</c>) and the job.</summary>
public sealed record ProvisionedNodeDto(NodeDto Node, JobDto Job);

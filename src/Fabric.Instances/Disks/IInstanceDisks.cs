using Fabric.Core;
using Fabric.Registry;
using Fabric.Registry.Images;
using Fabric.Storage.Pairs;

namespace Fabric.Instances.Disks;

/// <summary>Where an instance's disk is, seen from a hypervisor.</summary>
public interface IInstanceDisks
{
    /// <summary>How <paramref name="hypervisor"/> opens <paramref name="instance"/>'s disk. Throws
    /// <see cref="InstanceDiskException"/> with the reason when it cannot.</summary>
    Task<InstanceDisk> OpenOnAsync(Node instance, Node hypervisor, CancellationToken cancellationToken);
}

/// <summary>An instance's disk on one hypervisor: the path qemu opens and, for a volume of a pair opened as md, the
/// RAID1 the hypervisor assembles over both halves first.</summary>
public sealed record InstanceDisk(string Path, MdMirror? Mirror = null);

/// <summary>An md RAID1 over the two AoE halves of a volume: <paramref name="Device"/> (<c>/dev/md/VOLUME</c>) over
/// <paramref name="HalfA"/> and <paramref name="HalfB"/> (<c>/dev/etherd/eS.N</c>).</summary>
public sealed record MdMirror(string Device, string HalfA, string HalfB);

/// <summary>An instance's disk cannot be found or used; the message is for the operator.</summary>
public sealed class InstanceDiskException(string message) : Exception(message);

/// <summary>How a hypervisor opens a volume of a pair (label <see cref="RegistryInstanceDisks.ModeLabel"/>).</summary>
public enum DiskMode
{
    /// <summary>An md RAID1 over both AoE halves, assembled on the hypervisor (production).</summary>
    Md,

    /// <summary>The volume file of the pair's first storage node, by path (the lab: namespaces share one file system).</summary>
    Path,
}

/// <summary>The instance's <c>diskVolume</c> from the registry: an absolute path is a file every hypervisor opens as it
/// is (the lab's first set-up, kept as it was); any other value is the name of a volume of a storage pair, opened as the
/// hypervisor's label <see cref="ModeLabel"/> says.</summary>
internal sealed class RegistryInstanceDisks(IRegistry registry) : IInstanceDisks
{
    /// <summary><c>md</c> (the default) or <c>path</c>.</summary>
    public const string ModeLabel = "fabric.instances/disk";

    public Task<InstanceDisk> OpenOnAsync(Node instance, Node hypervisor, CancellationToken cancellationToken) =>
        Task.FromResult(Open(registry, instance, hypervisor));

    public static InstanceDisk Open(IRegistry registry, Node instance, Node hypervisor)
    {
        ArgumentNullException.ThrowIfNull(registry);
        ArgumentNullException.ThrowIfNull(instance);
        ArgumentNullException.ThrowIfNull(hypervisor);
        var volume = instance.Instance?.DiskVolume;
        if (string.IsNullOrEmpty(volume))
        {
            throw new InstanceDiskException($"{instance.Name} has no diskVolume");
        }

        if (IsPath(volume))
        {
            return CheckPath(volume) is { } problem ? throw new InstanceDiskException($"{instance.Name}: diskVolume {problem}") : new InstanceDisk(volume);
        }

        var mode = ModeOf(hypervisor, out var modeProblem);
        if (modeProblem is not null)
        {
            throw new InstanceDiskException(modeProblem);
        }

        var recorded = registry.ListVolumes().Where(v => v.Name == volume).ToList();
        if (recorded.Count != 1)
        {
            throw new InstanceDiskException(recorded.Count == 0
                ? $"{instance.Name}: no volume named '{volume}' on any pair (fabric volume list)"
                : $"{instance.Name}: pairs {string.Join(" and ", recorded.Select(v => v.Pair))} both have a volume '{volume}'");
        }

        var pairVolume = recorded[0];
        if (!StoragePair.TryResolve(registry.ListNodes(NodeRole.Storage), pairVolume.Pair, out var pair, out var reason))
        {
            throw new InstanceDiskException($"{instance.Name}: volume {volume}: {reason}");
        }

        if (mode == DiskMode.Path)
        {
            var copy = pairVolume.Copies.FirstOrDefault(c => string.Equals(c.Node, pair.A.Name, StringComparison.OrdinalIgnoreCase))
                ?? throw new InstanceDiskException($"{instance.Name}: volume {volume} has no copy on {pair.A.Name}");
            return new InstanceDisk(copy.BackingPath);
        }

        if (pairVolume.Copies.Count != 2)
        {
            throw new InstanceDiskException($"{instance.Name}: volume {volume} has {pairVolume.Copies.Count} of its 2 halves recorded");
        }

        var device = MdDevice(volume);
        return new InstanceDisk(device, new MdMirror(device, EtherdDevice(new AoeTarget(pair.ShelfA, pairVolume.Slot)), EtherdDevice(new AoeTarget(pair.ShelfB, pairVolume.Slot))));
    }

    /// <summary>How <paramref name="hypervisor"/> opens volumes of a pair; a bad label value is a problem, not a guess.</summary>
    public static DiskMode ModeOf(Node hypervisor, out string? problem)
    {
        ArgumentNullException.ThrowIfNull(hypervisor);
        problem = null;
        switch (hypervisor.Labels.GetValueOrDefault(ModeLabel))
        {
            case null or "md":
                return DiskMode.Md;
            case "path":
                return DiskMode.Path;
            case var other:
                problem = $"{hypervisor.Name}: label {ModeLabel} is '{other}', not md or path";
                return DiskMode.Md;
        }
    }

    /// <summary>The md array of volume <paramref name="volume"/> on a hypervisor.</summary>
    public static string MdDevice(string volume) => $"/dev/md/{volume}";

    /// <summary>The AoE driver's block device of <paramref name="target"/>.</summary>
    public static string EtherdDevice(AoeTarget target) => $"/dev/etherd/{target}";

    /// <summary>True when <paramref name="diskVolume"/> is meant as a file path (it starts with '/'), not a volume name.</summary>
    public static bool IsPath(string diskVolume) => diskVolume.StartsWith('/');

    /// <summary>Why <paramref name="diskVolume"/> is neither an absolute file path nor a volume name, or null.</summary>
    public static string? CheckDiskVolume(string diskVolume) =>
        IsPath(diskVolume) ? CheckPath(diskVolume) : StorageNames.Problem(diskVolume, "volume") is { } problem ? $"{problem}, nor an absolute file path" : null;

    /// <summary>Why <paramref name="volume"/> is not a usable file path, or null.</summary>
    public static string? CheckPath(string volume) =>
        volume.Length > 0 && volume[0] == '/' && !volume.Split('/').Any(p => p is "." or "..")
            ? null
            : $"'{volume}' is not an absolute file path (the volume file, opened by path on the hypervisor)";
}

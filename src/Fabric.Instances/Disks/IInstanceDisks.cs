using Fabric.Core;

namespace Fabric.Instances.Disks;

/// <summary>Where an instance's disk is, seen from a hypervisor.</summary>
public interface IInstanceDisks
{
    /// <summary>The path of <paramref name="instance"/>'s disk on <paramref name="hypervisor"/> (a block device in
    /// production, the storage node's volume file in the lab). Throws <see cref="InstanceDiskException"/> with the reason
    /// when it has none there.</summary>
    Task<string> PathOnAsync(Node instance, string hypervisor, CancellationToken cancellationToken);
}

/// <summary>An instance's disk cannot be found or used; the message is for the operator.</summary>
public sealed class InstanceDiskException(string message) : Exception(message);

/// <summary>The first <see cref="IInstanceDisks"/>: the instance's <c>diskVolume</c> is the path of its volume file,
/// which every hypervisor opens as it is (the lab's hypervisors are namespaces sharing the storage node's file system).
/// Volumes made on a storage pair (AoE, md over both halves) replace this when they are wired.</summary>
internal sealed class VolumePathDisks : IInstanceDisks
{
    public Task<string> PathOnAsync(Node instance, string hypervisor, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(instance);
        var volume = instance.Instance?.DiskVolume;
        if (string.IsNullOrEmpty(volume))
        {
            throw new InstanceDiskException($"{instance.Name} has no diskVolume");
        }

        if (CheckPath(volume) is { } problem)
        {
            throw new InstanceDiskException($"{instance.Name}: diskVolume {problem}");
        }

        return Task.FromResult(volume);
    }

    /// <summary>Why <paramref name="volume"/> is not a usable file path, or null.</summary>
    public static string? CheckPath(string volume) =>
        volume.Length > 0 && volume[0] == '/' && !volume.Split('/').Any(p => p is "." or "..")
            ? null
            : $"'{volume}' is not an absolute file path (the volume file, opened by path on the hypervisor)";
}

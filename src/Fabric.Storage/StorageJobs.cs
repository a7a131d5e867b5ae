using Fabric.Registry.Images;

namespace Fabric.Storage;

/// <summary>The storage job kinds and the names they derive, for the API that starts them.</summary>
public static class StorageJobs
{
    public const string ImagePush = "image-push";
    public const string VolumeCreate = "volume-create";
    public const string VolumeRemove = "volume-remove";
    public const string ProvisionRoot = "provision-root";

    /// <summary>Where the appliance keeps image <paramref name="name"/> of <paramref name="pair"/> before pushing it.</summary>
    public static string LocalImageFile(string imageFolder, string pair, string name) => Path.Combine(imageFolder, pair.ToLowerInvariant(), name + ".img");

    /// <summary>The root volume of hardware node <paramref name="node"/>.</summary>
    public static string RootVolumeOf(string node) => node + "-root";

    /// <summary>Why a hardware node's root cannot be made from <paramref name="image"/>, or null: a node's initramfs mounts
    /// an AoE root as ext4 and an NFS root from a tar's tree, so a disk image (an instance's disk) is no root.</summary>
    public static string? RootImageProblem(StoredImage image)
    {
        ArgumentNullException.ThrowIfNull(image);
        return image.Format is ImageFormat.Ext4 or ImageFormat.Tar
            ? null
            : $"image '{image.Name}' is a {image.Format.ToWire()} image (an instance's disk); a node's root is made from an ext4 or tar image";
    }
}

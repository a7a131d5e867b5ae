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
}

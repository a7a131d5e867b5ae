namespace Fabric.Registry.Images;

/// <summary>A root image held by both storage nodes of a pair (recorded only once both copies are complete).</summary>
/// <param name="Name">The image's name; its file in each node's image folder is <c>NAME.img</c> (ext4) or <c>NAME.tar</c> (tar).</param>
/// <param name="Pair">The storage pair that holds it.</param>
/// <param name="SizeBytes">Its size.</param>
/// <param name="Sha256">Its SHA-256, lower-case hex.</param>
/// <param name="PushedAt">When both copies were complete.</param>
/// <param name="Format">What the image is: an ext4 file system image (AoE volumes and roots), a disk image (volumes for
/// instances' disks) or a tar of a root tree (NFS roots).</param>
public sealed record StoredImage(string Name, string Pair, long SizeBytes, string Sha256, DateTimeOffset PushedAt, ImageFormat Format = ImageFormat.Ext4);

/// <summary>What an image is. An <c>ext4</c> image becomes AoE volumes (a sparse copy per volume), a node's root among
/// them; a <c>disk</c> image (anything with a boot sector: a partition table, or a file system that boots on its own)
/// becomes volumes too, but only an instance's disk (a node's initramfs mounts its root as ext4); a <c>tar</c> of a root
/// tree becomes an NFS root (extracted into a folder per node).</summary>
public enum ImageFormat
{
    Ext4,
    Tar,
    Disk,
}

/// <summary>An image's format: its wire names, the file name it has on a storage node, and its detection from the image's
/// first bytes. Pure: bytes in, a format out.</summary>
public static class ImageFormats
{
    /// <summary>How many leading bytes <see cref="Detect"/> needs: a tar header block (512) and the ext4 magic at 1080.</summary>
    public const int HeadLength = 1082;

    /// <summary>The offset of the ext4 superblock's <c>s_magic</c> (superblock at 1024, magic at 0x38 in it), little-endian 0xEF53.</summary>
    public const int Ext4MagicOffset = 1080;

    /// <summary>The offset of a POSIX (ustar) tar header's <c>magic</c> field; GNU tar's old format has "ustar  " there too.</summary>
    public const int TarMagicOffset = 257;

    /// <summary>The offset of the boot signature 0x55 0xAA that ends a boot sector: an MBR (also GPT's protective MBR) or a
    /// FAT or syslinux boot sector.</summary>
    public const int BootSignatureOffset = 510;

    public static string ToWire(this ImageFormat format) => format switch
    {
        ImageFormat.Ext4 => "ext4",
        ImageFormat.Tar => "tar",
        ImageFormat.Disk => "disk",
        _ => throw new ArgumentOutOfRangeException(nameof(format), format, null),
    };

    public static bool TryParse(string? text, out ImageFormat format)
    {
        switch (text)
        {
            case "ext4":
                format = ImageFormat.Ext4;
                return true;
            case "tar":
                format = ImageFormat.Tar;
                return true;
            case "disk":
                format = ImageFormat.Disk;
                return true;
            default:
                format = default;
                return false;
        }
    }

    /// <summary>The extension of an image's file on a storage node: <c>.img</c> for ext4 (as before formats) and disk
    /// images, <c>.tar</c>.</summary>
    public static string Extension(this ImageFormat format) => format == ImageFormat.Tar ? ".tar" : ".img";

    /// <summary>True when volumes (AoE, an instance's disk) are made from images of <paramref name="format"/>: ext4 and disk
    /// images, not a tar.</summary>
    public static bool MakesVolumes(this ImageFormat format) => format is ImageFormat.Ext4 or ImageFormat.Disk;

    /// <summary>The format of an image from its first bytes: ext4 when the superblock magic 0xEF53 is at 1080, tar when
    /// "ustar" is at 257, disk when the boot signature 0x55 0xAA ends the first sector (bytes 510-511); null for anything
    /// else (or too few bytes). A tar is checked first (a tar whose first member's data happens to carry 0xEF53 at 1080 is
    /// still a tar), then ext4 (an ext4 image whose boot block holds a boot loader is still ext4).</summary>
    public static ImageFormat? Detect(ReadOnlySpan<byte> head)
    {
        if (head.Length >= TarMagicOffset + 5 && head.Slice(TarMagicOffset, 5).SequenceEqual("ustar"u8))
        {
            return ImageFormat.Tar;
        }

        if (head.Length >= Ext4MagicOffset + 2 && head[Ext4MagicOffset] == 0x53 && head[Ext4MagicOffset + 1] == 0xEF)
        {
            return ImageFormat.Ext4;
        }

        if (head.Length >= BootSignatureOffset + 2 && head[BootSignatureOffset] == 0x55 && head[BootSignatureOffset + 1] == 0xAA)
        {
            return ImageFormat.Disk;
        }

        return null;
    }
}

/// <summary>The images of every pair, kept durably in the registry database (table <c>images</c>).</summary>
public interface IImageStore : IDisposable
{
    IReadOnlyList<StoredImage> List();

    /// <summary>The image <paramref name="name"/> of <paramref name="pair"/>, or null.</summary>
    StoredImage? Find(string pair, string name);

    /// <summary>Records (or replaces) an image of a pair.</summary>
    Task RecordAsync(StoredImage image, CancellationToken cancellationToken = default);
}

/// <summary>The rules for image and volume names: they become file names on storage nodes.</summary>
public static class StorageNames
{
    public const int MaxLength = 63;

    /// <summary>Null when <paramref name="name"/> is a good image or volume name, otherwise why not.</summary>
    public static string? Problem(string? name, string what) =>
        string.IsNullOrEmpty(name) ? $"a {what} name is required"
        : name.Length > MaxLength || !char.IsAsciiLetterOrDigit(name[0]) || !name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.')
            ? $"'{Escape(name)}' is not a {what} name (1-{MaxLength} letters, digits, '-', '_' or '.', starting with a letter or digit)"
            : null;

    private static string Escape(string text) =>
        string.Concat(text.Select(c => char.IsControl(c) ? $"\\x{(int)c:x2}" : c.ToString()));
}

/// <summary>Opens the image store.</summary>
public static class ImageStores
{
    /// <summary>Opens the image store in the registry database at <paramref name="databasePath"/>, which
    /// <see cref="FabricRegistry"/> has opened (and so migrated) first.</summary>
    public static IImageStore Open(string databasePath) => SqliteImageStore.Open(databasePath);
}

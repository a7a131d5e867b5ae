using Fabric.Core;
using Fabric.Registry.Images;
using Fabric.Remote.Commands;

namespace Fabric.Storage.Images;

/// <summary>Checking and verifying an image on a storage node. An image <c>NAME.img</c> (ext4 or disk) or <c>NAME.tar</c> (tar) has a
/// sidecar <c>NAME.img.sha256</c> / <c>NAME.tar.sha256</c> (<c>sha256sum</c>'s format), written only after the copy was
/// verified, so an image with a sidecar is whole.</summary>
public static class ImageScripts
{
    /// <summary>The file of image <paramref name="name"/> in the node's image folder: <c>NAME.img</c> or <c>NAME.tar</c>.</summary>
    public static string FileOf(StorageSpec storage, string name, ImageFormat format) => $"{storage.EffectiveImagePath}/{name}{format.Extension()}";

    /// <summary>Argument: the image file. Makes its folder (so an upload can go there) and prints <c>SIZE TAB SHA256</c>
    /// when the image and its sidecar are both there; nothing otherwise.</summary>
    internal const string Check = """
        set -u
        mkdir -p "$(dirname "$1")" || exit 1
        if [ -f "$1" ] && [ -f "$1.sha256" ]; then
          printf '%s\t%s\n' "$(wc -c <"$1" | tr -d ' ')" "$(cut -d ' ' -f 1 <"$1.sha256")"
        fi
        exit 0
        """;

    /// <summary>Argument: the image file. Prints its SHA-256.</summary>
    internal const string Digest = """
        set -u
        sha256sum "$1" | cut -d ' ' -f 1
        """;

    public static RemoteCommand CheckCommand(string file) => RemoteCommand.Script(Check, file);

    public static RemoteCommand DigestCommand(string file) => RemoteCommand.Script(Digest, file);

    /// <summary>The sidecar of <paramref name="file"/>.</summary>
    public static string SidecarOf(string file) => file + ".sha256";

    /// <summary>The sidecar's text: <c>SHA256  NAME.img</c> and a new line, as <c>sha256sum</c> writes it.</summary>
    public static string SidecarText(string file, string sha256) => $"{sha256}  {Path.GetFileName(file)}\n";

    /// <summary>Size and digest from the check's output, or null when the node has no whole image.</summary>
    public static (long Size, string Sha256)? ParseCheck(string output)
    {
        var fields = output.Trim().Split('\t');
        return fields.Length == 2 && long.TryParse(fields[0], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var size)
            ? (size, fields[1].Trim().ToLowerInvariant())
            : null;
    }
}

using System.Globalization;
using Fabric.Core;
using Fabric.Remote.Commands;

namespace Fabric.Storage.Volumes;

/// <summary>Making and removing a volume file on a storage node. A volume from an image is a sparse copy
/// (<c>cp --sparse=always</c>) grown to its size; an empty one is <c>truncate -s</c>. Both write to a temporary name and
/// rename it, so the volume path holds a whole volume or nothing; a failure (e.g. disk full) removes the temporary file.</summary>
public static class VolumeScripts
{
    /// <summary>Arguments: file, size in bytes, image ('' for an empty volume). Refuses to replace an existing file.</summary>
    internal const string Create = """
        set -u
        if [ -e "$1" ]; then echo "volume file $1 exists" >&2; exit 3; fi
        mkdir -p "$(dirname "$1")" || exit 1
        tmp="$1.fabric-new"
        rm -f "$tmp"
        if [ -n "$3" ]; then
          if [ ! -f "$3" ]; then echo "no image $3" >&2; exit 2; fi
          cp --sparse=always "$3" "$tmp" || { rm -f "$tmp"; exit 1; }
          size=$(wc -c <"$tmp")
          if [ "$size" -gt "$2" ]; then rm -f "$tmp"; echo "image $3 ($size bytes) is larger than the volume ($2 bytes)" >&2; exit 4; fi
        fi
        truncate -s "$2" "$tmp" || { rm -f "$tmp"; exit 1; }
        sync "$tmp" 2>/dev/null || true
        mv "$tmp" "$1" || { rm -f "$tmp"; exit 1; }
        """;

    /// <summary>Argument: file. A missing file is no error.</summary>
    internal const string Remove = """
        set -u
        rm -f "$1" "$1.fabric-new"
        """;

    /// <summary>The file of volume <paramref name="name"/> under the node's storage path.</summary>
    public static string FileOf(StorageSpec storage, string name) => $"{storage.EffectiveStoragePath}/{name}.img";

    /// <summary>The file of image <paramref name="name"/> in the node's image folder.</summary>
    public static string ImageOf(StorageSpec storage, string name) => $"{storage.EffectiveImagePath}/{name}.img";

    public static RemoteCommand CreateCommand(string file, long sizeBytes, string? image) =>
        RemoteCommand.Script(Create, file, sizeBytes.ToString(CultureInfo.InvariantCulture), image ?? "");

    public static RemoteCommand RemoveCommand(string file) => RemoteCommand.Script(Remove, file);
}

using Fabric.Core;
using Fabric.Remote.Commands;

namespace Fabric.Storage.Nfs;

/// <summary>NFS roots on a storage node: hardware node NAME's root is the folder <c>NFS/NAME-root</c>, NFS being the folder
/// <c>nfs</c> beside the node's <c>storagePath</c> (<c>/srv/fabric/nfs</c> for the default <c>/srv/fabric/volumes</c>). A
/// node name has only letters, digits and '-', so the path stays inside ganesha's safe characters. The folder is extracted
/// from a tar image into <c>FOLDER.fabric-new</c> and renamed, so the path holds a whole tree or nothing.</summary>
public static class NfsRootScripts
{
    /// <summary>Arguments: folder, tar image. Refuses to replace an existing folder (exit 3).</summary>
    internal const string Extract = """
        set -u
        if [ -e "$1" ]; then echo "NFS root $1 exists" >&2; exit 3; fi
        if [ ! -f "$2" ]; then echo "no image $2" >&2; exit 2; fi
        mkdir -p "$(dirname "$1")" || exit 1
        tmp="$1.fabric-new"
        rm -rf "$tmp"
        mkdir -m 755 "$tmp" || exit 1
        tar -x --numeric-owner -p -f "$2" -C "$tmp" || { rm -rf "$tmp"; exit 1; }
        sync 2>/dev/null || true
        mv "$tmp" "$1" || { rm -rf "$tmp"; exit 1; }
        """;

    /// <summary>Argument: folder. A missing folder is no error.</summary>
    internal const string Remove = """
        set -u
        rm -rf "$1" "$1.fabric-new"
        """;

    /// <summary>The folder of NFS roots on a storage node: <c>nfs</c> beside its storage path.</summary>
    public static string FolderOf(StorageSpec storage)
    {
        var volumes = storage.EffectiveStoragePath.TrimEnd('/');
        int slash = volumes.LastIndexOf('/');
        return $"{(slash <= 0 ? "" : volumes[..slash])}/nfs";
    }

    /// <summary>The NFS root folder of hardware node <paramref name="node"/> on a storage node.</summary>
    public static string DirectoryOf(StorageSpec storage, string node) => $"{FolderOf(storage)}/{StorageJobs.RootVolumeOf(node)}";

    public static RemoteCommand ExtractCommand(string folder, string image) => RemoteCommand.Script(Extract, folder, image);

    public static RemoteCommand RemoveCommand(string folder) => RemoteCommand.Script(Remove, folder);
}

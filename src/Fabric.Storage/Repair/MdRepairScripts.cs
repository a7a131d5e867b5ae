using Fabric.Core;
using Fabric.Remote.Commands;

namespace Fabric.Storage.Repair;

/// <summary>The commands of an md repair on a hardware node. Values (the array, the AoE target) are arguments, never part
/// of a command's text.</summary>
public static class MdRepairScripts
{
    /// <summary>Asks the aoe driver to look for the target again when the node has <c>/dev/etherd/revalidate</c> (and to
    /// discover targets, when it has <c>/dev/etherd/discover</c>), then waits up to 10 s for its block device; prints what it
    /// did. Argument: the target, <c>eS.N</c>.</summary>
    internal const string Revalidate = """
        if [ -e /dev/etherd/discover ]; then echo >/dev/etherd/discover; fi
        if [ -e /dev/etherd/revalidate ]; then
          echo "$1" >/dev/etherd/revalidate && echo "revalidated $1"
        else
          echo "no /dev/etherd/revalidate: not revalidating $1"
        fi
        i=0
        while [ ! -b "/dev/etherd/$1" ] && [ "$i" -lt 10 ]; do sleep 1; i=$((i + 1)); done
        if [ -b "/dev/etherd/$1" ]; then echo "/dev/etherd/$1 is there"; else echo "no /dev/etherd/$1 after 10 s"; fi
        """;

    public static RemoteCommand ReadMdStat() => RemoteCommand.Of("cat", "/proc/mdstat");

    public static RemoteCommand Detail(string array) => RemoteCommand.Of("mdadm", "--detail", array);

    public static RemoteCommand RevalidateCommand(AoeTarget target) => RemoteCommand.Script(Revalidate, target.ToString());

    /// <summary><c>mdadm DEV --remove failed</c> or <c>--remove detached</c>: drops members that failed or whose device is gone.</summary>
    public static RemoteCommand Remove(string array, string which) => RemoteCommand.Of("mdadm", array, "--remove", which);

    public static RemoteCommand ReAdd(string array, AoeTarget target) => RemoteCommand.Of("mdadm", array, "--re-add", DeviceOf(target));

    public static RemoteCommand Add(string array, AoeTarget target) => RemoteCommand.Of("mdadm", array, "--add", DeviceOf(target));

    /// <summary>The block device of an AoE target on a node, <c>/dev/etherd/eS.N</c>.</summary>
    public static string DeviceOf(AoeTarget target) => $"/dev/etherd/{target}";
}

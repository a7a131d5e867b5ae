using Fabric.Remote.Commands;

namespace Fabric.Storage.Nfs;

/// <summary>The POSIX <c>sh</c> scripts that supervise nfs-ganesha on a storage node, like the AoE exports: the
/// configuration at <c>FOLDER/ganesha.conf</c>, the pid in <c>FOLDER/ganesha.pid</c>, the log in
/// <c>FOLDER/ganesha.log</c>, FOLDER being <c>/run/fabric</c>. The folder reaches each script as <c>"$1"</c>.</summary>
public static class GaneshaScripts
{
    public const string ConfigName = "ganesha.conf";

    /// <summary>Prints <c>alive PID</c> or <c>dead</c>, then the configuration in place (nothing when there is none). Reads
    /// only.</summary>
    internal const string Status = """
        set -u
        p=$(cat "$1/ganesha.pid" 2>/dev/null || true)
        case $(tr '\000' ' ' <"/proc/$p/cmdline" 2>/dev/null) in
          *ganesha*) echo "alive $p" ;;
          *) echo dead ;;
        esac
        cat "$1/ganesha.conf" 2>/dev/null || true
        """;

    /// <summary>Starts ganesha on the configuration in place unless it runs; starts <c>rpcbind -w</c> first when no
    /// portmapper answers (ganesha registers with it). Fails with the log's last line when ganesha exits at once.</summary>
    internal const string Start = """
        set -u
        p=$(cat "$1/ganesha.pid" 2>/dev/null || true)
        case $(tr '\000' ' ' <"/proc/$p/cmdline" 2>/dev/null) in
          *ganesha*) exit 0 ;;
        esac
        if [ ! -f "$1/ganesha.conf" ]; then echo "no $1/ganesha.conf" >&2; exit 2; fi
        mkdir -p "$1/ganesha-recovery"
        if ! rpcinfo -p 127.0.0.1 >/dev/null 2>&1 && command -v rpcbind >/dev/null 2>&1; then
          rpcbind -w || true
        fi
        if command -v setsid >/dev/null 2>&1; then
          setsid ganesha.nfsd -F -f "$1/ganesha.conf" -L "$1/ganesha.log" -p "$1/ganesha.pid" </dev/null >>"$1/ganesha.out" 2>&1 &
        else
          ganesha.nfsd -F -f "$1/ganesha.conf" -L "$1/ganesha.log" -p "$1/ganesha.pid" </dev/null >>"$1/ganesha.out" 2>&1 &
        fi
        echo $! >"$1/ganesha.pid"
        sleep 1
        if ! tr '\000' ' ' <"/proc/$(cat "$1/ganesha.pid")/cmdline" 2>/dev/null | grep -q ganesha; then
          rm -f "$1/ganesha.pid"
          echo "ganesha.nfsd exited at once: $(tail -n 1 "$1/ganesha.log" "$1/ganesha.out" 2>/dev/null | grep -v "^==" | grep . | tail -n 1)" >&2
          exit 1
        fi
        """;

    /// <summary>Makes the running ganesha read its configuration again (SIGHUP: exports are added, changed and removed).</summary>
    internal const string Reload = """
        set -u
        p=$(cat "$1/ganesha.pid" 2>/dev/null || true)
        case $(tr '\000' ' ' <"/proc/$p/cmdline" 2>/dev/null) in
          *ganesha*) kill -HUP "$p" ;;
          *) echo "ganesha is not running" >&2; exit 1 ;;
        esac
        """;

    /// <summary>Stops ganesha and removes its pid file and configuration; nothing running is no error.</summary>
    internal const string Stop = """
        set -u
        p=$(cat "$1/ganesha.pid" 2>/dev/null || true)
        case $(tr '\000' ' ' <"/proc/$p/cmdline" 2>/dev/null) in
          *ganesha*) kill "$p" 2>/dev/null || true ;;
        esac
        rm -f "$1/ganesha.pid" "$1/ganesha.conf"
        exit 0
        """;

    public static RemoteCommand StatusCommand(string folder) => RemoteCommand.Script(Status, folder);

    /// <summary>Makes the folder the configuration is written to.</summary>
    public static RemoteCommand MakeFolderCommand(string folder) => RemoteCommand.Of("mkdir", "-p", folder);

    public static RemoteCommand StartCommand(string folder) => RemoteCommand.Script(Start, folder);

    public static RemoteCommand ReloadCommand(string folder) => RemoteCommand.Script(Reload, folder);

    public static RemoteCommand StopCommand(string folder) => RemoteCommand.Script(Stop, folder);

    /// <summary>What the status script printed: whether ganesha runs (and its pid) and the configuration in place (null when
    /// there is none).</summary>
    public static GaneshaState ParseStatus(string output)
    {
        int newline = output.IndexOf('\n', StringComparison.Ordinal);
        var first = (newline < 0 ? output : output[..newline]).Trim();
        var rest = newline < 0 ? "" : output[(newline + 1)..];
        int? pid = first.StartsWith("alive ", StringComparison.Ordinal)
            && int.TryParse(first.AsSpan(6), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int p) ? p : null;
        return new GaneshaState(pid is not null, pid, rest.Length == 0 ? null : rest);
    }
}

/// <summary>nfs-ganesha on a storage node: running (with its pid) or not, and the configuration file in place.</summary>
public sealed record GaneshaState(bool Alive, int? Pid, string? Config);

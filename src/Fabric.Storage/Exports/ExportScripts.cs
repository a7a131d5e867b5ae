using System.Globalization;
using Fabric.Core;
using Fabric.Remote.Commands;

namespace Fabric.Storage.Exports;

/// <summary>The POSIX <c>sh</c> scripts that supervise AoE exports on a storage node. Each export is one <c>vblade SHELF SLOT
/// IFACE FILE</c> in the background, in a session of its own (<c>setsid</c> when present, so it outlives the SSH command's
/// process group), its pid in <c>/run/fabric/vblade-eS.N.pid</c> and its output in <c>/run/fabric/vblade-eS.N.log</c>.
/// Values reach the scripts only as <c>"$1"</c>...: they are never part of the script text. <c>FABRIC_RUN</c> in the
/// environment moves the folder (tests only).</summary>
public static class ExportScripts
{
    public const string RunFolder = "/run/fabric";

    /// <summary>Starts an export unless its pid file names a live vblade (a zombie or a reused pid has another or an empty
    /// command line); fails when the file is missing or vblade exits
    /// at once. Arguments: shelf, slot, interface, file.</summary>
    internal const string Start = """
        set -u
        d=${FABRIC_RUN:-/run/fabric}
        mkdir -p "$d"
        pidf="$d/vblade-e$1.$2.pid"
        if [ -f "$pidf" ]; then
          p=$(cat "$pidf" 2>/dev/null || true)
          case $(tr '\000' ' ' <"/proc/$p/cmdline" 2>/dev/null) in
            *vblade*) exit 0 ;;
          esac
        fi
        if [ ! -f "$4" ]; then echo "no volume file $4" >&2; exit 2; fi
        if command -v setsid >/dev/null 2>&1; then
          setsid vblade "$1" "$2" "$3" "$4" </dev/null >>"$d/vblade-e$1.$2.log" 2>&1 &
        else
          vblade "$1" "$2" "$3" "$4" </dev/null >>"$d/vblade-e$1.$2.log" 2>&1 &
        fi
        echo $! >"$pidf"
        sleep 0.3
        if ! tr '\000' ' ' <"/proc/$(cat "$pidf")/cmdline" 2>/dev/null | grep -q vblade; then
          rm -f "$pidf"
          echo "vblade e$1.$2 exited at once: $(tail -n 1 "$d/vblade-e$1.$2.log" 2>/dev/null)" >&2
          exit 1
        fi
        """;

    /// <summary>Stops an export and removes its pid file; an export that is not running is no error. Arguments: shelf, slot.</summary>
    internal const string Stop = """
        set -u
        pidf="${FABRIC_RUN:-/run/fabric}/vblade-e$1.$2.pid"
        if [ -f "$pidf" ]; then
          p=$(cat "$pidf" 2>/dev/null || true)
          if [ -n "$p" ]; then kill "$p" 2>/dev/null || true; fi
          rm -f "$pidf"
        fi
        exit 0
        """;

    /// <summary>One line per pid file: <c>eS.N TAB pid TAB alive|dead TAB argv joined by TAB</c>; a process without a
    /// command line (gone, or a zombie) is dead.</summary>
    internal const string List = """
        d=${FABRIC_RUN:-/run/fabric}
        for f in "$d"/vblade-e*.pid; do
          [ -e "$f" ] || continue
          t=${f#"$d"/vblade-}
          t=${t%.pid}
          p=$(cat "$f" 2>/dev/null || true)
          c=$(tr '\000' '\t' <"/proc/$p/cmdline" 2>/dev/null || true)
          if [ -n "$p" ] && [ -n "$c" ]; then
            printf '%s\t%s\talive\t%s\n' "$t" "$p" "$c"
          else
            printf '%s\t%s\tdead\t\n' "$t" "$p"
          fi
        done
        exit 0
        """;

    public static RemoteCommand StartCommand(DesiredExport export) => RemoteCommand.Script(
        Start,
        export.Target.Shelf.ToString(CultureInfo.InvariantCulture),
        export.Target.Slot.ToString(CultureInfo.InvariantCulture),
        export.Interface,
        export.File);

    public static RemoteCommand StopCommand(AoeTarget target) => RemoteCommand.Script(
        Stop,
        target.Shelf.ToString(CultureInfo.InvariantCulture),
        target.Slot.ToString(CultureInfo.InvariantCulture));

    public static RemoteCommand ListCommand() => RemoteCommand.Script(List);

    /// <summary>The exports the list script printed. A live pid whose command line is not vblade's (a reused pid) counts as
    /// dead; lines that cannot be read are skipped.</summary>
    public static IReadOnlyList<RunningExport> ParseList(string output)
    {
        var running = new List<RunningExport>();
        foreach (var line in output.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var fields = line.TrimEnd('\r').Split('\t');
            if (fields.Length < 3 || !AoeTarget.TryParse(fields[0], out var target))
            {
                continue;
            }

            int? pid = int.TryParse(fields[1], NumberStyles.None, CultureInfo.InvariantCulture, out var p) ? p : null;
            var argv = fields.Skip(3).Where(a => a.Length > 0).ToList();
            bool isVblade = argv.Count >= 5 && Path.GetFileName(argv[0]) == "vblade";
            bool alive = fields[2] == "alive" && isVblade;
            running.Add(new RunningExport(target, pid, alive, alive ? argv[3] : null, alive ? argv[4] : null));
        }

        return running;
    }
}

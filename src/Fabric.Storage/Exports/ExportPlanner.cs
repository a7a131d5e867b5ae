using Fabric.Core;
using Fabric.Remote.Commands;

namespace Fabric.Storage.Exports;

/// <summary>One AoE export a storage node should serve: <c>vblade SHELF SLOT IFACE FILE</c>.</summary>
public sealed record DesiredExport(AoeTarget Target, string Interface, string File);

/// <summary>One export found on a storage node (a pid file under <c>/run/fabric</c>). <see cref="Alive"/> is false for a pid
/// file whose process is gone (or is no longer vblade); <see cref="Interface"/> and <see cref="File"/> come from its command line.</summary>
public sealed record RunningExport(AoeTarget Target, int? Pid, bool Alive, string? Interface, string? File);

public enum ExportActionKind
{
    /// <summary>Not running (or a stale pid file): start it.</summary>
    Start,

    /// <summary>Running, but on another interface or file: stop it, then start it.</summary>
    Restart,

    /// <summary>Running (or a stale pid file) but not in the registry: stop it and remove the pid file.</summary>
    Stop,
}

/// <summary>One step of an export plan, with why it is needed.</summary>
public sealed record ExportAction(ExportActionKind Kind, AoeTarget Target, string Reason, DesiredExport? Export)
{
    /// <summary>The commands that carry the step out, in order.</summary>
    public IReadOnlyList<RemoteCommand> Commands => Kind switch
    {
        ExportActionKind.Start => [ExportScripts.StartCommand(Export!)],
        ExportActionKind.Restart => [ExportScripts.StopCommand(Target), ExportScripts.StartCommand(Export!)],
        _ => [ExportScripts.StopCommand(Target)],
    };

    public override string ToString() => Export is null
        ? $"{Kind.ToString().ToLowerInvariant()} {Target}: {Reason}"
        : $"{Kind.ToString().ToLowerInvariant()} {Target} {Export.Interface} {Export.File}: {Reason}";
}

/// <summary>Registry state in, exports and the commands that reach them out. Pure: no I/O, no clock.</summary>
public static class ExportPlanner
{
    /// <summary>The exports a storage node should serve: each of its volumes as slot N of its shelf on its
    /// <c>aoeInterface</c>. A node without a shelf, or retired, serves nothing.</summary>
    public static IReadOnlyList<DesiredExport> Desired(Node node)
    {
        if (node.Role != NodeRole.Storage || node.Storage is not { AoeShelf: int shelf } storage || node.State == NodeState.Retired)
        {
            return [];
        }

        return storage.Volumes
            .OrderBy(v => v.Slot)
            .Select(v => new DesiredExport(new AoeTarget(shelf, v.Slot), storage.EffectiveAoeInterface, v.BackingPath))
            .ToList();
    }

    /// <summary>The steps from <paramref name="running"/> to <paramref name="desired"/>: stops first (they free slots and
    /// interfaces), then restarts and starts, each group by target. Equal states give an empty plan, so applying a plan and
    /// planning again gives nothing to do.</summary>
    public static IReadOnlyList<ExportAction> Plan(IReadOnlyList<DesiredExport> desired, IReadOnlyList<RunningExport> running)
    {
        var want = desired.ToDictionary(d => d.Target);
        var have = running.GroupBy(r => r.Target).ToDictionary(g => g.Key, g => g.OrderByDescending(r => r.Alive).First());
        var stops = new List<ExportAction>();
        var starts = new List<ExportAction>();
        foreach (var (target, found) in have)
        {
            if (!want.ContainsKey(target))
            {
                stops.Add(new ExportAction(ExportActionKind.Stop, target, found.Alive ? $"pid {found.Pid} serves a volume the registry does not have" : "stale pid file", null));
            }
        }

        foreach (var (target, export) in want)
        {
            if (!have.TryGetValue(target, out var found))
            {
                starts.Add(new ExportAction(ExportActionKind.Start, target, "not running", export));
            }
            else if (!found.Alive)
            {
                starts.Add(new ExportAction(ExportActionKind.Start, target, $"pid {found.Pid?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "?"} is gone", export));
            }
            else if (found.Interface != export.Interface || found.File != export.File)
            {
                starts.Add(new ExportAction(ExportActionKind.Restart, target, $"runs {found.Interface} {found.File}", export));
            }
        }

        return [.. stops.OrderBy(a => a.Target.Shelf).ThenBy(a => a.Target.Slot), .. starts.OrderBy(a => a.Target.Shelf).ThenBy(a => a.Target.Slot)];
    }
}

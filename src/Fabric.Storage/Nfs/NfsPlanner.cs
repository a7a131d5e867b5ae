using Fabric.Remote.Commands;

namespace Fabric.Storage.Nfs;

public enum NfsActionKind
{
    /// <summary>Write the rendered configuration (it differs from the one in place, or there is none).</summary>
    WriteConfig,

    /// <summary>Start ganesha (it does not run).</summary>
    Start,

    /// <summary>Make the running ganesha read its new configuration (SIGHUP).</summary>
    Reload,

    /// <summary>Stop ganesha and remove its configuration (the node has no NFS exports).</summary>
    Stop,
}

/// <summary>One step of the NFS plan, with why it is needed. <see cref="Config"/> is the text to write for
/// <see cref="NfsActionKind.WriteConfig"/>.</summary>
public sealed record NfsAction(NfsActionKind Kind, string Reason, string? Config = null)
{
    public override string ToString() => Kind switch
    {
        NfsActionKind.WriteConfig => $"write ganesha.conf: {Reason}",
        NfsActionKind.Start => $"start ganesha: {Reason}",
        NfsActionKind.Reload => $"reload ganesha (SIGHUP): {Reason}",
        _ => $"stop ganesha: {Reason}",
    };
}

/// <summary>The steps from what runs to the configuration the registry gives. Pure.</summary>
public static class NfsPlanner
{
    /// <summary>Write the configuration when it differs, then start ganesha when it does not run or reload it when it runs
    /// an older configuration; with no exports, stop it. A node that matches gets an empty plan.</summary>
    public static IReadOnlyList<NfsAction> Plan(string? desired, GaneshaState state)
    {
        if (desired is null)
        {
            return state.Alive || state.Config is not null ? [new NfsAction(NfsActionKind.Stop, "the node has no nfsExports")] : [];
        }

        var actions = new List<NfsAction>();
        bool changed = state.Config != desired;
        if (changed)
        {
            actions.Add(new NfsAction(NfsActionKind.WriteConfig, state.Config is null ? "none in place" : "the exports changed", desired));
        }

        if (!state.Alive)
        {
            actions.Add(new NfsAction(NfsActionKind.Start, "not running"));
        }
        else if (changed)
        {
            actions.Add(new NfsAction(NfsActionKind.Reload, $"pid {state.Pid} runs the previous configuration"));
        }

        return actions;
    }

    /// <summary>The command that carries out a step other than writing the configuration.</summary>
    public static RemoteCommand? CommandOf(NfsAction action, string folder) => action.Kind switch
    {
        NfsActionKind.Start => GaneshaScripts.StartCommand(folder),
        NfsActionKind.Reload => GaneshaScripts.ReloadCommand(folder),
        NfsActionKind.Stop => GaneshaScripts.StopCommand(folder),
        _ => null,
    };
}

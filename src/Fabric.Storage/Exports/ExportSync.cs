using Fabric.Core;
using Fabric.Remote;
using Fabric.Remote.Commands;
using Fabric.Remote.Hosts;

namespace Fabric.Storage.Exports;

/// <summary>Brings a storage node's running exports to what the registry says: reads its pid files over SSH, plans, and
/// (unless a dry run) carries the plan out. Applying twice changes things once: the second plan is empty.</summary>
public static class ExportSync
{
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromMinutes(1);

    /// <summary>How Fabric reaches <paramref name="node"/>: its SSH fields with their defaults; null when it has no
    /// address at all.</summary>
    public static SshTarget? TargetOf(Node node)
    {
        var (address, port, user) = node.SshEndpoint;
        return address is null ? null : new SshTarget(address, port, user, node.Ssh.HostKey);
    }

    /// <summary>The exports found on the node now.</summary>
    public static async Task<IReadOnlyList<RunningExport>> ListAsync(IRemoteHost host, CancellationToken cancellationToken)
    {
        var listed = await host.RunAsync(ExportScripts.ListCommand(), new RemoteRunOptions(CommandTimeout), cancellationToken);
        return ExportScripts.ParseList(listed.EnsureSuccess().StandardOutput);
    }

    /// <summary>The plan for <paramref name="node"/>, carried out unless <paramref name="dryRun"/>; each step is logged
    /// before it runs. A step that fails stops the sync (what ran stays: a new sync plans from there).</summary>
    public static async Task<IReadOnlyList<ExportAction>> SyncAsync(IRemoteHost host, Node node, bool dryRun, Action<string> log, CancellationToken cancellationToken)
    {
        var plan = ExportPlanner.Plan(ExportPlanner.Desired(node), await ListAsync(host, cancellationToken));
        if (plan.Count == 0)
        {
            log($"{node.Name}: exports match the registry");
            return plan;
        }

        foreach (var action in plan)
        {
            log($"{node.Name}: {(dryRun ? "would " : "")}{action}");
            if (dryRun)
            {
                continue;
            }

            foreach (var command in action.Commands)
            {
                var result = await host.RunAsync(command, new RemoteRunOptions(CommandTimeout, line => log($"{node.Name}: {line.Text}")), cancellationToken);
                result.EnsureSuccess();
            }
        }

        return plan;
    }
}

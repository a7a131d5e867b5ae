using System.Text;
using Fabric.Core;
using Fabric.Remote;
using Fabric.Remote.Commands;
using Fabric.Storage.Exports;

namespace Fabric.Storage.Nfs;

/// <summary>Brings a storage node's nfs-ganesha to what the registry says: reads its state over SSH, plans, and (unless a
/// dry run) writes the configuration (SFTP, atomically) and starts, reloads or stops ganesha. A second sync finds nothing to do.</summary>
public static class NfsSync
{
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromMinutes(1);

    public static async Task<IReadOnlyList<NfsAction>> SyncAsync(IRemoteHost host, Node node, bool dryRun, Action<string> log, CancellationToken cancellationToken, string folder = ExportScripts.RunFolder)
    {
        var desired = GaneshaConfig.Render(node, folder);
        var status = await host.RunAsync(GaneshaScripts.StatusCommand(folder), new RemoteRunOptions(CommandTimeout), cancellationToken);
        var plan = NfsPlanner.Plan(desired, GaneshaScripts.ParseStatus(status.EnsureSuccess().StandardOutput));
        if (plan.Count == 0)
        {
            log($"{node.Name}: NFS exports match the registry");
            return plan;
        }

        foreach (var action in plan)
        {
            log($"{node.Name}: {(dryRun ? "would " : "")}{action}");
            if (dryRun)
            {
                continue;
            }

            if (action.Kind == NfsActionKind.WriteConfig)
            {
                (await host.RunAsync(GaneshaScripts.MakeFolderCommand(folder), new RemoteRunOptions(CommandTimeout), cancellationToken)).EnsureSuccess();
                await host.WriteFileAsync($"{folder}/{GaneshaScripts.ConfigName}", Encoding.UTF8.GetBytes(action.Config!), RemoteFiles.DefaultMode, cancellationToken);
                continue;
            }

            var result = await host.RunAsync(NfsPlanner.CommandOf(action, folder)!, new RemoteRunOptions(CommandTimeout, line => log($"{node.Name}: {line.Text}")), cancellationToken);
            result.EnsureSuccess();
        }

        return plan;
    }
}

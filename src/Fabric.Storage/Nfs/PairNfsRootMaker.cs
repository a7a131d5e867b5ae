using Fabric.Core;
using Fabric.Core.Events;
using Fabric.Jobs.Running;
using Fabric.Registry;
using Fabric.Registry.Images;
using Fabric.Registry.Volumes;
using Fabric.Remote;
using Fabric.Remote.Commands;
using Fabric.Storage.Exports;
using Fabric.Storage.Images;
using Fabric.Storage.Pairs;

namespace Fabric.Storage.Nfs;

/// <summary>Makes the NFS root of a hardware node on a pair from a tar image: the node's folder extracted on both storage
/// nodes at once (<see cref="NfsRootScripts"/>), the folder added to both nodes' <c>nfsExports</c> in one registry write,
/// then both nodes' nfs-ganesha synced. When either node fails or the job is cancelled, what was made is taken back: the
/// exports (record and ganesha), the folders on the nodes where they were made. A root whose exports are already recorded
/// on both nodes (a retry after a partial run) is not extracted again: its exports are synced and nothing else changes.
/// Used by <c>provision-root</c> for a tar image.</summary>
internal sealed class PairNfsRootMaker(IRegistry registry, PairHosts pairs)
{
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromMinutes(30);

    /// <summary>What was made: the pair, and the root the hardware node mounts (node A's copy).</summary>
    public sealed record Made(StoragePair Pair, RootSpec Root);

    /// <summary>The root <c>nfs:ADDR:PATH</c> of <paramref name="node"/> on <paramref name="pair"/>: node A's address (its
    /// IP, else its SSH address) and its folder for the node.</summary>
    public static RootSpec RootOf(StoragePair pair, string node)
    {
        var server = pair.A.Ip?.ToString() ?? ExportSync.TargetOf(pair.A)?.Host
            ?? throw new JobFailedException($"storage node '{pair.A.Name}' has no ip and no sshAddress to serve an NFS root from");
        return RootSpec.Nfs(server, NfsRootScripts.DirectoryOf(pair.A.Storage!, node));
    }

    public async Task<Made> MakeAsync(IJobContext context, string pairName, string nodeName, StoredImage image, Actor actor)
    {
        var cancellationToken = context.CancellationToken;
        var pair = pairs.Resolve(pairName);
        if (image.Format != ImageFormat.Tar)
        {
            throw new JobFailedException($"image '{image.Name}' is an {image.Format.ToWire()} image; an NFS root is made from a tar image");
        }

        var exports = ExportsOf(pair, nodeName);
        if (exports.FirstOrDefault(e => !GaneshaConfig.IsSafePath(e.Path)) is { } bad)
        {
            throw new JobFailedException($"the NFS root {bad.Path} on {bad.Node} cannot be exported (letters, digits and /._-+@,:= only): change its storagePath");
        }

        var root = RootOf(pair, nodeName);
        bool recorded = exports.All(e => pair.Nodes.Single(n => n.Name == e.Node).Storage!.NfsExports.Contains(e.Path, StringComparer.Ordinal));
        var made = new List<Node>();
        try
        {
            if (recorded)
            {
                context.Log($"the NFS root of {nodeName} is recorded on {pair.A.Name} and {pair.B.Name}: syncing their exports only");
            }
            else
            {
                await context.StepAsync($"extract image {image.Name} into the NFS root of {nodeName} ({image.SizeBytes} bytes)");
                var outcomes = await pairs.BothAsync(pair, context, async (node, host) =>
                {
                    var folder = NfsRootScripts.DirectoryOf(node.Storage!, nodeName);
                    var tar = ImageScripts.FileOf(node.Storage!, image.Name, ImageFormat.Tar);
                    if (context.Job.Attempt > 1)
                    {
                        // A retry: an attempt the appliance stopped in the middle may have left this folder, which the
                        // registry does not have. It is this job's own, so it goes before the folder is made again.
                        (await host.RunAsync(NfsRootScripts.RemoveCommand(folder), Options(context, node), cancellationToken)).EnsureSuccess();
                    }

                    (await host.RunAsync(NfsRootScripts.ExtractCommand(folder, tar), Options(context, node), cancellationToken)).EnsureSuccess();
                    lock (made)
                    {
                        made.Add(node);
                    }

                    context.Log($"{node.Name}: made {folder} from {tar}");
                });
                PairHosts.ThrowIfAnyFailed(outcomes, cancellationToken);

                await context.StepAsync("record the NFS exports");
                var added = await registry.AddNfsExportsAsync(exports, actor, CancellationToken.None);
                if (!added.Succeeded)
                {
                    throw new JobFailedException($"the registry did not record the NFS exports of {nodeName}: {added.Error}");
                }

                cancellationToken.ThrowIfCancellationRequested();
            }

            await context.StepAsync("start NFS exports");
            await SyncAsync(pair.Name, context);
            return new Made(pairs.Resolve(pair.Name), root);
        }
        catch (Exception e) when (e is JobFailedException or OperationCanceledException)
        {
            context.Log($"the NFS root of {nodeName} failed: {e.Message}; taking back what was made");
            await TakeBackAsync(context, pair.Name, nodeName, recorded ? null : made, actor);
            throw;
        }
    }

    /// <summary>Removes an NFS root made by <see cref="MakeAsync"/>: its exports from the registry and from ganesha on both
    /// nodes, and its folder on <paramref name="made"/> (null: both nodes of the pair). Best effort: runs even when the job
    /// is cancelled, and logs what it could not undo.</summary>
    public async Task TakeBackAsync(IJobContext context, string pairName, string nodeName, IReadOnlyCollection<Node>? made, Actor actor)
    {
        if (!StoragePair.TryResolve(registry.ListNodes(NodeRole.Storage), pairName, out var pair, out _))
        {
            return;
        }

        var removed = await registry.RemoveNfsExportsAsync(ExportsOf(pair, nodeName), actor, CancellationToken.None);
        if (!removed.Succeeded)
        {
            context.Log($"the NFS exports of {nodeName} stay: {removed.Error}");
            return;
        }

        var unexported = removed.Value.Select(n => n.Name).ToHashSet(StringComparer.Ordinal);
        var folders = (made ?? [.. pair.Nodes]).Select(n => n.Name).ToHashSet(StringComparer.Ordinal);
        foreach (var node in pair.Nodes.Where(n => unexported.Contains(n.Name) || folders.Contains(n.Name)))
        {
            try
            {
                var host = pairs.HostOf(node);
                if (unexported.Contains(node.Name))
                {
                    await pairs.SyncNfsAsync(host, node, context.Log, CancellationToken.None);
                    context.Log($"{node.Name}: NFS export of {nodeName} removed");
                }

                if (folders.Contains(node.Name))
                {
                    var folder = NfsRootScripts.DirectoryOf(node.Storage!, nodeName);
                    (await host.RunAsync(NfsRootScripts.RemoveCommand(folder), new RemoteRunOptions(TimeSpan.FromMinutes(5)), CancellationToken.None)).EnsureSuccess();
                    context.Log($"{node.Name}: removed {folder}");
                }
            }
            catch (Exception e) when (e is RemoteHostException or RemoteCommandFailedException or RemoteCommandTimeoutException or ArgumentException)
            {
                context.Log($"{node.Name}: could not take back the NFS root of {nodeName}: {e.Message}");
            }
        }
    }

    /// <summary>Brings both nodes' nfs-ganesha to the registry, in parallel.</summary>
    public async Task SyncAsync(string pairName, IJobContext context)
    {
        var pair = pairs.Resolve(pairName);
        var outcomes = await pairs.BothAsync(pair, context, (node, host) =>
            pairs.SyncNfsAsync(host, node, context.Log, context.CancellationToken));
        PairHosts.ThrowIfAnyFailed(outcomes, context.CancellationToken);
    }

    private static List<NfsExportRecord> ExportsOf(StoragePair pair, string nodeName) =>
        [.. pair.Nodes.Select(n => new NfsExportRecord(n.Name, NfsRootScripts.DirectoryOf(n.Storage!, nodeName)))];

    private static RemoteRunOptions Options(IJobContext context, Node node) =>
        new(CommandTimeout, line => context.Log($"{node.Name}: {line.Text}"));
}

using Fabric.Core;
using Fabric.Core.Events;
using Fabric.Jobs.Model;
using Fabric.Jobs.Running;
using Fabric.Registry;
using Fabric.Remote;
using Fabric.Storage.Exports;
using Fabric.Storage.Nfs;

namespace Fabric.Storage.Jobs;

/// <summary>Job kind <c>storage-sync</c> on a storage node: reads its exports (AoE, then NFS) over SSH and brings them to what the registry
/// says (<c>dryRun=true</c>: only logs the plan). A host key mismatch records <c>ssh-host-key-mismatch</c> on the node and
/// fails the job with nothing run; an unreachable node fails it with the address and the reason.</summary>
internal sealed class StorageSyncJobHandler(IRegistry registry, IRemoteHosts remoteHosts) : IJobHandler
{
    public const string KindName = "storage-sync";

    public string Kind => KindName;

    public IReadOnlyList<JobFieldError> Validate(IReadOnlyDictionary<string, string> arguments)
    {
        var errors = new List<JobFieldError>();
        if (arguments.TryGetValue("dryRun", out var dryRun) && dryRun is not ("true" or "false"))
        {
            errors.Add(new JobFieldError("arguments.dryRun", $"'{dryRun}' is not true or false"));
        }

        foreach (var key in arguments.Keys.Where(k => k != "dryRun"))
        {
            errors.Add(new JobFieldError($"arguments.{key}", "a storage-sync job takes only 'dryRun'"));
        }

        return errors;
    }

    public async Task RunAsync(IJobContext context)
    {
        var name = context.Job.Node ?? throw new JobFailedException("a storage-sync job needs a node");
        var node = registry.FindNode(name) ?? throw new JobFailedException($"no node named '{name}'");
        if (node.Role != NodeRole.Storage)
        {
            throw new JobFailedException($"node '{node.Name}' is a {node.Role.ToWire()} node; storage-sync runs on storage nodes");
        }

        var target = ExportSync.TargetOf(node) ?? throw new JobFailedException($"node '{node.Name}' has no ip and no sshAddress");
        bool dryRun = context.Job.Arguments.TryGetValue("dryRun", out var value) && value == "true";
        await context.StepAsync(dryRun ? "plan exports" : "sync exports");
        try
        {
            var host = remoteHosts.For(target);
            var plan = await ExportSync.SyncAsync(host, node, dryRun, context.Log, context.CancellationToken);
            await context.StepAsync(dryRun ? "plan NFS exports" : "sync NFS exports");
            var nfs = await NfsSync.SyncAsync(host, node, dryRun, context.Log, context.CancellationToken);
            context.Progress(plan.Count + nfs.Count, plan.Count + nfs.Count, "changes");
        }
        catch (ArgumentException e) when (e.Message.StartsWith("nfsExports:", StringComparison.Ordinal))
        {
            throw new JobFailedException(e.Message, e);
        }
        catch (HostKeyMismatchException e)
        {
            await registry.RecordAsync(node.Name, EventKind.SshHostKeyMismatch, e.Message, Actor.Job(context.Job.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)));
            throw new JobFailedException($"{target}: {e.Message}", e);
        }
        catch (RemoteHostException e)
        {
            throw new JobFailedException(e.Message, e);
        }
        catch (RemoteCommandTimeoutException e)
        {
            throw new JobFailedException(e.Message, e);
        }
        catch (RemoteCommandFailedException e)
        {
            throw new JobFailedException(e.Message, e);
        }
    }
}

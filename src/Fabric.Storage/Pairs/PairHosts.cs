using System.Collections.Concurrent;
using System.Globalization;
using Fabric.Core;
using Fabric.Core.Events;
using Fabric.Jobs.Running;
using Fabric.Registry;
using Fabric.Remote;
using Fabric.Storage.Exports;

namespace Fabric.Storage.Pairs;

/// <summary>Runs one piece of work on both storage nodes of a pair at once and says which node failed and why: its name,
/// address and the reason. A host key mismatch is recorded on the node (<c>ssh-host-key-mismatch</c>).</summary>
internal sealed class PairHosts(IRegistry registry, IRemoteHosts remoteHosts)
{
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _exportGates = new(StringComparer.OrdinalIgnoreCase);
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _nfsGates = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>The outcome of the work on one node: null when it succeeded, otherwise the operator's message.</summary>
    public sealed record Outcome(Node Node, string? Failure, bool Canceled)
    {
        public bool Succeeded => Failure is null && !Canceled;
    }

    /// <summary>The resolved pair named <paramref name="name"/>, or a failed job naming why.</summary>
    public StoragePair Resolve(string name) =>
        StoragePair.TryResolve(registry.ListNodes(NodeRole.Storage), name, out var pair, out var reason)
            ? pair
            : throw new JobFailedException(reason);

    /// <summary>The node's SSH host, or throws <see cref="RemoteHostException"/> (no address, no pinned key).</summary>
    public IRemoteHost HostOf(Node node)
    {
        var target = ExportSync.TargetOf(node)
            ?? throw new RemoteHostException(RemoteFailure.InvalidTarget, node.Name, "it has no ip and no sshAddress");
        return remoteHosts.For(target);
    }

    /// <summary>Syncs <paramref name="node"/>'s exports, one sync per node at a time: two volume jobs of one pair finishing
    /// together would otherwise both find a new slot not running and both start a vblade for it.</summary>
    public async Task<IReadOnlyList<ExportAction>> SyncExportsAsync(IRemoteHost host, Node node, Action<string> log, CancellationToken cancellationToken)
    {
        var gate = _exportGates.GetOrAdd(node.Name, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(cancellationToken);
        try
        {
            // The node as the registry has it now, not as it was when the job started.
            var current = registry.FindNode(node.Name) ?? node;
            return await ExportSync.SyncAsync(host, current, dryRun: false, log, cancellationToken);
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>Syncs <paramref name="node"/>'s NFS exports (nfs-ganesha), one sync per node at a time, from the node as the
    /// registry has it now.</summary>
    public async Task<IReadOnlyList<Nfs.NfsAction>> SyncNfsAsync(IRemoteHost host, Node node, Action<string> log, CancellationToken cancellationToken)
    {
        var gate = _nfsGates.GetOrAdd(node.Name, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(cancellationToken);
        try
        {
            var current = registry.FindNode(node.Name) ?? node;
            return await Nfs.NfsSync.SyncAsync(host, current, dryRun: false, log, cancellationToken);
        }
        catch (ArgumentException e) when (e.Message.StartsWith("nfsExports:", StringComparison.Ordinal))
        {
            throw new JobFailedException(e.Message);
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>Runs <paramref name="work"/> on both nodes in parallel; every outcome, in the pair's order (A, B).</summary>
    public async Task<IReadOnlyList<Outcome>> BothAsync(StoragePair pair, IJobContext context, Func<Node, IRemoteHost, Task> work)
    {
        var tasks = pair.Nodes.Select(node => Task.Run(() => OneAsync(node, context, work))).ToList();
        return await Task.WhenAll(tasks);
    }

    private async Task<Outcome> OneAsync(Node node, IJobContext context, Func<Node, IRemoteHost, Task> work)
    {
        string where = $"{node.Name} ({ExportSync.TargetOf(node)?.Address ?? "no address"})";
        try
        {
            await work(node, HostOf(node));
            return new Outcome(node, null, false);
        }
        catch (OperationCanceledException) when (context.CancellationToken.IsCancellationRequested)
        {
            return new Outcome(node, null, true);
        }
        catch (HostKeyMismatchException e)
        {
            await registry.RecordAsync(node.Name, EventKind.SshHostKeyMismatch, e.Message, Actor.Job(context.Job.Id.ToString(CultureInfo.InvariantCulture)));
            return new Outcome(node, $"{where}: {e.Reason}", false);
        }
        catch (RemoteHostException e)
        {
            return new Outcome(node, $"{where}: {e.Reason}", false);
        }
        catch (RemoteCommandTimeoutException e)
        {
            return new Outcome(node, $"{where}: {e.Message}", false);
        }
        catch (RemoteCommandFailedException e)
        {
            return new Outcome(node, $"{where}: {e.Message}", false);
        }
        catch (JobFailedException e)
        {
            return new Outcome(node, $"{where}: {e.Message}", false);
        }
    }

    /// <summary>Throws for the first failure (or the cancellation) among <paramref name="outcomes"/>.</summary>
    public static void ThrowIfAnyFailed(IReadOnlyList<Outcome> outcomes, CancellationToken cancellationToken)
    {
        var failures = outcomes.Where(o => o.Failure is not null).Select(o => o.Failure!).ToList();
        if (failures.Count > 0)
        {
            throw new JobFailedException(string.Join("; ", failures));
        }

        if (outcomes.Any(o => o.Canceled))
        {
            throw new OperationCanceledException(cancellationToken);
        }
    }
}

using Fabric.Core;
using Fabric.Core.Events;
using Fabric.Core.Lifecycle;
using Fabric.Jobs.Model;
using Fabric.Jobs.Running;
using Fabric.Registry;
using Fabric.Registry.Images;
using Fabric.Storage.Nfs;
using Fabric.Storage.Volumes;

namespace Fabric.Storage.Jobs;

/// <summary>Job kind <c>provision-root</c> on a hardware node (arguments <c>pair</c>, <c>image</c>). From an ext4 image: makes
/// its root volume <c>NAME-root</c> on the pair and exports it on both storage nodes (<see cref="PairVolumeMaker"/>), then
/// in one write sets the node's root to <c>aoe-md:eA.N,eB.N</c> and moves it from <c>provisioning</c> to
/// <c>registered</c>. From a tar image: extracts its NFS root folder on both storage nodes and exports it
/// (<see cref="PairNfsRootMaker"/>), then sets the root <c>nfs:ADDR:PATH</c> (node A's copy) the same way. On failure or
/// cancellation nothing is left on the storage nodes, nothing is recorded and the node is <c>failed</c>. A node that
/// already has its root is left alone.</summary>
internal sealed class ProvisionRootJobHandler(IRegistry registry, PairVolumeMaker maker, PairNfsRootMaker nfsMaker, IImageStore images) : IJobHandler
{
    public const string KindName = StorageJobs.ProvisionRoot;

    private static readonly string[] Keys = ["pair", "image"];

    public string Kind => KindName;

    /// <summary>The root volume of hardware node <paramref name="node"/>.</summary>
    public static string RootVolumeOf(string node) => StorageJobs.RootVolumeOf(node);

    public IReadOnlyList<JobFieldError> Validate(IReadOnlyDictionary<string, string> arguments)
    {
        var errors = new List<JobFieldError>();
        JobArguments.Pair(arguments, errors);
        JobArguments.Name(arguments, "image", "image", required: true, errors);
        JobArguments.Only(arguments, KindName, Keys, errors);
        return errors;
    }

    public async Task RunAsync(IJobContext context)
    {
        var name = context.Job.Node ?? throw new JobFailedException("a provision-root job needs a node");
        var node = registry.FindNode(name) ?? throw new JobFailedException($"no node named '{name}'");
        if (node.Role != NodeRole.Hardware)
        {
            throw new JobFailedException($"node '{node.Name}' is a {node.Role.ToWire()} node; provision-root makes the root of a hardware node");
        }

        var actor = JobArguments.ActorOf(context);
        if (node.State != NodeState.Provisioning)
        {
            if (node.Hardware?.Root is { } root)
            {
                context.Log($"node {node.Name} has its root {root}: nothing to do");
                return;
            }

            var started = await registry.ApplyAsync(node.Name, NodeTrigger.ProvisioningStarted, EventKind.ProvisioningStarted, $"job {context.Job.Id}", actor);
            if (!started.Succeeded)
            {
                throw new JobFailedException(started.Error.ToString());
            }
        }

        var pairName = JobArguments.Required(context, "pair");
        var imageName = JobArguments.Required(context, "image");
        var volume = RootVolumeOf(node.Name);
        try
        {
            var image = images.Find(pairName, imageName)
                ?? throw new JobFailedException($"pair '{pairName}' has no image '{imageName}' (push it first: fabric image push {imageName} --file F --pair {pairName})");
            if (image.Format == ImageFormat.Tar)
            {
                await ProvisionNfsAsync(context, node.Name, pairName, image, actor);
                return;
            }

            if (StorageJobs.RootImageProblem(image) is { } imageProblem)
            {
                throw new JobFailedException(imageProblem);
            }

            var made = await maker.MakeAsync(context, pairName, volume, image.SizeBytes, image.Name, actor);
            await context.StepAsync("set the node's root");
            var root = made.Pair.RootOf(made.Volume.Slot);
            var finished = await registry.FinishProvisioningAsync(node.Name, root, $"volume {volume} from image {image.Name} on pair {made.Pair.Name}", actor, CancellationToken.None);
            if (!finished.Succeeded)
            {
                await maker.TakeBackAsync(context, made.Pair.Name, volume, null, actor);
                throw new JobFailedException($"the registry did not set the root of {node.Name}: {finished.Error}");
            }

            context.Progress(1, 1, "nodes");
            context.Log($"node {node.Name}: root {root}, registered");
        }
        catch (Exception e) when (e is JobFailedException or OperationCanceledException)
        {
            await registry.ReleaseSlotAsync(pairName, volume, CancellationToken.None);
            var reason = e is OperationCanceledException ? "cancelled" : e.Message;
            await registry.ApplyAsync(node.Name, NodeTrigger.ProvisioningFailed, EventKind.ProvisioningFailed, $"job {context.Job.Id}: {reason}", actor, CancellationToken.None);
            throw;
        }
    }

    /// <summary>An NFS root: the folder on both storage nodes and their exports, then the node's root in one write.</summary>
    private async Task ProvisionNfsAsync(IJobContext context, string nodeName, string pairName, StoredImage image, Actor actor)
    {
        var made = await nfsMaker.MakeAsync(context, pairName, nodeName, image, actor);
        await context.StepAsync("set the node's root");
        var finished = await registry.FinishProvisioningAsync(nodeName, made.Root, $"NFS root from image {image.Name} on pair {made.Pair.Name}", actor, CancellationToken.None);
        if (!finished.Succeeded)
        {
            await nfsMaker.TakeBackAsync(context, made.Pair.Name, nodeName, null, actor);
            throw new JobFailedException($"the registry did not set the root of {nodeName}: {finished.Error}");
        }

        context.Progress(1, 1, "nodes");
        context.Log($"node {nodeName}: root {made.Root}, registered");
    }
}

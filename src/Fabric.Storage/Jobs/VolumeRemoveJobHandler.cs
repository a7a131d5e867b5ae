using Fabric.Core;
using Fabric.Jobs.Model;
using Fabric.Jobs.Running;
using Fabric.Remote.Commands;
using Fabric.Storage.Exports;
using Fabric.Storage.Pairs;
using Fabric.Storage.Volumes;

namespace Fabric.Storage.Jobs;

/// <summary>Job kind <c>volume-remove</c> (arguments <c>name</c>, <c>pair</c>): after the API removed the volume from the
/// registry, stops its exports on both storage nodes of the pair and removes its files. Running it again changes nothing.</summary>
internal sealed class VolumeRemoveJobHandler(PairHosts pairs) : IJobHandler
{
    public const string KindName = StorageJobs.VolumeRemove;

    private static readonly string[] Keys = ["name", "pair"];

    public string Kind => KindName;

    public IReadOnlyList<JobFieldError> Validate(IReadOnlyDictionary<string, string> arguments)
    {
        var errors = new List<JobFieldError>();
        JobArguments.Name(arguments, "name", "volume", required: true, errors);
        JobArguments.Pair(arguments, errors);
        JobArguments.Only(arguments, KindName, Keys, errors);
        return errors;
    }

    public async Task RunAsync(IJobContext context)
    {
        var name = JobArguments.Required(context, "name");
        var pair = pairs.Resolve(JobArguments.Required(context, "pair"));
        if (pair.Nodes.Any(n => n.Storage!.Volumes.Any(v => v.Name == name)))
        {
            throw new JobFailedException($"volume {name} is in the registry again; not removing its files");
        }

        await context.StepAsync("stop exports and remove files");
        var outcomes = await pairs.BothAsync(pair, context, async (node, host) =>
        {
            await pairs.SyncExportsAsync(host, node, context.Log, context.CancellationToken);
            var file = VolumeScripts.FileOf(node.Storage!, name);
            (await host.RunAsync(VolumeScripts.RemoveCommand(file), new RemoteRunOptions(TimeSpan.FromMinutes(1)), context.CancellationToken)).EnsureSuccess();
            context.Log($"{node.Name}: removed {file}");
        });
        PairHosts.ThrowIfAnyFailed(outcomes, context.CancellationToken);
    }
}

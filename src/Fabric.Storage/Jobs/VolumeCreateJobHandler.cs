using Fabric.Jobs.Model;
using Fabric.Jobs.Running;
using Fabric.Storage.Volumes;

namespace Fabric.Storage.Jobs;

/// <summary>Job kind <c>volume-create</c> (arguments <c>name</c>, <c>pair</c>, <c>sizeBytes</c>, <c>image</c>): makes the
/// volume on both storage nodes of the pair, records it and starts its exports (<see cref="PairVolumeMaker"/>).</summary>
internal sealed class VolumeCreateJobHandler(PairVolumeMaker maker) : IJobHandler
{
    public const string KindName = StorageJobs.VolumeCreate;

    private static readonly string[] Keys = ["name", "pair", "sizeBytes", "image"];

    public string Kind => KindName;

    public IReadOnlyList<JobFieldError> Validate(IReadOnlyDictionary<string, string> arguments)
    {
        var errors = new List<JobFieldError>();
        JobArguments.Name(arguments, "name", "volume", required: true, errors);
        JobArguments.Pair(arguments, errors);
        JobArguments.Size(arguments, "sizeBytes", errors);
        JobArguments.Name(arguments, "image", "image", required: false, errors);
        JobArguments.Only(arguments, KindName, Keys, errors);
        return errors;
    }

    public async Task RunAsync(IJobContext context)
    {
        var made = await maker.MakeAsync(
            context,
            JobArguments.Required(context, "pair"),
            JobArguments.Required(context, "name"),
            JobArguments.Bytes(context, "sizeBytes"),
            context.Job.Arguments.TryGetValue("image", out var image) && image.Length > 0 ? image : null,
            JobArguments.ActorOf(context));
        context.Progress(1, 1, "volumes");
        context.Log($"volume {made.Volume.Name}: slot {made.Volume.Slot} on {string.Join(" and ", made.Volume.Copies.Select(c => c.Node))}, root {made.Pair.RootOf(made.Volume.Slot)}");
    }
}

using Fabric.Core;
using Fabric.Core.Events;
using Fabric.Jobs.Model;
using Fabric.Jobs.Running;
using Fabric.Registry;
using Fabric.Registry.Images;
using Fabric.Registry.Volumes;
using Fabric.Storage.Pairs;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Fabric.Storage.Volumes;

/// <summary>Volumes of a pair as other features use them (an instance's disk): a slot held when the request is
/// decided, the volume made from an image inside the caller's job (<see cref="PairVolumeMaker"/>, the same code as
/// <c>volume-create</c> and <c>provision-root</c>), and a volume removed (the registry first, then a
/// <c>volume-remove</c> job, as <c>DELETE /api/v1/volumes/{name}</c> does).</summary>
public interface IPairVolumes
{
    /// <summary>Holds a slot of <paramref name="pair"/> (null: <c>Fabric:Storage:DefaultPair</c>) for volume
    /// <paramref name="name"/> made from <paramref name="image"/>. Errors name <c>pair</c> (none given and no default,
    /// not a pair), <c>image</c> (the pair has no such image), <c>name</c> (the volume exists or is being made) or
    /// <c>slot</c> (none free).</summary>
    Task<RegistryResult<VolumeHold>> HoldAsync(string? pair, string name, string image, CancellationToken cancellationToken = default);

    /// <summary>Gives back a slot held by <see cref="HoldAsync"/> that will not be used.</summary>
    Task ReleaseAsync(VolumeHold hold);

    /// <summary>Inside a job: makes volume <paramref name="name"/> of <paramref name="pair"/> from <paramref name="image"/>
    /// (its size is the image's) on both storage nodes and exports it; when it is already recorded only its exports are
    /// synced. Throws <see cref="JobFailedException"/> with nothing left on the pair when it cannot.</summary>
    Task<PairVolume> MakeAsync(IJobContext context, string pair, string name, string image, Actor actor);

    /// <summary>Removes volume <paramref name="name"/> from the registry (refused while a node or instance uses it), then
    /// queues <c>volume-remove</c>, which stops its exports and removes its files.</summary>
    Task<VolumeRemoval> RemoveAsync(string name, string? pair, string actor, CancellationToken cancellationToken = default);
}

/// <summary>A slot held for a new volume, and the size it will have.</summary>
public sealed record VolumeHold(string Pair, string Name, int Slot, long SizeBytes);

/// <summary>The outcome of <see cref="IPairVolumes.RemoveAsync"/>: the registry's refusal, or the volume removed from it
/// and the <c>volume-remove</c> job (which may itself have been refused).</summary>
public sealed record VolumeRemoval(RegistryError? Error, PairVolume? Volume, JobResult? Job);

/// <summary>The job service is looked up when a volume is removed, not when this is made: the job runner's handlers
/// (an instance job) need this, so taking the runner here would make a cycle.</summary>
internal sealed class PairVolumes(IRegistry registry, PairVolumeMaker maker, IImageStore images, IServiceProvider services, IOptions<StorageOptions> options) : IPairVolumes
{
    public async Task<RegistryResult<VolumeHold>> HoldAsync(string? pair, string name, string image, CancellationToken cancellationToken = default)
    {
        pair = string.IsNullOrWhiteSpace(pair) ? options.Value.DefaultPair : pair;
        if (string.IsNullOrWhiteSpace(pair))
        {
            return RegistryError.Invalid("pair", $"no pair given and {StorageOptions.Section}:DefaultPair is not set");
        }

        if (!StoragePair.TryResolve(registry.ListNodes(NodeRole.Storage), pair, out var resolved, out var reason))
        {
            return RegistryError.Invalid("pair", reason);
        }

        if (StorageNames.Problem(image, "image") is { } imageProblem)
        {
            return RegistryError.Invalid("image", imageProblem);
        }

        if (images.Find(resolved.Name, image) is not { } stored)
        {
            return RegistryError.Invalid("image", $"pair '{resolved.Name}' has no image '{image}' (fabric image list)");
        }

        if (!stored.Format.MakesVolumes())
        {
            return RegistryError.Invalid("image", $"image '{image}' is a {stored.Format.ToWire()} image (an NFS root); a volume is made from an ext4 or disk image");
        }

        var held = await maker.ReserveAsync(resolved.Name, name, cancellationToken).ConfigureAwait(false);
        return held.Succeeded
            ? RegistryResult<VolumeHold>.Ok(new VolumeHold(held.Value.Pair, name, held.Value.Slot, stored.SizeBytes))
            : held.Error!;
    }

    public Task ReleaseAsync(VolumeHold hold)
    {
        ArgumentNullException.ThrowIfNull(hold);
        return registry.ReleaseSlotAsync(hold.Pair, hold.Name, CancellationToken.None);
    }

    public async Task<PairVolume> MakeAsync(IJobContext context, string pair, string name, string image, Actor actor)
    {
        ArgumentNullException.ThrowIfNull(context);
        var stored = images.Find(pair, image)
            ?? throw new JobFailedException($"pair '{pair}' has no image '{image}' (push it first: fabric image push {image} --file F --pair {pair})");
        var made = await maker.MakeAsync(context, pair, name, stored.SizeBytes, stored.Name, actor).ConfigureAwait(false);
        return made.Volume;
    }

    public async Task<VolumeRemoval> RemoveAsync(string name, string? pair, string actor, CancellationToken cancellationToken = default)
    {
        var removed = await registry.RemoveVolumeAsync(name, string.IsNullOrEmpty(pair) ? null : pair, Actor.Parse(actor), cancellationToken).ConfigureAwait(false);
        if (!removed.Succeeded)
        {
            return new VolumeRemoval(removed.Error, null, null);
        }

        var jobs = services.GetRequiredService<IJobService>();
        var job = await jobs.EnqueueAsync(
            new NewJob(StorageJobs.VolumeRemove, null, new Dictionary<string, string>(StringComparer.Ordinal)
            {
                ["name"] = removed.Value.Name,
                ["pair"] = removed.Value.Pair,
            }, actor),
            cancellationToken).ConfigureAwait(false);
        return new VolumeRemoval(null, removed.Value, job);
    }
}

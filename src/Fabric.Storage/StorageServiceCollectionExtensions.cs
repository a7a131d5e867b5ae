using Fabric.Jobs;
using Fabric.Registry;
using Fabric.Registry.Images;
using Fabric.Storage.Jobs;
using Fabric.Storage.Pairs;
using Fabric.Storage.Volumes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Fabric.Storage;

public static class StorageServiceCollectionExtensions
{
    /// <summary>Registers the storage job kinds (<c>storage-sync</c>, <c>image-push</c>, <c>volume-create</c>,
    /// <c>volume-remove</c>, <c>provision-root</c>) and <see cref="IPairVolumes"/>. Needs the registry, jobs, remote hosts, an <see cref="IImageStore"/>
    /// and <see cref="StorageOptions"/>.</summary>
    public static IServiceCollection AddFabricStorage(this IServiceCollection services)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<PairHosts>();
        services.TryAddSingleton<PairVolumeMaker>();
        services.TryAddSingleton<Nfs.PairNfsRootMaker>();
        services.TryAddSingleton<IPairVolumes, PairVolumes>();
        services.AddJobHandler<StorageSyncJobHandler>();
        services.AddJobHandler<ImagePushJobHandler>();
        services.AddJobHandler<VolumeCreateJobHandler>();
        services.AddJobHandler<VolumeRemoveJobHandler>();
        services.AddJobHandler<ProvisionRootJobHandler>();
        return services;
    }

    /// <summary>Holds a slot for a new volume of <paramref name="pair"/> (the lowest free one), inside the registry's writer:
    /// 400 naming <c>pair</c> when it is not a pair of two storage nodes, 409 when no slot is free or the name is taken.</summary>
    public static Task<RegistryResult<Registry.Volumes.SlotReservation>> ReserveVolumeSlotAsync(this IRegistry registry, string pair, string volume, CancellationToken cancellationToken = default) =>
        registry.ReserveSlotAsync(pair, volume, PairVolumeMaker.Chooser(pair), cancellationToken);

    /// <summary>The slot chooser of a pair, for <see cref="IRegistry.AddProvisioningNodeAsync"/>.</summary>
    public static Registry.Volumes.SlotChooser SlotChooserOf(string pair) => PairVolumeMaker.Chooser(pair);
}

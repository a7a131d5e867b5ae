using Fabric.Jobs;
using Fabric.Storage.Jobs;
using Microsoft.Extensions.DependencyInjection;

namespace Fabric.Storage;

public static class StorageServiceCollectionExtensions
{
    /// <summary>Registers the storage job kinds (<c>storage-sync</c>). Needs the registry, jobs and remote hosts.</summary>
    public static IServiceCollection AddFabricStorage(this IServiceCollection services) =>
        services.AddJobHandler<StorageSyncJobHandler>();
}

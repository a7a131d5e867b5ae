using Fabric.Jobs;
using Fabric.Storage.Health;
using Fabric.Storage.Jobs;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Fabric.Storage;

public static class StorageServiceCollectionExtensions
{
    /// <summary>Registers the storage job kinds (<c>storage-sync</c>, <c>md-repair</c>). Needs the registry, jobs and remote hosts.</summary>
    public static IServiceCollection AddFabricStorage(this IServiceCollection services) =>
        services.AddJobHandler<StorageSyncJobHandler>().AddJobHandler<MdRepairJobHandler>();

    /// <summary>Registers the storage health monitor (a hosted service checking every storage node each
    /// <c>Fabric:Storage:CheckInterval</c>) and <see cref="IStorageHealth"/>, with its settings validated on start.</summary>
    public static IServiceCollection AddFabricStorageHealth(this IServiceCollection services, IConfiguration configuration)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.AddOptions<StorageOptions>().Configure(o => StorageOptions.Read(configuration, o)).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<StorageOptions>, StorageOptions.Validator>());
        services.AddMetrics();
        services.TryAddSingleton<StorageMetrics>();
        services.TryAddSingleton<StorageHealthMonitor>();
        services.TryAddSingleton<IStorageHealth>(sp => sp.GetRequiredService<StorageHealthMonitor>());
        services.AddHostedService(sp => sp.GetRequiredService<StorageHealthMonitor>());
        return services;
    }
}

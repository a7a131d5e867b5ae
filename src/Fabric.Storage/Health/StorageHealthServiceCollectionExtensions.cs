using Fabric.Jobs;
using Fabric.Storage.Jobs;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Fabric.Storage.Health;

public static class StorageHealthServiceCollectionExtensions
{
    /// <summary>Registers the storage health monitor (a hosted service checking every storage node each
    /// <c>Fabric:Storage:CheckInterval</c>), <see cref="IStorageHealth"/> and the <c>md-repair</c> job kind, with the
    /// settings validated on start. Needs the registry, jobs, remote hosts and the storage job kinds (<c>storage-sync</c>).</summary>
    public static IServiceCollection AddFabricStorageHealth(this IServiceCollection services, IConfiguration configuration)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.AddOptions<StorageHealthOptions>().Configure(o => StorageHealthOptions.Read(configuration, o)).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<StorageHealthOptions>, StorageHealthOptions.Validator>());
        services.AddMetrics();
        services.TryAddSingleton<StorageMetrics>();
        services.TryAddSingleton<StorageHealthMonitor>();
        services.TryAddSingleton<IStorageHealth>(sp => sp.GetRequiredService<StorageHealthMonitor>());
        services.AddHostedService(sp => sp.GetRequiredService<StorageHealthMonitor>());
        services.AddJobHandler<MdRepairJobHandler>();
        return services;
    }
}

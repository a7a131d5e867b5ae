using Fabric.Jobs.Handlers;
using Fabric.Jobs.Running;
using Fabric.Jobs.Storage;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Fabric.Jobs;

/// <summary>Wires the job system: store, runner (a hosted service), broadcast and the built-in <c>wait</c> kind.</summary>
public static class JobsServiceCollectionExtensions
{
    /// <summary>Adds the job system. <paramref name="databasePath"/> gives the registry database's path once the registry
    /// has migrated it (the jobs tables come from its migrations).</summary>
    public static IServiceCollection AddFabricJobs(this IServiceCollection services, IConfiguration configuration, Func<IServiceProvider, string> databasePath)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.AddOptions<JobsOptions>().Configure(o => JobsOptions.Read(configuration, o)).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<JobsOptions>, JobsOptions.Validator>());
        services.TryAddSingleton<IJobStore>(sp => SqliteJobStore.Open(
            databasePath(sp),
            sp.GetRequiredService<TimeProvider>().GetUtcNow(),
            new JobStoreOptions(MaxLogLines: sp.GetRequiredService<IOptions<JobsOptions>>().Value.MaxLogLines)));
        services.AddMetrics();
        services.TryAddSingleton<JobMetrics>();
        services.TryAddSingleton<JobBroadcast>();
        services.TryAddSingleton<JobRunner>();
        services.TryAddSingleton<IJobService>(sp => sp.GetRequiredService<JobRunner>());
        services.AddHostedService(sp => sp.GetRequiredService<JobRunner>());
        services.AddJobHandler<WaitJobHandler>();
        return services;
    }

    /// <summary>Registers a job kind.</summary>
    public static IServiceCollection AddJobHandler<THandler>(this IServiceCollection services)
        where THandler : class, IJobHandler
    {
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IJobHandler, THandler>());
        return services;
    }
}

using Fabric.Instances.Disks;
using Fabric.Instances.Hypervisor;
using Fabric.Instances.Jobs;
using Fabric.Instances.Monitoring;
using Fabric.Instances.Operations;
using Fabric.Instances.Settings;
using Fabric.Jobs;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Fabric.Instances;

public static class InstancesServiceCollectionExtensions
{
    /// <summary>Instances: settings <c>Fabric:Instances</c> (checked at start-up with every problem listed), the SSH
    /// hypervisor driver over the registry's hypervisors, the disks (file paths, or volumes of a pair made with the storage
    /// feature's <see cref="Storage.Volumes.IPairVolumes"/> when it is registered), the operations the API
    /// calls and the job kinds <c>instance-create</c>, <c>instance-start</c>, <c>instance-stop</c>,
    /// <c>instance-migrate</c> and <c>node-evacuate</c>, and the monitor that finds a
    /// running instance's qemu gone (<c>Fabric:Instances:CheckInterval</c>) with its metrics. Needs the registry, jobs and remote hosts. Each part is added
    /// with TryAdd, so a test (or another disk source) can replace it.</summary>
    public static IServiceCollection AddFabricInstances(this IServiceCollection services)
    {
        services.AddOptions<InstanceOptions>().BindConfiguration(InstanceOptions.Section).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<InstanceOptions>, InstanceOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<IHypervisorHosts, RegistryHypervisorHosts>();
        services.TryAddSingleton<IHypervisorDriver, SshHypervisorDriver>();
        services.TryAddSingleton<IInstanceDisks, RegistryInstanceDisks>();
        services.TryAddSingleton<MigrationReservations>();
        services.TryAddSingleton<MigrationProgress>();
        services.TryAddSingleton<InstanceWork>();
        services.TryAddSingleton<IInstanceOperations, InstanceOperations>();
        services.AddJobHandler<CreateInstanceJobHandler>();
        services.AddJobHandler<StartAgainInstanceJobHandler>();
        services.AddJobHandler<StopInstanceJobHandler>();
        services.AddJobHandler<MigrateInstanceJobHandler>();
        services.AddJobHandler<EvacuateJobHandler>();
        services.AddMetrics();
        services.TryAddSingleton<InstanceMetrics>();
        services.TryAddSingleton<InstanceMonitor>();
        services.AddHostedService(sp => sp.GetRequiredService<InstanceMonitor>());
        return services;
    }
}

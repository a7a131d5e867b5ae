using Fabric.Instances.Settings;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Fabric.Instances;

public static class InstancesServiceCollectionExtensions
{
    /// <summary>Instances: settings <c>Fabric:Instances</c>, checked at start-up with every problem listed.</summary>
    public static IServiceCollection AddFabricInstances(this IServiceCollection services)
    {
        services.AddOptions<InstanceOptions>().BindConfiguration(InstanceOptions.Section).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<InstanceOptions>, InstanceOptionsValidator>());
        return services;
    }
}

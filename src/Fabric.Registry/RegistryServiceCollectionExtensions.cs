using Fabric.Core;
using Fabric.Registry.Settings;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Fabric.Registry;

public static class RegistryServiceCollectionExtensions
{
    /// <summary>The registry: settings <c>Fabric:Discovery</c> and <c>Fabric:Events</c> (checked at start-up, every
    /// problem at once), the SQLite store at <paramref name="databasePath"/> unless another <see cref="IRegistryStore"/>
    /// is registered, and the registry service as <see cref="IRegistry"/> and <see cref="IFabricDirectory"/>.</summary>
    public static IServiceCollection AddFabricRegistry(this IServiceCollection services, string databasePath)
    {
        services.AddOptions<DiscoveryOptions>().BindConfiguration(DiscoveryOptions.Section).ValidateOnStart();
        services.AddOptions<EventOptions>().BindConfiguration(EventOptions.Section).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<DiscoveryOptions>, DiscoveryOptionsValidator>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<EventOptions>, EventOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(sp => new RegistryMetrics(sp.GetService<System.Diagnostics.Metrics.IMeterFactory>()));
        services.TryAddSingleton(sp => FabricRegistry.OpenSqliteStore(databasePath, sp.GetService<Microsoft.Extensions.Logging.ILoggerFactory>()));
        services.TryAddSingleton<IRegistry>(sp => new RegistryService(
            sp.GetRequiredService<IRegistryStore>(),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<IOptions<DiscoveryOptions>>(),
            sp.GetRequiredService<IOptions<EventOptions>>(),
            sp.GetRequiredService<RegistryMetrics>()));
        services.TryAddSingleton<IFabricDirectory>(sp => sp.GetRequiredService<IRegistry>());
        return services;
    }
}

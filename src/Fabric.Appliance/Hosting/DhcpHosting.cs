using Fabric.Appliance.Hosting;
using Fabric.Dhcp;

namespace Microsoft.Extensions.DependencyInjection;

public static class DhcpHosting
{
    /// <summary>The appliance's DHCP server: options from Fabric:Dhcp (<see cref="DhcpSettings"/>, validated by
    /// <see cref="ApplianceHosting.AddFabricAppliance"/> with every error at once; read directly when that was not called),
    /// leases in DataDir/leases.db (also the ILeaseView for the API), the server on Fabric:Dhcp:Interfaces
    /// (none = off). DataDir and PublicUrl default to the appliance's resolved settings when registered
    /// before. Uses the IFabricDirectory the registry registers.</summary>
    public static IServiceCollection AddFabricDhcp(this IServiceCollection services, IConfiguration configuration)
    {
        var appliance = services.LastOrDefault(d => d.ServiceType == typeof(FabricOptions))?.ImplementationInstance as FabricOptions;
        if (appliance is not null && services.Validated<DhcpSettings>() is { } dhcp)
        {
            var publicUrl = appliance.PublicUrl?.ToString() ?? (appliance.Urls.Count > 0 ? appliance.Urls[0] : null) ?? "";
            return services.AddFabricDhcpServer(dhcp.ToServerOptions(appliance.DataDir, publicUrl));
        }

        return services.AddFabricDhcpServer(DhcpConfiguration.Read(configuration));
    }
}

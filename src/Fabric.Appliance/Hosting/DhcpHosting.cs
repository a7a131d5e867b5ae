using Fabric.Dhcp;

namespace Microsoft.Extensions.DependencyInjection;

public static class DhcpHosting
{
    /// <summary>The appliance's DHCP server: options from Fabric:Dhcp (validated now, every error at once),
    /// leases in DataDir/leases.db (also the ILeaseView for the API), the server on Fabric:Dhcp:Interfaces
    /// (none = off). Uses the IFabricDirectory the registry registers.</summary>
    public static IServiceCollection AddFabricDhcp(this IServiceCollection services, IConfiguration configuration) =>
        services.AddFabricDhcpServer(DhcpConfiguration.Read(configuration));
}

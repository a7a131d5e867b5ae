using System.Diagnostics.Metrics;
using Fabric.Appliance.Hosting;
using Fabric.Tftp;
using Fabric.Tftp.Files;
using Microsoft.Extensions.Options;

// In this namespace, like other Add* methods, so Program.cs needs no extra using.
namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Wires the TFTP server into the appliance.</summary>
public static class TftpHosting
{
    /// <summary>
    /// Registers the TFTP settings (<see cref="TftpSettings"/>, section <c>Fabric:Tftp</c>) and, when
    /// <c>Fabric:Tftp:Endpoint</c> is set (address:port), the server as a hosted service. It serves <c>Fabric:BootDir</c>
    /// plus the <see cref="ITftpVirtualFiles"/> registered in DI, if any. The settings are validated when the host starts,
    /// every problem at once.
    /// </summary>
    public static IServiceCollection AddFabricTftp(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddFabricSettings<ApplianceOptions>(ApplianceOptions.Section).PostConfigure(ApplianceOptions.Resolve);
        services.AddFabricSettings<TftpSettings, TftpSettingsValidator>(TftpSettings.Section);
        if (string.IsNullOrWhiteSpace(configuration["Fabric:Tftp:Endpoint"]))
        {
            return services;
        }

        services.AddHostedService(sp => new TftpHostedService(
            sp.GetRequiredService<IOptions<TftpSettings>>().Value,
            sp.GetRequiredService<IOptions<ApplianceOptions>>().Value,
            sp.GetRequiredService<ILogger<TftpServer>>(),
            sp.GetService<ITftpVirtualFiles>(),
            sp.GetService<TimeProvider>(),
            sp.GetService<IMeterFactory>()));
        return services;
    }
}

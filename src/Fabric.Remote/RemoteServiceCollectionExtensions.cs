using Fabric.Remote;
using Fabric.Remote.Keys;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;

// In this namespace, like other Add* methods, so a host needs no extra using.
namespace Microsoft.Extensions.DependencyInjection;

public static class RemoteServiceCollectionExtensions
{
    /// <summary>Registers Fabric's SSH identity (made in <see cref="RemoteOptions.KeyFolder"/> when first resolved) and the
    /// <see cref="IRemoteHosts"/> connection pool. Each part is added with TryAdd, so a test can put a fake in first.</summary>
    public static IServiceCollection AddFabricRemote(this IServiceCollection services, RemoteOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var problems = options.Validate();
        if (problems.Count > 0)
        {
            throw new ArgumentException("remote options: " + string.Join("; ", problems), nameof(options));
        }

        services.TryAddSingleton(options);
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(sp => SshIdentity.LoadOrCreate(sp.GetRequiredService<RemoteOptions>().KeyFolder));
        services.TryAddSingleton(sp => RemoteHosts.Create(
            sp.GetRequiredService<RemoteOptions>(),
            sp.GetRequiredService<SshIdentity>(),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetService<ILoggerFactory>()));
        return services;
    }
}

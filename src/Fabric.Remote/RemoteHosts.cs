using Fabric.Remote.Keys;
using Fabric.Remote.Ssh;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Fabric.Remote;

/// <summary>Makes the SSH implementation of <see cref="IRemoteHosts"/> outside dependency injection (tools, benchmarks).</summary>
public static class RemoteHosts
{
    /// <summary>A pool of SSH connections authenticated with <paramref name="identity"/>. Throws <see cref="ArgumentException"/>
    /// listing every problem of <paramref name="options"/>.</summary>
    public static IRemoteHosts Create(RemoteOptions options, SshIdentity identity, TimeProvider? time = null, ILoggerFactory? loggers = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(identity);
        var problems = options.Validate();
        if (problems.Count > 0)
        {
            throw new ArgumentException("remote options: " + string.Join("; ", problems), nameof(options));
        }

        return new SshRemoteHosts(options, identity, time ?? TimeProvider.System, (loggers ?? NullLoggerFactory.Instance).CreateLogger("Fabric.Remote"));
    }
}

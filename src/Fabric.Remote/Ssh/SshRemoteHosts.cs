using Fabric.Remote.Hosts;
using Fabric.Remote.Keys;
using Microsoft.Extensions.Logging;

namespace Fabric.Remote.Ssh;

/// <summary>The connection pool: one <see cref="SshRemoteHost"/> per target (host, port, user and pinned key), kept
/// until the pool is disposed. Refuses targets without a pinned host key before any connection is tried.</summary>
internal sealed class SshRemoteHosts(RemoteOptions options, SshIdentity identity, TimeProvider time, ILogger logger) : IRemoteHosts
{
    private readonly Dictionary<SshTarget, SshRemoteHost> _hosts = [];
    private readonly Lock _lock = new();
    private bool _disposed;

    public IRemoteHost For(SshTarget target)
    {
        ArgumentNullException.ThrowIfNull(target);
        var problems = target.Validate();
        if (problems.Count > 0)
        {
            var failure = string.IsNullOrWhiteSpace(target.PinnedHostKey) ? RemoteFailure.HostKeyNotPinned : RemoteFailure.InvalidTarget;
            throw new RemoteHostException(failure, target.ToString(), string.Join("; ", problems));
        }

        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (!_hosts.TryGetValue(target, out var host))
            {
                host = new SshRemoteHost(target, identity, options, time, logger);
                _hosts.Add(target, host);
            }

            return host;
        }
    }

    public async ValueTask DisposeAsync()
    {
        List<SshRemoteHost> hosts;
        lock (_lock)
        {
            _disposed = true;
            hosts = [.. _hosts.Values];
            _hosts.Clear();
        }

        foreach (var host in hosts)
        {
            await host.DisposeAsync().ConfigureAwait(false);
        }
    }
}

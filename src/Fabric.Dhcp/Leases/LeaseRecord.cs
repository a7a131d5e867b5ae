using System.Net;
using Fabric.Core;

namespace Fabric.Dhcp.Leases;

/// <summary>A lease as stored: one row per address, so an address can never belong to two MACs.</summary>
public sealed record LeaseRecord(
    uint Address,
    string Network,
    MacAddress Mac,
    byte[]? ClientId,
    string? Hostname,
    string? Node,
    LeaseState State,
    DateTimeOffset Starts,
    DateTimeOffset Ends)
{
    public IPAddress IpAddress => Ipv4.FromUInt32(Address);

    public Lease ToLease() => new(IpAddress, Mac, Hostname, Node, State, Starts, Ends);
}

/// <summary>Durable lease storage. <see cref="CommitAsync"/> completes only once the record is on disk.</summary>
public interface ILeaseStore
{
    ValueTask CommitAsync(LeaseRecord record, CancellationToken cancellationToken = default);

    /// <summary>Queues the record and calls <paramref name="onDurable"/> once it is on disk (null) or could not be
    /// written (the error). The callback runs on the store's writer thread: it must be short and must not block.</summary>
    void Commit(LeaseRecord record, Action<Exception?> onDurable);

    ValueTask<IReadOnlyList<LeaseRecord>> LoadAsync(CancellationToken cancellationToken = default);
}

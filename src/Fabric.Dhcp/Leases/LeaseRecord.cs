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

    /// <summary>As <see cref="Commit(LeaseRecord, Action{Exception?})"/>, told through <paramref name="waiter"/>
    /// (an object the caller can reuse, so queueing a lease makes no closure).</summary>
    void Commit(LeaseRecord record, ILeaseCommitWaiter waiter);

    /// <summary>Commits the record on the calling thread and tells <paramref name="waiter"/> there (then runs the
    /// after-group callbacks) when the store is idle and leases arrive slowly, so a lone lease skips the hand-off to
    /// the writer thread; returns false, having done nothing, when the writer is busy or leases arrive fast enough to
    /// be grouped (the caller then queues it with <see cref="Commit(LeaseRecord, ILeaseCommitWaiter)"/>). Either way
    /// the waiter is told only once the record is on disk.</summary>
    bool TryCommitNow(LeaseRecord record, ILeaseCommitWaiter waiter);

    /// <summary>Registers <paramref name="afterGroup"/>, called on the writer thread once all waiters of one
    /// durable transaction have been told: replies gathered by their callbacks can then leave as one batch.</summary>
    void OnGroupDurable(Action afterGroup);

    ValueTask<IReadOnlyList<LeaseRecord>> LoadAsync(CancellationToken cancellationToken = default);
}

/// <summary>Told on the lease store's writer thread when a queued lease is on disk (null) or failed (the error).
/// It must be short and must not block.</summary>
public interface ILeaseCommitWaiter
{
    void OnDurable(Exception? error);
}

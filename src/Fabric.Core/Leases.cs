using System.Net;

namespace Fabric.Core;

/// <summary>The state of a DHCP lease.</summary>
public enum LeaseState
{
    Offered,
    Bound,
    Released,
    Expired,
    Declined,
}

/// <summary>A DHCP lease as the rest of the appliance sees it.</summary>
public sealed record Lease(IPAddress Address, MacAddress Mac, string? Hostname, string? Node, LeaseState State, DateTimeOffset Starts, DateTimeOffset Ends);

/// <summary>Read-only view of the DHCP lease database for the API and the CLI. The DHCP server provides it.</summary>
public interface ILeaseView
{
    ValueTask<IReadOnlyList<Lease>> ListLeasesAsync(CancellationToken cancellationToken = default);

    /// <summary>The bound, unexpired lease of <paramref name="mac"/> at <paramref name="now"/>, or null.</summary>
    async ValueTask<Lease?> FindCurrentLeaseAsync(MacAddress mac, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        var leases = await ListLeasesAsync(cancellationToken).ConfigureAwait(false);
        return leases.Where(l => l.Mac == mac && l.State == LeaseState.Bound && l.Ends > now).MaxBy(l => l.Ends);
    }
}

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
}

using System.Net;

namespace Fabric.Core;

/// <summary>The narrow, read-only view of the registry that the protocol servers (DHCP, TFTP) and the
/// boot renderer use. "Not found" is a null result, not an error. Implementations must be cheap enough
/// to call once per packet (the registry keeps an in-memory snapshot).</summary>
public interface IFabricDirectory
{
    ValueTask<Node?> FindNodeByMacAsync(MacAddress mac, CancellationToken cancellationToken = default);

    ValueTask<Node?> FindNodeByIpAsync(IPAddress address, CancellationToken cancellationToken = default);

    ValueTask<Network?> FindNetworkAsync(string name, CancellationToken cancellationToken = default);

    ValueTask<IReadOnlyList<Network>> ListNetworksAsync(CancellationToken cancellationToken = default);
}

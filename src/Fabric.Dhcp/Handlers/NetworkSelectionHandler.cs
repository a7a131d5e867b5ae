using Fabric.Core;

namespace Fabric.Dhcp.Handlers;

/// <summary>Finds the network a request belongs to (RFC 2131 4.3.1): the one containing giaddr when
/// relayed, else the one containing the receiving interface's address. None means nothing is sent.</summary>
internal sealed class NetworkSelectionHandler(IFabricDirectory directory, TimeProvider time) : IDhcpHandler
{
    private static readonly TimeSpan CacheFor = TimeSpan.FromSeconds(1);
    private IReadOnlyList<Network> _networks = [];
    private DateTimeOffset _loadedAt = DateTimeOffset.MinValue;

    public async ValueTask<HandlerResult> HandleAsync(DhcpContext context, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        if (now - _loadedAt > CacheFor || now < _loadedAt)
        {
            _networks = await directory.ListNetworksAsync(cancellationToken).ConfigureAwait(false);
            _loadedAt = now;
        }

        uint link = context.Request.GatewayAddress != 0 ? context.Request.GatewayAddress : context.Interface.AddressValue;
        var networks = _networks;
        for (int i = 0; i < networks.Count; i++)
        {
            var n = networks[i];
            if (n.Cidr.BaseAddress.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork
                && (link & Ipv4.Mask(n.Cidr)) == (Ipv4.ToUInt32(n.Cidr.BaseAddress) & Ipv4.Mask(n.Cidr)))
            {
                context.Network = n;
                return HandlerResult.Continue;
            }
        }

        return context.Drop("no network for link");
    }
}

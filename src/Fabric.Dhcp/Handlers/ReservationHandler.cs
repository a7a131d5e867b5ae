using Fabric.Core;

namespace Fabric.Dhcp.Handlers;

/// <summary>Looks the client's MAC up in the registry: a node whose registry IP is on the selected network
/// is a reservation (its IP, its name as host name).</summary>
internal sealed class ReservationHandler(IFabricDirectory directory) : IDhcpHandler
{
    public async ValueTask<HandlerResult> HandleAsync(DhcpContext context, CancellationToken cancellationToken)
    {
        var node = await directory.FindNodeByMacAsync(context.Mac, cancellationToken).ConfigureAwait(false);
        if (node?.Ip is { } ip && context.Network is { } net && Ipv4.IsHostAddress(net.Cidr, ip) && node.State != NodeState.Retired)
        {
            context.Node = node;
        }

        return HandlerResult.Continue;
    }
}

using Fabric.Dhcp.Netboot;
using Fabric.Dhcp.Protocol;

namespace Fabric.Dhcp.Handlers;

/// <summary>proxyDHCP (PXE 2.1 spec section 2.2.3): another server hands out addresses; this one answers
/// boot clients only, with no yiaddr, on port 67 (OFFER to DISCOVER) and port 4011 (ACK to REQUEST).</summary>
internal sealed class ProxyDhcpHandler : IDhcpHandler
{
    public ValueTask<HandlerResult> HandleAsync(DhcpContext context, CancellationToken cancellationToken)
    {
        var req = context.Request;
        if (NetbootRules.Classify(req.Options) == BootClientKind.Plain)
        {
            return ValueTask.FromResult(context.Drop("proxy: not a boot client"));
        }

        var type = req.MessageType switch
        {
            DhcpMessageType.Discover => DhcpMessageType.Offer,
            DhcpMessageType.Request or DhcpMessageType.Inform => DhcpMessageType.Ack,
            _ => DhcpMessageType.None,
        };
        if (type == DhcpMessageType.None)
        {
            return ValueTask.FromResult(context.Drop("proxy: unexpected message type"));
        }

        context.Reply = new DhcpReply { MessageType = type };
        context.Reply.Options.SetAddress(DhcpOptionCode.ServerIdentifier, context.Interface.Address);
        context.Reply.Options.SetString(DhcpOptionCode.VendorClassIdentifier, NetbootRules.PxeClient);

        // PXE_DISCOVERY_CONTROL (sub-option 6) = 8: use the boot file name given here, skip boot server discovery.
        context.Reply.Options.Set(DhcpOptionCode.VendorSpecific, [6, 1, 8, 255]);
        return ValueTask.FromResult(HandlerResult.Continue);
    }
}

using System.Net;
using Fabric.Core;
using Fabric.Dhcp.Netboot;
using Fabric.Dhcp.Protocol;

namespace Fabric.Dhcp.Handlers;

/// <summary>Checks a parsed request before anything acts on it: BOOTREQUEST, an Ethernet chaddr that can
/// name one NIC, relay trust (RFC 3046 2.1 and 5: option 82 only from trusted relays). A relayed request
/// (giaddr set) is trusted only when giaddr AND the datagram's UDP source address are both trusted relays:
/// giaddr is a field any client can write, the source address is what the network delivered.</summary>
internal sealed class RequestValidationHandler(IReadOnlySet<uint> trustedRelays) : IDhcpHandler
{
    public ValueTask<HandlerResult> HandleAsync(DhcpContext context, CancellationToken cancellationToken) =>
        ValueTask.FromResult(Check(context));

    private HandlerResult Check(DhcpContext context)
    {
        var req = context.Request;
        if (req.Op != BootOp.Request)
        {
            return context.Drop("not a request");
        }

        if (req.MessageType is not (DhcpMessageType.Discover or DhcpMessageType.Request or DhcpMessageType.Decline
            or DhcpMessageType.Release or DhcpMessageType.Inform))
        {
            return context.Drop("unexpected message type");
        }

        if (req.Mac is not { } mac)
        {
            return context.Drop("not ethernet");
        }

        if (mac.IsZero || mac.IsBroadcast || mac.IsMulticast)
        {
            return context.Drop("bad chaddr");
        }

        context.Mac = mac;
        bool hasRelayInfo = req.Options.Contains(DhcpOptionCode.RelayAgentInformation);
        if (req.GatewayAddress != 0)
        {
            if (!trustedRelays.Contains(req.GatewayAddress) || !IsTrusted(context.Source))
            {
                return context.Drop("untrusted relay");
            }
        }
        else if (hasRelayInfo)
        {
            // Option 82 from a directly attached client is a spoof (RFC 3046 2.1 / 5).
            return context.Drop("relay info from non-relay");
        }

        if (req.Options.MaxMessageSize is { } max && (max < DhcpPacket.DefaultMaxMessageSize || max > 1500))
        {
            context.AddAnomaly("bad max message size");
        }

        if (req.Options.HostName is { } host && NetbootRules.SanitizeHostName(host) is null)
        {
            context.AddAnomaly("bad host name");
        }

        return HandlerResult.Continue;
    }

    private bool IsTrusted(IPAddress source)
    {
        var address = source.IsIPv4MappedToIPv6 ? source.MapToIPv4() : source;
        return address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork && trustedRelays.Contains(Ipv4.ToUInt32(address));
    }
}

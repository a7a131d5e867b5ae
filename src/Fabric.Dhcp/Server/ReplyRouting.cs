using System.Net;
using Fabric.Core;
using Fabric.Dhcp.Protocol;

namespace Fabric.Dhcp.Server;

/// <summary>Where a reply goes: RFC 2131 section 4.1, decided here and nowhere else.</summary>
public static class ReplyRouting
{
    public const int ServerPort = 67;
    public const int ClientPort = 68;

    /// <summary>
    /// 1. giaddr set: unicast to the relay agent on the server port 67.
    /// 2. a DHCPNAK (not relayed): broadcast.
    /// 3. ciaddr set (RENEWING, REBINDING, INFORM): unicast to ciaddr on port 68.
    /// 4. otherwise: broadcast to 255.255.255.255:68 on the receiving interface. RFC 2131 lets a server
    ///    unicast to yiaddr when the broadcast bit is clear, but that needs an ARP entry for an address the
    ///    client does not hold yet (a raw socket or SIOCSARP); broadcasting instead is allowed ("... MAY
    ///    broadcast") and works for every client, so Fabric always broadcasts here.
    /// A proxyDHCP request on port 4011 is answered to its source address and port (PXE 2.1 spec 2.2.5).
    /// </summary>
    public static IPEndPoint Choose(DhcpPacket request, DhcpMessageType replyType, IPEndPoint source, int localPort, int proxyPort)
    {
        if (localPort == proxyPort && localPort != ServerPort && !source.Address.Equals(IPAddress.Any))
        {
            return source;
        }

        return Choose(request, replyType, 0, source.Port, localPort, proxyPort).ToEndPoint();
    }

    /// <summary>The same rules on plain values (the datagram's source address as a big-endian value and its
    /// port), as the server uses them per datagram without making endpoint objects.</summary>
    public static ReplyDestination Choose(DhcpPacket request, DhcpMessageType replyType, uint sourceAddress, int sourcePort, int localPort, int proxyPort)
    {
        if (localPort == proxyPort && localPort != ServerPort && sourceAddress != 0)
        {
            return new ReplyDestination(sourceAddress, sourcePort);
        }

        if (request.GatewayAddress != 0)
        {
            return new ReplyDestination(request.GatewayAddress, ServerPort);
        }

        if (replyType == DhcpMessageType.Nak)
        {
            return new ReplyDestination(Limited, ClientPort);
        }

        if (request.ClientAddress != 0)
        {
            return new ReplyDestination(request.ClientAddress, ClientPort);
        }

        return new ReplyDestination(Limited, ClientPort);
    }

    private const uint Limited = 0xFFFFFFFF;
}

/// <summary>A reply's IPv4 destination: address (big-endian value, as the codec's fields) and UDP port.</summary>
public readonly record struct ReplyDestination(uint Address, int Port)
{
    public IPEndPoint ToEndPoint() => new(Ipv4.FromUInt32(Address), Port);

    public override string ToString() => $"{Ipv4.FromUInt32(Address)}:{Port}";
}

using System.Net;
using Fabric.Dhcp.Protocol;
using Fabric.Dhcp.Server;

namespace Fabric.Dhcp.Tests.Server;

public class ReplyRoutingTests
{
    private static readonly IPEndPoint FromClient = new(IPAddress.Any, 68);

    private static DhcpPacket P(Wire w)
    {
        Assert.True(DhcpPacket.TryParse(w.Type(1).Bytes(), out var p, out _));
        return p;
    }

    [Theory]
    [InlineData(true, false, false, DhcpMessageType.Offer, "10.50.0.1:67")]
    [InlineData(true, true, false, DhcpMessageType.Nak, "10.50.0.1:67")]
    [InlineData(false, true, false, DhcpMessageType.Ack, "10.9.0.7:68")]
    [InlineData(false, true, false, DhcpMessageType.Nak, "255.255.255.255:68")]
    [InlineData(false, false, true, DhcpMessageType.Offer, "255.255.255.255:68")]
    [InlineData(false, false, false, DhcpMessageType.Offer, "255.255.255.255:68")]
    public void Choose_Rfc2131Section41(bool relayed, bool ciaddr, bool broadcastFlag, DhcpMessageType type, string expected)
    {
        var w = new Wire();
        if (relayed)
        {
            w.Giaddr(10, 50, 0, 1);
        }

        if (ciaddr)
        {
            w.Ciaddr(10, 9, 0, 7);
        }

        if (broadcastFlag)
        {
            w.Flags(0x8000);
        }

        var request = P(w);
        Assert.Equal(expected, ReplyRouting.Choose(request, type, FromClient, 67, 4011).ToString());
        // The server's allocation-free form (address and port as values) decides the same.
        Assert.Equal(expected, ReplyRouting.Choose(request, type, 0u, 68, 67, 4011).ToString());
    }

    [Fact]
    public void Choose_ProxyPort_BackToSource()
    {
        var source = new IPEndPoint(IPAddress.Parse("10.9.0.30"), 68);
        Assert.Equal(source, ReplyRouting.Choose(P(new Wire().Ciaddr(10, 9, 0, 30)), DhcpMessageType.Ack, source, 4011, 4011));
        Assert.Equal(new ReplyDestination(0x0A09001E, 68), ReplyRouting.Choose(P(new Wire().Ciaddr(10, 9, 0, 30)), DhcpMessageType.Ack, 0x0A09001Eu, 68, 4011, 4011));
    }
}

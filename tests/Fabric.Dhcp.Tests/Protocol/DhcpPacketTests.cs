using System.Net;
using Fabric.Core;
using Fabric.Dhcp.Protocol;

namespace Fabric.Dhcp.Tests.Protocol;

public class DhcpPacketTests
{
    private static DhcpPacket Parse(byte[] bytes)
    {
        Assert.True(DhcpPacket.TryParse(bytes, out var p, out var e), $"parse failed: {e}");
        return p;
    }

    private static DhcpParseError Fail(byte[] bytes)
    {
        Assert.False(DhcpPacket.TryParse(bytes, out _, out var e));
        return e;
    }

    [Fact]
    public void TryParse_Discover_ReadsHeaderAndOptions()
    {
        var p = Parse(new Wire(xid: 0xdeadbeef).Flags(0x8000).Giaddr(10, 1, 2, 3).Type(1)
            .Opt(55, 1, 3, 6, 66, 67).Opt(60, Wire.Ascii("PXEClient:Arch:00007:UNDI:003016")).Bytes());
        Assert.Equal(BootOp.Request, p.Op);
        Assert.Equal(0xdeadbeefu, p.TransactionId);
        Assert.True(p.Broadcast);
        Assert.Equal(IPAddress.Parse("10.1.2.3"), DhcpPacket.ToAddress(p.GatewayAddress));
        Assert.Equal(MacAddress.Parse("52:54:00:12:34:56"), p.Mac);
        Assert.Equal(DhcpMessageType.Discover, p.MessageType);
        Assert.Equal(new byte[] { 1, 3, 6, 66, 67 }, p.Options.ParameterRequestList);
        Assert.StartsWith("PXEClient", p.Options.VendorClass);
    }

    [Fact]
    public void TryParse_PadsBetweenAndDataAfterEnd_PadsSkippedTrailerIgnored()
    {
        var bytes = new Wire().Raw(0, 0).Type(3).Raw(0).Opt(50, 10, 0, 0, 9).Raw(255, 12, 40, 1, 2).Bytes(end: false);
        var p = Parse(bytes);
        Assert.Equal(IPAddress.Parse("10.0.0.9"), p.Options.RequestedAddress);
        Assert.False(p.Options.Contains(12));
    }

    [Fact]
    public void TryParse_MissingEnd_Tolerated()
    {
        var p = Parse(new Wire().Type(1).Bytes(end: false));
        Assert.Equal(DhcpMessageType.Discover, p.MessageType);
    }

    [Fact]
    public void TryParse_OverloadIntoFileAndSname_ReadsFileThenSname()
    {
        var w = new Wire().Type(1).Opt(52, 3);
        // file (offset 108): host name; sname (offset 44): vendor class; each ends with End.
        w.Header(108, [12, 3, (byte)'a', (byte)'b', (byte)'c', 255]);
        w.Header(44, [60, 2, (byte)'v', (byte)'c', 255]);
        var p = Parse(w.Bytes());
        Assert.Equal("abc", p.Options.HostName);
        Assert.Equal("vc", p.Options.VendorClass);
        Assert.Empty(p.BootFile);
        Assert.Empty(p.ServerName);
    }

    [Fact]
    public void TryParse_SplitLongOption_Concatenated()
    {
        var first = Enumerable.Repeat((byte)'a', 255).ToArray();
        var second = Enumerable.Repeat((byte)'b', 45).ToArray();
        var p = Parse(new Wire().Type(1).Opt(43, first).Opt(43, second).Bytes());
        var v = p.Options.Get(43)!;
        Assert.Equal(300, v.Length);
        Assert.Equal((byte)'b', v[299]);
    }

    [Fact]
    public void TryWrite_LongOption_SplitAndRoundTrips()
    {
        var value = Enumerable.Range(0, 600).Select(i => (byte)i).ToArray();
        var packet = new DhcpPacket
        {
            Op = BootOp.Reply,
            TransactionId = 7,
            Options = new DhcpOptionsBuilder().SetMessageType(DhcpMessageType.Offer).Set(43, value).Build(),
        };
        var bytes = packet.ToArray();
        int instances = 0;
        for (int i = 240; i < bytes.Length && bytes[i] != 255; i += 2 + bytes[i + 1])
        {
            instances += bytes[i] == 43 ? 1 : 0;
        }

        Assert.Equal(3, instances);
        Assert.Equal(value, Parse(bytes).Options.Get(43));
    }

    [Fact]
    public void TryWrite_OptionsBeyondMaxSize_OverloadIntoFileAndSname()
    {
        var value = Enumerable.Repeat((byte)'x', 400).ToArray();
        var packet = new DhcpPacket
        {
            Op = BootOp.Reply,
            Options = new DhcpOptionsBuilder().SetMessageType(DhcpMessageType.Ack).Set(43, value).SetString(12, "node1").Build(),
        };
        var buffer = new byte[1500];
        Assert.True(packet.TryWrite(buffer, out int n, maxLength: 576));
        Assert.True(n <= 576);
        Assert.Equal(52, buffer[240]);
        var p = Parse(buffer[..n]);
        Assert.Equal(value, p.Options.Get(43));
        Assert.Equal("node1", p.Options.HostName);
        Assert.True(p.Options.Contains(52));
    }

    [Fact]
    public void TryWrite_DoesNotFitEvenWithOverload_ReturnsFalse()
    {
        var packet = new DhcpPacket
        {
            Options = new DhcpOptionsBuilder().SetMessageType(DhcpMessageType.Ack).Set(43, new byte[1000]).Build(),
        };
        Assert.False(packet.TryWrite(new byte[1500], out _, maxLength: 576));
    }

    [Fact]
    public void TryParse_TypedOptions_Decoded()
    {
        var uuid = Guid.Parse("01234567-89ab-cdef-0123-456789abcdef");
        var uuidBytes = new byte[17];
        uuid.TryWriteBytes(uuidBytes.AsSpan(1), bigEndian: true, out _);
        var p = Parse(new Wire().Type(1)
            .Opt(57, 0x05, 0xdc)
            .Opt(61, 1, 0x52, 0x54, 0, 0x12, 0x34, 0x56)
            .Opt(82, 1, 3, (byte)'e', (byte)'t', (byte)'h', 2, 2, 0xab, 0xcd)
            .Opt(93, 0, 7, 0, 9)
            .Opt(97, uuidBytes)
            .Opt(77, 4, (byte)'i', (byte)'P', (byte)'X', (byte)'E', 3, (byte)'f', (byte)'o', (byte)'o')
            .Opt(175, 177, 5, 1, 0, 0, 0, 1)
            .Bytes());
        Assert.Equal((ushort)1500, p.Options.MaxMessageSize);
        Assert.Equal(7, p.Options.ClientIdentifier!.Length);
        var rai = p.Options.RelayAgentInformation!;
        Assert.Equal(2, rai.Count);
        Assert.Equal("eth", System.Text.Encoding.ASCII.GetString(rai[0].Value));
        Assert.Equal(new ushort[] { 7, 9 }, p.Options.ClientArchitectures);
        Assert.Equal(uuid, p.Options.ClientMachineId);
        Assert.Equal(["iPXE", "foo"], p.Options.UserClasses);
        Assert.True(p.Options.Contains(175));
    }

    [Fact]
    public void UserClasses_RawIpxeString_OneClass()
    {
        var p = Parse(new Wire().Type(1).Opt(77, Wire.Ascii("iPXE")).Bytes());
        Assert.Equal(["iPXE"], p.Options.UserClasses);
    }

    [Fact]
    public void TryParse_ClientIdLength255_Accepted()
    {
        var id = Enumerable.Repeat((byte)7, 255).ToArray();
        var p = Parse(new Wire().Type(1).Opt(61, id).Bytes());
        Assert.Equal(255, p.Options.ClientIdentifier!.Length);
    }

    public static TheoryData<string, byte[], DhcpParseError> BadInputs()
    {
        var data = new TheoryData<string, byte[], DhcpParseError>
        {
            { "empty", [], DhcpParseError.Truncated },
            { "header only", new Wire().Type(1).Bytes()[..239], DhcpParseError.Truncated },
            { "bad cookie", new Wire().Header(236, 1, 2, 3, 4).Type(1).Bytes(), DhcpParseError.BadMagicCookie },
            { "hlen 17", new Wire().Header(2, 17).Type(1).Bytes(), DhcpParseError.BadHardwareLength },
            { "option length past end", new Wire().Type(1).Raw(12, 10, 1, 2).Bytes(end: false), DhcpParseError.OptionOverrun },
            { "option code at last byte", new Wire().Type(1).Raw(12).Bytes(end: false), DhcpParseError.OptionOverrun },
            { "zero-length message type", new Wire().Opt(53).Bytes(), DhcpParseError.ZeroLengthOption },
            { "zero-length requested ip", new Wire().Type(3).Opt(50).Bytes(), DhcpParseError.ZeroLengthOption },
            { "zero-length server id", new Wire().Type(3).Opt(54).Bytes(), DhcpParseError.ZeroLengthOption },
            { "zero-length client id", new Wire().Type(1).Opt(61).Bytes(), DhcpParseError.ZeroLengthOption },
            { "client id length 1", new Wire().Type(1).Opt(61, 1).Bytes(), DhcpParseError.BadOptionLength },
            { "duplicate message type", new Wire().Type(1).Type(3).Bytes(), DhcpParseError.DuplicateOption },
            { "duplicate requested ip", new Wire().Type(3).Opt(50, 10, 0, 0, 1).Opt(50, 10, 0, 0, 2).Bytes(), DhcpParseError.DuplicateOption },
            { "duplicate overload", new Wire().Type(1).Opt(52, 1).Opt(52, 1).Bytes(), DhcpParseError.DuplicateOption },
            { "overload loop", new Wire().Type(1).Opt(52, 1).Header(108, 52, 1, 2, 255).Bytes(), DhcpParseError.OverloadLoop },
            { "overload value 4", new Wire().Type(1).Opt(52, 4).Bytes(), DhcpParseError.BadOverload },
            { "overload zero length", new Wire().Type(1).Opt(52).Bytes(), DhcpParseError.ZeroLengthOption },
            { "no message type", new Wire().Opt(12, Wire.Ascii("x")).Bytes(), DhcpParseError.MissingMessageType },
            { "message type 0", new Wire().Type(0).Bytes(), DhcpParseError.BadMessageType },
            { "message type 200", new Wire().Type(200).Bytes(), DhcpParseError.BadMessageType },
            { "max message size 3 bytes", new Wire().Type(1).Opt(57, 1, 2, 3).Bytes(), DhcpParseError.BadOptionLength },
            { "arch odd length", new Wire().Type(1).Opt(93, 0, 7, 0).Bytes(), DhcpParseError.BadOptionLength },
            { "uuid short", new Wire().Type(1).Opt(97, 0, 1, 2).Bytes(), DhcpParseError.BadOptionLength },
            { "relay info sub-option overrun", new Wire().Type(1).Opt(82, 1, 9, 1).Bytes(), DhcpParseError.BadRelayAgentInformation },
            { "overloaded file overrun", new Wire().Type(1).Opt(52, 1).Header(234, 12, 9).Bytes(), DhcpParseError.OptionOverrun },
        };
        return data;
    }

    [Theory]
    [MemberData(nameof(BadInputs))]
    public void TryParse_BadInput_RejectedWithReason(string name, byte[] bytes, DhcpParseError expected)
    {
        Assert.True(expected == Fail(bytes), name);
    }
}

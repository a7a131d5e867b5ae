using System.Net;
using Fabric.Core;
using Fabric.Dhcp.Protocol;

namespace Fabric.Dhcp.Tests.Handlers;

public class HandlerChainTests
{
    private static readonly byte[] NodeMacBytes = ChainHarness.NodeMac.ToBytes();
    private static readonly byte[] Server = [10, 9, 0, 1];

    private static byte[] RandomMac(int n) => [0x02, 0, 0, 0, (byte)(n >> 8), (byte)n];

    [Fact]
    public async Task Discover_ReservedNode_OfferWithRegistryIpHostnameAndNetworkOptions()
    {
        var h = new ChainHarness(serveUnknown: false);
        var (_, reply) = await h.RunAsync(new Wire(NodeMacBytes).Type(1).Bytes());
        Assert.NotNull(reply);
        Assert.Equal(DhcpMessageType.Offer, reply.MessageType);
        Assert.Equal("10.9.0.20", DhcpPacket.ToAddress(reply.YourAddress).ToString());
        Assert.Equal("hnode01", reply.Options.HostName);
        Assert.Equal(IPAddress.Parse("10.9.0.1"), reply.Options.ServerIdentifier);
        Assert.Equal(IPAddress.Parse("255.255.255.0"), reply.Options.GetAddress(DhcpOptionCode.SubnetMask));
        Assert.Equal(IPAddress.Parse("10.9.0.1"), reply.Options.GetAddress(DhcpOptionCode.Router));
        Assert.Equal(IPAddress.Parse("10.9.0.2"), reply.Options.GetAddress(DhcpOptionCode.DomainNameServer));
        Assert.Equal(3600u, reply.Options.GetUInt32(DhcpOptionCode.LeaseTime));
        Assert.Equal(1800u, reply.Options.GetUInt32(DhcpOptionCode.RenewalTime));
        Assert.Equal(3150u, reply.Options.GetUInt32(DhcpOptionCode.RebindingTime));
    }

    [Fact]
    public async Task Request_Selecting_AckCarriesLeaseToCommit()
    {
        var h = new ChainHarness();
        var (ctx, reply) = await h.RunAsync(new Wire(NodeMacBytes).Type(3).Opt(50, 10, 9, 0, 20).Opt(54, Server).Bytes());
        Assert.Equal(DhcpMessageType.Ack, reply!.MessageType);
        Assert.NotNull(ctx.Commit);
        Assert.Equal("hnode01", ctx.Commit.Node);
    }

    [Fact]
    public async Task Discover_UnknownMacServeUnknownFalse_NoReply()
    {
        var h = new ChainHarness(serveUnknown: false);
        var (ctx, reply) = await h.RunAsync(new Wire(RandomMac(5)).Type(1).Bytes());
        Assert.Null(reply);
        Assert.NotNull(ctx.DropReason);
    }

    [Fact]
    public async Task Discover_UnknownMac_PoolAddress()
    {
        var h = new ChainHarness();
        var (_, reply) = await h.RunAsync(new Wire(RandomMac(5)).Type(1).Bytes());
        Assert.Equal("10.9.0.100", DhcpPacket.ToAddress(reply!.YourAddress).ToString());
        Assert.Null(reply.Options.HostName);
    }

    [Fact]
    public async Task Discover_PxeBiosClient_BootFileNextServerAndVendorEcho()
    {
        var h = new ChainHarness();
        var (_, reply) = await h.RunAsync(new Wire(NodeMacBytes).Type(1).Opt(60, Wire.Ascii("PXEClient:Arch:00000:UNDI:002001")).Opt(93, 0, 0).Bytes());
        Assert.Equal("undionly.kpxe", reply!.BootFileName);
        Assert.Equal("undionly.kpxe", reply.Options.GetString(DhcpOptionCode.BootFileName));
        Assert.Equal("10.9.0.1", DhcpPacket.ToAddress(reply.ServerAddress).ToString());
        Assert.Equal("10.9.0.1", reply.Options.GetString(DhcpOptionCode.TftpServerName));
        Assert.Equal("PXEClient", reply.Options.VendorClass);
    }

    [Fact]
    public async Task Discover_Ipxe_ScriptUrlForMac()
    {
        var h = new ChainHarness();
        var (_, reply) = await h.RunAsync(new Wire(NodeMacBytes).Type(1).Opt(77, Wire.Ascii("iPXE")).Opt(93, 0, 0).Bytes());
        Assert.Equal("http://10.9.0.1:8080/boot/52:54:00:00:00:01.ipxe", reply!.BootFileName);
    }

    [Fact]
    public async Task Discover_PlainClient_NoBootFile()
    {
        var h = new ChainHarness();
        var (_, reply) = await h.RunAsync(new Wire(NodeMacBytes).Type(1).Bytes());
        Assert.Equal("", reply!.BootFileName);
        Assert.Equal(0u, reply.ServerAddress);
    }

    [Fact]
    public async Task Request_WrongAddress_NakWithServerIdOnly()
    {
        var h = new ChainHarness();
        var (_, reply) = await h.RunAsync(new Wire(NodeMacBytes).Type(3).Opt(50, 10, 9, 0, 21).Bytes());
        Assert.Equal(DhcpMessageType.Nak, reply!.MessageType);
        Assert.Equal(0u, reply.YourAddress);
        Assert.Equal(IPAddress.Parse("10.9.0.1"), reply.Options.ServerIdentifier);
        Assert.Null(reply.Options.GetUInt32(DhcpOptionCode.LeaseTime));
    }

    [Fact]
    public async Task Inform_ConfigurationWithoutAddressOrLease()
    {
        var h = new ChainHarness();
        var (ctx, reply) = await h.RunAsync(new Wire(RandomMac(7)).Type(8).Ciaddr(10, 9, 0, 150).Bytes());
        Assert.Equal(DhcpMessageType.Ack, reply!.MessageType);
        Assert.Equal(0u, reply.YourAddress);
        Assert.Null(reply.Options.GetUInt32(DhcpOptionCode.LeaseTime));
        Assert.Null(ctx.Commit);
        Assert.Equal(DhcpPacket.ToAddress(reply.ClientAddress), IPAddress.Parse("10.9.0.150"));
    }

    [Fact]
    public async Task Request_InitRebootClientWithNoRecord_NoReplyNothingWritten()
    {
        var h = new ChainHarness();
        var (ctx, reply) = await h.RunAsync(new Wire(RandomMac(5)).Type(3).Opt(50, 10, 9, 0, 150).Bytes());
        Assert.Null(reply);
        Assert.Null(ctx.Commit);
        Assert.Null(ctx.Persist);
        Assert.NotNull(ctx.DropReason);
        Assert.Empty(h.Engine.Snapshot());
    }

    [Fact]
    public async Task Discover_GiaddrOfTrustedRelayFromAnotherSource_DroppedNothingOffered()
    {
        var h = new ChainHarness();
        var (ctx, reply) = await h.RunAsync(
            new Wire(RandomMac(1)).Giaddr(10, 50, 0, 1).Type(1).Opt(82, 1, 2, 0xaa, 0xbb).Bytes(),
            source: IPAddress.Parse("10.9.0.77"));
        Assert.Null(reply);
        Assert.Equal("untrusted relay", ctx.DropReason);
        Assert.Equal(0, h.Engine.OutstandingOffers);
        Assert.Empty(h.Engine.Snapshot());
    }

    [Fact]
    public async Task Discover_RelayedFromTrustedRelay_FarNetworkAndOption82EchoedLast()
    {
        var h = new ChainHarness();
        var (_, reply) = await h.RunAsync(new Wire(RandomMac(1)).Giaddr(10, 50, 0, 1).Type(1).Opt(82, 1, 2, 0xaa, 0xbb).Bytes(), source: IPAddress.Parse("10.50.0.1"));
        Assert.Equal("10.50.0.100", DhcpPacket.ToAddress(reply!.YourAddress).ToString());
        Assert.Equal(new byte[] { 1, 2, 0xaa, 0xbb }, reply.Options.Get(82));
        Assert.Equal(82, reply.Options.All[^1].Code);
        Assert.Equal(600u, reply.Options.GetUInt32(DhcpOptionCode.LeaseTime));
    }

    [Fact]
    public async Task ClientIdentifier_EchoedInReply()
    {
        var h = new ChainHarness();
        var (_, reply) = await h.RunAsync(new Wire(RandomMac(1)).Type(1).Opt(61, 1, 2, 0, 0, 0, 0, 1).Bytes());
        Assert.Equal(new byte[] { 1, 2, 0, 0, 0, 0, 1 }, reply!.Options.ClientIdentifier);
    }

    public static TheoryData<string, byte[], string> DroppedInputs() => new()
    {
        { "all-zero chaddr", new Wire(new byte[6]).Type(1).Bytes(), "bad chaddr" },
        { "broadcast chaddr", new Wire([0xff, 0xff, 0xff, 0xff, 0xff, 0xff]).Type(1).Bytes(), "bad chaddr" },
        { "multicast chaddr", new Wire([0x01, 0, 0x5e, 0, 0, 1]).Type(1).Bytes(), "bad chaddr" },
        { "hlen 16", new Wire().Header(2, 16).Type(1).Bytes(), "not ethernet" },
        { "option 82 from non-relay", new Wire().Type(1).Opt(82, 1, 1, 1).Bytes(), "relay info from non-relay" },
        { "untrusted relay", new Wire().Giaddr(10, 77, 0, 1).Type(1).Bytes(), "untrusted relay" },
        { "reply op", new Wire().Header(0, 2).Type(1).Bytes(), "not a request" },
        { "server message type", new Wire().Type(2).Bytes(), "unexpected message type" },
        { "spoofed release", new Wire(RandomMac(9)).Type(7).Ciaddr(10, 9, 0, 20).Bytes(), "release for a lease this client does not hold" },
        { "spoofed decline", new Wire(RandomMac(9)).Type(4).Opt(50, 10, 9, 0, 20).Opt(54, Server).Bytes(), "decline for an address this client does not hold" },
    };

    [Theory]
    [MemberData(nameof(DroppedInputs))]
    public async Task Run_BadRequest_DroppedWithReason(string name, byte[] datagram, string reason)
    {
        var h = new ChainHarness();
        await h.RunAsync(new Wire(NodeMacBytes).Type(3).Opt(50, 10, 9, 0, 20).Opt(54, Server).Bytes());
        var (ctx, reply) = await h.RunAsync(datagram);
        Assert.Null(reply);
        Assert.True(reason == ctx.DropReason, $"{name}: {ctx.DropReason}");
        Assert.Equal(LeaseState.Bound, h.Engine.Snapshot().Single(r => r.Node == "hnode01").State);
    }

    public static TheoryData<string, byte[], string> ToleratedInputs() => new()
    {
        { "max message size 0", new Wire().Type(1).Opt(57, 0, 0).Bytes(), "bad max message size" },
        { "max message size 65535", new Wire().Type(1).Opt(57, 0xff, 0xff).Bytes(), "bad max message size" },
        { "hostname with NUL", new Wire().Type(1).Opt(12, (byte)'a', 0, (byte)'b').Bytes(), "bad host name" },
        { "hostname with shell", new Wire().Type(1).Opt(12, Wire.Ascii("a;rm -rf /")).Bytes(), "bad host name" },
        { "hostname with template", new Wire().Type(1).Opt(12, Wire.Ascii("{{node}}")).Bytes(), "bad host name" },
        { "hostname label 64", new Wire().Type(1).Opt(12, Wire.Ascii(new string('a', 64))).Bytes(), "bad host name" },
    };

    [Theory]
    [MemberData(nameof(ToleratedInputs))]
    public async Task Run_ToleratedProblem_AnsweredAndCounted(string name, byte[] datagram, string anomaly)
    {
        var h = new ChainHarness();
        var (ctx, reply) = await h.RunAsync(datagram);
        Assert.True(reply is not null, name);
        Assert.Contains(anomaly, ctx.Anomalies);
        Assert.Equal(DhcpMessageType.Offer, reply.MessageType);
    }

    [Fact]
    public async Task Request_BadHostname_NotStoredInLease()
    {
        var h = new ChainHarness();
        var mac = RandomMac(3);
        var (_, offer) = await h.RunAsync(new Wire(mac).Type(1).Bytes());
        var yi = DhcpPacket.ToAddress(offer!.YourAddress).GetAddressBytes();
        var (ctx, _) = await h.RunAsync(new Wire(mac).Type(3).Opt(50, yi).Opt(54, Server).Opt(12, Wire.Ascii("$(reboot)")).Bytes());
        Assert.Null(ctx.Commit!.Hostname);
        var (ctx2, _) = await h.RunAsync(new Wire(mac).Type(3).Opt(50, yi).Opt(12, Wire.Ascii("good-name")).Bytes());
        Assert.Equal("good-name", ctx2.Commit!.Hostname);
    }

    [Fact]
    public async Task MaxReplySize_ZeroOr65535_ClampedTo576Or1500()
    {
        Assert.True(DhcpPacket.TryParse(new Wire().Type(1).Opt(57, 0, 0).Bytes(), out var a, out _));
        Assert.Equal(576, Fabric.Dhcp.Handlers.DhcpPipeline.MaxReplySize(a));
        Assert.True(DhcpPacket.TryParse(new Wire().Type(1).Opt(57, 0xff, 0xff).Bytes(), out var b, out _));
        Assert.Equal(1500, Fabric.Dhcp.Handlers.DhcpPipeline.MaxReplySize(b));
        await Task.CompletedTask;
    }

    [Fact]
    public async Task Proxy_PxeDiscover_OfferWithoutAddress()
    {
        var h = new ChainHarness(proxy: true);
        var (_, reply) = await h.RunAsync(new Wire(NodeMacBytes).Type(1).Opt(60, Wire.Ascii("PXEClient:Arch:00007:UNDI:003016")).Opt(93, 0, 7).Bytes());
        Assert.Equal(DhcpMessageType.Offer, reply!.MessageType);
        Assert.Equal(0u, reply.YourAddress);
        Assert.Equal("ipxe.efi", reply.BootFileName);
        Assert.Equal("PXEClient", reply.Options.VendorClass);
        Assert.Null(reply.Options.GetUInt32(DhcpOptionCode.LeaseTime));
        Assert.Empty(h.Engine.Snapshot());
    }

    [Fact]
    public async Task Proxy_PlainClient_Ignored()
    {
        var h = new ChainHarness(proxy: true);
        var (_, reply) = await h.RunAsync(new Wire(NodeMacBytes).Type(1).Bytes());
        Assert.Null(reply);
    }

    [Fact]
    public async Task Discover_OfferLimitReached_ReservedNodeStillAnswered()
    {
        var h = new ChainHarness(engineOptions: Fabric.Dhcp.Leases.LeaseEngineOptions.Default with { MaxOutstandingOffers = 3 });
        for (int i = 0; i < 10; i++)
        {
            await h.RunAsync(new Wire(RandomMac(100 + i)).Type(1).Bytes());
        }

        Assert.Equal(3, h.Engine.OutstandingOffers);
        var (_, reply) = await h.RunAsync(new Wire(NodeMacBytes).Type(1).Bytes());
        Assert.Equal("10.9.0.20", DhcpPacket.ToAddress(reply!.YourAddress).ToString());
    }

    [Fact]
    public async Task Run_Flood100kDiscoversRandomMacs_BoundedMemoryAndReservedNodeServed()
    {
        var h = new ChainHarness(engineOptions: Fabric.Dhcp.Leases.LeaseEngineOptions.Default with { MaxOutstandingOffers = 1000 });
        var rng = new Random(7);
        var mac = new byte[6];
        int dropped = 0;
        for (int i = 0; i < 100_000; i++)
        {
            rng.NextBytes(mac);
            mac[0] = 0x02;
            var (ctx, _) = await h.RunAsync(new Wire(mac, xid: (uint)i).Type(1).Bytes());
            dropped += ctx.DropReason is null ? 0 : 1;
            if (i % 20_000 == 0)
            {
                var (_, offer) = await h.RunAsync(new Wire(NodeMacBytes).Type(1).Bytes());
                Assert.Equal("10.9.0.20", DhcpPacket.ToAddress(offer!.YourAddress).ToString());
                var (_, ack) = await h.RunAsync(new Wire(NodeMacBytes).Type(3).Opt(50, 10, 9, 0, 20).Opt(54, Server).Bytes());
                Assert.Equal(DhcpMessageType.Ack, ack!.MessageType);
            }

            if (i % 2_000 == 0)
            {
                h.Time.Advance(TimeSpan.FromSeconds(10));
            }
        }

        // The pool has 100 addresses: everything else was dropped (and counted by reason), nothing retained.
        Assert.True(dropped > 90_000, $"dropped {dropped}");
        Assert.True(h.Engine.EntryCount <= 101, $"entries {h.Engine.EntryCount}");
        Assert.True(h.Engine.OutstandingOffers <= 1000);
    }
}

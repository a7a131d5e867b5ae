using System.Net;
using Fabric.Core;
using Fabric.Dhcp.Leases;
using Microsoft.Extensions.Time.Testing;

namespace Fabric.Dhcp.Tests.Leases;

public class LeaseEngineTests
{
    private static readonly uint Server = Ip("10.9.0.1");
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));

    private static uint Ip(string s) => Ipv4.ToUInt32(IPAddress.Parse(s));

    private static Network Net(bool serveUnknown = true, string start = "10.9.0.100", string end = "10.9.0.103") =>
        new("boot", IPNetwork.Parse("10.9.0.0/24"), IPAddress.Parse("10.9.0.1"), [IPAddress.Parse("10.9.0.1")],
            IPAddress.Parse(start), IPAddress.Parse(end), null, TimeSpan.FromHours(1), serveUnknown);

    private static MacAddress Mac(int n) => MacAddress.FromBytes([0x52, 0x54, 0, 0, (byte)(n >> 8), (byte)n]);

    private static Node NodeAt(string name, MacAddress mac, string ip) =>
        new() { Name = name, Role = NodeRole.Hardware, Macs = [mac], Ip = IPAddress.Parse(ip), Network = "boot" };

    private static LeaseQuery Q(Network net, MacAddress mac, uint requested = 0, uint ciaddr = 0, uint sid = 0, Node? node = null, byte[]? cid = null) =>
        new(net, mac, cid, requested, ciaddr, sid, Server, null, node, null);

    private LeaseEngine Engine(LeaseEngineOptions? o = null) => new(_time, o);

    private static uint Dora(LeaseEngine e, Network net, MacAddress mac, Node? node = null)
    {
        var offer = e.Discover(Q(net, mac, node: node));
        Assert.Equal(LeaseOutcome.Offer, offer.Outcome);
        var ack = e.Request(Q(net, mac, requested: offer.Address, sid: Server, node: node));
        Assert.Equal(LeaseOutcome.Ack, ack.Outcome);
        Assert.NotNull(ack.Persist);
        return ack.Address;
    }

    [Fact]
    public void Discover_ReservedNode_OffersRegistryIp()
    {
        var mac = Mac(1);
        var d = Engine().Discover(Q(Net(serveUnknown: false), mac, node: NodeAt("hnode01", mac, "10.9.0.20")));
        Assert.Equal(LeaseOutcome.Offer, d.Outcome);
        Assert.Equal(Ip("10.9.0.20"), d.Address);
    }

    [Fact]
    public void Discover_UnknownMacServeUnknownFalse_Ignored()
    {
        var d = Engine().Discover(Q(Net(serveUnknown: false), Mac(1)));
        Assert.Equal(LeaseOutcome.Ignore, d.Outcome);
    }

    [Fact]
    public void Dora_UnknownMac_BindsPoolAddressWithLeaseRecord()
    {
        var e = Engine();
        var a = Dora(e, Net(), Mac(1));
        Assert.Equal(Ip("10.9.0.100"), a);
        var rec = Assert.Single(e.Snapshot());
        Assert.Equal(LeaseState.Bound, rec.State);
        Assert.Equal(_time.GetUtcNow() + TimeSpan.FromHours(1), rec.Ends);
    }

    [Fact]
    public void Discover_TwoClients_NeverSameAddress()
    {
        var e = Engine();
        var net = Net();
        var set = new HashSet<uint>();
        for (int i = 0; i < 4; i++)
        {
            Assert.True(set.Add(Dora(e, net, Mac(i))));
        }

        Assert.Equal(LeaseOutcome.Ignore, e.Discover(Q(net, Mac(9))).Outcome);
    }

    [Fact]
    public void Discover_PoolSkipsAddressReservedForAnotherNode()
    {
        var e = Engine();
        var q = Q(Net(), Mac(1)) with { IsReservedForOther = (a, _) => a == Ip("10.9.0.100") };
        Assert.Equal(Ip("10.9.0.101"), e.Discover(q).Address);
    }

    [Fact]
    public void Request_SelectingOtherServer_ReleasesOffer()
    {
        var e = Engine(LeaseEngineOptions.Default with { MaxOutstandingOffers = 1 });
        var net = Net();
        var offer = e.Discover(Q(net, Mac(1)));
        Assert.Equal(1, e.OutstandingOffers);
        var r = e.Request(Q(net, Mac(1), requested: offer.Address, sid: Ip("10.9.0.2")));
        Assert.Equal(LeaseOutcome.Ignore, r.Outcome);
        Assert.Equal(0, e.OutstandingOffers);
        Assert.Equal(LeaseOutcome.Offer, e.Discover(Q(net, Mac(2))).Outcome);
    }

    [Fact]
    public void Request_SelectingWrongAddress_Nak()
    {
        var e = Engine();
        var net = Net();
        e.Discover(Q(net, Mac(1)));
        Assert.Equal(LeaseOutcome.Nak, e.Request(Q(net, Mac(1), requested: Ip("10.9.0.102"), sid: Server)).Outcome);
    }

    [Fact]
    public void Request_InitRebootOwnAddress_Ack()
    {
        var e = Engine();
        var net = Net();
        var a = Dora(e, net, Mac(1));
        var r = e.Request(Q(net, Mac(1), requested: a));
        Assert.Equal(LeaseOutcome.Ack, r.Outcome);
        Assert.Equal(a, r.Address);
    }

    [Fact]
    public void Request_InitRebootOtherClientsAddress_Nak()
    {
        var e = Engine();
        var net = Net();
        var a = Dora(e, net, Mac(1));
        Dora(e, net, Mac(2));
        Assert.Equal(LeaseOutcome.Nak, e.Request(Q(net, Mac(2), requested: a)).Outcome);
    }

    [Fact]
    public void Request_InitRebootNoRecordOfClient_SilentAndNothingToStore()
    {
        // RFC 2131 4.3.2: a server with no record of an INIT-REBOOT client MUST remain silent.
        var e = Engine();
        var net = Net();
        var free = e.Request(Q(net, Mac(5), requested: Ip("10.9.0.101")));
        Dora(e, net, Mac(1));
        var taken = e.Request(Q(net, Mac(6), requested: Ip("10.9.0.100")));

        Assert.Equal(LeaseOutcome.Ignore, free.Outcome);
        Assert.Null(free.Persist);
        Assert.Equal(LeaseOutcome.Ignore, taken.Outcome);
        Assert.Null(taken.Persist);
        Assert.Equal(Mac(1), Assert.Single(e.Snapshot()).Mac);
    }

    [Fact]
    public void Request_InitRebootReservedNodeWithoutLease_AckOwnAddressNakOther()
    {
        // A reservation is the server's record of the client: it is answered, not left to time out.
        var mac = Mac(1);
        var node = NodeAt("hnode01", mac, "10.9.0.20");
        var e = Engine();
        var net = Net(serveUnknown: false);

        Assert.Equal(LeaseOutcome.Nak, e.Request(Q(net, mac, requested: Ip("10.9.0.21"), node: node)).Outcome);
        var own = e.Request(Q(net, mac, requested: Ip("10.9.0.20"), node: node));
        Assert.Equal(LeaseOutcome.Ack, own.Outcome);
        Assert.Equal(Ip("10.9.0.20"), own.Address);
    }

    [Fact]
    public void Request_InitRebootAfterRelease_AckSameAddress()
    {
        var e = Engine();
        var net = Net();
        var a = Dora(e, net, Mac(1));
        e.Release(Q(net, Mac(1), ciaddr: a));
        Assert.Equal(LeaseOutcome.Ack, e.Request(Q(net, Mac(1), requested: a)).Outcome);
    }

    [Fact]
    public void Request_InitRebootWrongNetwork_Nak()
    {
        Assert.Equal(LeaseOutcome.Nak, Engine().Request(Q(Net(), Mac(1), requested: Ip("192.168.1.5"))).Outcome);
    }

    [Fact]
    public void Request_RenewingAndRebinding_ExtendLease()
    {
        var e = Engine();
        var net = Net();
        var a = Dora(e, net, Mac(1));
        _time.Advance(TimeSpan.FromMinutes(30));
        var renew = e.Request(Q(net, Mac(1), ciaddr: a));
        Assert.Equal(LeaseOutcome.Ack, renew.Outcome);
        Assert.Equal(_time.GetUtcNow() + TimeSpan.FromHours(1), renew.Persist!.Ends);
        _time.Advance(TimeSpan.FromMinutes(55));
        Assert.Equal(LeaseOutcome.Ack, e.Request(Q(net, Mac(1), ciaddr: a)).Outcome);
    }

    [Fact]
    public void Request_RenewingAnotherClientsAddress_Nak()
    {
        var e = Engine();
        var net = Net();
        var a = Dora(e, net, Mac(1));
        Assert.Equal(LeaseOutcome.Nak, e.Request(Q(net, Mac(2), ciaddr: a)).Outcome);
    }

    [Fact]
    public void Decline_OwnLease_QuarantinedThenReused()
    {
        var e = Engine(LeaseEngineOptions.Default with { DeclineQuarantine = TimeSpan.FromMinutes(10) });
        var net = Net(start: "10.9.0.100", end: "10.9.0.100");
        var a = Dora(e, net, Mac(1));
        var d = e.Decline(Q(net, Mac(1), requested: a, sid: Server));
        Assert.Equal(LeaseState.Declined, d.Persist!.State);
        Assert.Equal(LeaseOutcome.Ignore, e.Discover(Q(net, Mac(1))).Outcome);
        Assert.Equal(LeaseOutcome.Ignore, e.Discover(Q(net, Mac(2))).Outcome);
        _time.Advance(TimeSpan.FromMinutes(11));
        Assert.Equal(a, e.Discover(Q(net, Mac(2))).Address);
    }

    [Fact]
    public void Decline_SpoofedForAnotherClientsLease_Ignored()
    {
        var e = Engine();
        var net = Net();
        var a = Dora(e, net, Mac(1));
        var d = e.Decline(Q(net, Mac(2), requested: a, sid: Server));
        Assert.Null(d.Persist);
        Assert.Equal(LeaseState.Bound, e.Snapshot().Single(r => r.Address == a).State);
    }

    [Fact]
    public void Release_SpoofedMacOrClientId_Ignored()
    {
        var e = Engine();
        var net = Net();
        var cid = new byte[] { 1, 2, 3 };
        var offer = e.Discover(Q(net, Mac(1), cid: cid));
        var a = e.Request(Q(net, Mac(1), requested: offer.Address, sid: Server, cid: cid)).Address;
        Assert.Null(e.Release(Q(net, Mac(2), ciaddr: a, cid: cid)).Persist);
        Assert.Null(e.Release(Q(net, Mac(1), ciaddr: a, cid: [9, 9])).Persist);
        Assert.Null(e.Release(Q(net, Mac(1), ciaddr: a)).Persist);
        Assert.Equal(LeaseState.Bound, e.Snapshot().Single().State);
        Assert.Equal(LeaseState.Released, e.Release(Q(net, Mac(1), ciaddr: a, cid: cid)).Persist!.State);
    }

    [Fact]
    public void Release_ThenSameClient_GetsSameAddressBack()
    {
        var e = Engine();
        var net = Net();
        var a = Dora(e, net, Mac(1));
        e.Release(Q(net, Mac(1), ciaddr: a));
        Dora(e, net, Mac(2));
        Assert.Equal(a, e.Discover(Q(net, Mac(1))).Address);
    }

    [Fact]
    public void Discover_PoolFull_ReusesOldestExpiredFirst()
    {
        var e = Engine();
        var net = Net(start: "10.9.0.100", end: "10.9.0.102");
        var a0 = Dora(e, net, Mac(0));
        _time.Advance(TimeSpan.FromMinutes(1));
        var a1 = Dora(e, net, Mac(1));
        _time.Advance(TimeSpan.FromMinutes(1));
        Dora(e, net, Mac(2));
        _time.Advance(TimeSpan.FromHours(2));
        Assert.Equal(a0, e.Discover(Q(net, Mac(10))).Address);
        Assert.Equal(a1, e.Discover(Q(net, Mac(11))).Address);
    }

    [Fact]
    public void Discover_ExpiredOffer_AddressReusable()
    {
        var e = Engine();
        var net = Net(start: "10.9.0.100", end: "10.9.0.100");
        var a = e.Discover(Q(net, Mac(1))).Address;
        Assert.Equal(LeaseOutcome.Ignore, e.Discover(Q(net, Mac(2))).Outcome);
        _time.Advance(TimeSpan.FromSeconds(31));
        Assert.Equal(a, e.Discover(Q(net, Mac(2))).Address);
        Assert.Equal(LeaseOutcome.Nak, e.Request(Q(net, Mac(1), requested: a, sid: Server)).Outcome);
    }

    [Fact]
    public void Discover_Flood100kRandomMacs_BoundedAndReservationsServed()
    {
        var e = Engine(LeaseEngineOptions.Default with { MaxOutstandingOffers = 1000 });
        var net = Net(start: "10.9.0.10", end: "10.9.0.250") with { Cidr = IPNetwork.Parse("10.9.0.0/24") };
        var rng = new Random(42);
        var reserved = Mac(0xfff);
        var node = NodeAt("hnode01", reserved, "10.9.0.5");
        var bytes = new byte[6];
        for (int i = 0; i < 100_000; i++)
        {
            rng.NextBytes(bytes);
            bytes[0] = 0x02;
            e.Discover(Q(net, MacAddress.FromBytes(bytes)));
            if (i % 1000 == 0)
            {
                _time.Advance(TimeSpan.FromSeconds(1));
            }

            if (i % 10_000 == 0)
            {
                Assert.Equal(Ip("10.9.0.5"), Dora(e, net, reserved, node));
            }
        }

        Assert.True(e.EntryCount <= 242, $"entries {e.EntryCount}");
        Assert.True(e.OutstandingOffers <= 1000);
    }

    [Fact]
    public void Discover_OfferLimit_ReservedStillServed()
    {
        var e = Engine(LeaseEngineOptions.Default with { MaxOutstandingOffers = 2 });
        var net = Net();
        e.Discover(Q(net, Mac(1)));
        e.Discover(Q(net, Mac(2)));
        Assert.Equal("offer limit", e.Discover(Q(net, Mac(3))).Reason);
        var mac = Mac(4);
        Assert.Equal(LeaseOutcome.Offer, e.Discover(Q(net, mac, node: NodeAt("n", mac, "10.9.0.7"))).Outcome);
    }

    [Fact]
    public void Discover_ReservedIpHeldByOtherMac_NotOffered()
    {
        var e = Engine();
        var net = Net(start: "10.9.0.100", end: "10.9.0.100");
        var a = Dora(e, net, Mac(1));
        var mac = Mac(2);
        var d = e.Discover(Q(net, mac, node: NodeAt("n", mac, "10.9.0.100")));
        Assert.Equal(LeaseOutcome.Ignore, d.Outcome);
        Assert.Equal(a, e.Snapshot().Single(r => r.Mac == Mac(1)).Address);
    }

    [Fact]
    public void Restore_BoundLeases_KeptAcrossRestart()
    {
        var e = Engine();
        var net = Net();
        var a = Dora(e, net, Mac(1));
        var e2 = Engine();
        e2.Restore(e.Snapshot());
        var other = e2.Request(Q(net, Mac(2), requested: a));
        Assert.Equal(LeaseOutcome.Ignore, other.Outcome);
        Assert.Null(other.Persist);
        Assert.NotEqual(a, e2.Discover(Q(net, Mac(2))).Address);
        Assert.Equal(LeaseOutcome.Nak, e2.Request(Q(net, Mac(2), requested: a)).Outcome);
        Assert.Equal(a, e2.Discover(Q(net, Mac(1))).Address);
    }
}

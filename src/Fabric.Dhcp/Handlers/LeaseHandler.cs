using Fabric.Core;
using Fabric.Dhcp.Leases;
using Fabric.Dhcp.Netboot;
using Fabric.Dhcp.Protocol;

namespace Fabric.Dhcp.Handlers;

/// <summary>Runs the lease engine for DISCOVER/REQUEST/DECLINE/RELEASE/INFORM and fills in the address
/// and the network's configuration options (RFC 2131 4.3, RFC 2132).</summary>
internal sealed class LeaseHandler(LeaseEngine engine, IFabricDirectory directory) : IDhcpHandler
{
    public ValueTask<HandlerResult> HandleAsync(DhcpContext context, CancellationToken cancellationToken) =>
        ValueTask.FromResult(Handle(context));

    private HandlerResult Handle(DhcpContext c)
    {
        var req = c.Request;
        var net = c.Network!;
        var mac = c.Mac;
        var query = new LeaseQuery(
            net,
            mac,
            req.Options.ClientIdentifier,
            req.Options.RequestedAddress is { } r ? Ipv4.ToUInt32(r) : 0,
            req.ClientAddress,
            req.Options.ServerIdentifier is { } s ? Ipv4.ToUInt32(s) : 0,
            c.Interface.AddressValue,
            NetbootRules.SanitizeHostName(req.Options.HostName),
            c.Node,
            a => IsReservedForOther(a, mac));

        switch (req.MessageType)
        {
            case DhcpMessageType.Discover:
                return Answer(c, engine.Discover(query), DhcpMessageType.Offer);
            case DhcpMessageType.Request:
                return Answer(c, engine.Request(query), DhcpMessageType.Ack);
            case DhcpMessageType.Decline:
                return Persist(c, engine.Decline(query));
            case DhcpMessageType.Release:
                return Persist(c, engine.Release(query));
            case DhcpMessageType.Inform:
                // RFC 2131 4.3.5: configuration only, no yiaddr, no lease time.
                c.Reply = new DhcpReply { MessageType = DhcpMessageType.Ack };
                AddConfiguration(c, lease: null);
                return HandlerResult.Continue;
            default:
                return c.Drop("unexpected message type");
        }
    }

    private static HandlerResult Persist(DhcpContext c, LeaseDecision d)
    {
        if (d.Persist is null)
        {
            return c.Drop(d.Reason ?? "ignored");
        }

        c.Persist = d.Persist;
        c.Reply = null;
        return HandlerResult.Stop;
    }

    private static HandlerResult Answer(DhcpContext c, LeaseDecision d, DhcpMessageType positive)
    {
        switch (d.Outcome)
        {
            case LeaseOutcome.Offer or LeaseOutcome.Ack:
                c.Reply = new DhcpReply { MessageType = positive, YourAddress = d.Address };
                c.Commit = d.Persist;
                AddConfiguration(c, d.LeaseTime);
                return HandlerResult.Continue;
            case LeaseOutcome.Nak:
                // RFC 2131 table 3: NAK carries only the server identifier and optionally a message.
                c.Reply = new DhcpReply { MessageType = DhcpMessageType.Nak };
                c.Reply.Options.SetAddress(DhcpOptionCode.ServerIdentifier, c.Interface.Address);
                c.Reply.Options.SetString(DhcpOptionCode.Message, d.Reason ?? "not available");
                c.Anomalies.Add("nak: " + (d.Reason ?? "not available"));
                return HandlerResult.Continue;
            default:
                return c.Drop(d.Reason ?? "ignored");
        }
    }

    private static void AddConfiguration(DhcpContext c, TimeSpan? lease)
    {
        var o = c.Reply!.Options;
        var net = c.Network!;
        o.SetAddress(DhcpOptionCode.ServerIdentifier, c.Interface.Address);
        if (lease is { } l)
        {
            uint secs = (uint)Math.Clamp(l.TotalSeconds, 60, uint.MaxValue - 1);
            o.SetUInt32(DhcpOptionCode.LeaseTime, secs);
            o.SetUInt32(DhcpOptionCode.RenewalTime, secs / 2);
            o.SetUInt32(DhcpOptionCode.RebindingTime, (uint)(secs * 7UL / 8));
        }

        o.SetAddress(DhcpOptionCode.SubnetMask, Ipv4.MaskAddress(net.Cidr));
        o.SetAddress(DhcpOptionCode.BroadcastAddress, Ipv4.Broadcast(net.Cidr));
        if (net.Gateway is not null)
        {
            o.SetAddress(DhcpOptionCode.Router, net.Gateway);
        }

        if (net.Dns.Count > 0)
        {
            o.SetAddresses(DhcpOptionCode.DomainNameServer, net.Dns);
        }

        if (c.Node is { } node && c.Reply.MessageType != DhcpMessageType.Nak)
        {
            o.SetString(DhcpOptionCode.HostName, node.Name.Split('.')[0]);
        }

        if (c.Request.Options.ClientIdentifier is { } cid)
        {
            // RFC 6842: echo the client identifier.
            o.Set(DhcpOptionCode.ClientIdentifier, cid);
        }
    }

    private bool IsReservedForOther(uint address, MacAddress mac)
    {
        var pending = directory.FindNodeByIpAsync(Ipv4.FromUInt32(address));
        var node = pending.IsCompletedSuccessfully ? pending.Result : pending.AsTask().GetAwaiter().GetResult();
        return node is not null && !node.Macs.Contains(mac);
    }
}

using Fabric.Core;
using Fabric.Dhcp.Leases;
using Fabric.Dhcp.Netboot;
using Fabric.Dhcp.Protocol;

namespace Fabric.Dhcp.Handlers;

/// <summary>Runs the lease engine for DISCOVER/REQUEST/DECLINE/RELEASE/INFORM and fills in the address
/// and the network's configuration options (RFC 2131 4.3, RFC 2132).</summary>
internal sealed class LeaseHandler : IDhcpHandler
{
    private readonly LeaseEngine _engine;
    private readonly IFabricDirectory _directory;
    private readonly Func<uint, MacAddress, bool> _isReservedForOther;

    public LeaseHandler(LeaseEngine engine, IFabricDirectory directory)
    {
        _engine = engine;
        _directory = directory;
        _isReservedForOther = IsReservedForOther;
    }

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
            req.Options.GetUInt32(DhcpOptionCode.RequestedIpAddress) ?? 0,
            req.ClientAddress,
            req.Options.GetUInt32(DhcpOptionCode.ServerIdentifier) ?? 0,
            c.Interface.AddressValue,
            NetbootRules.SanitizeHostName(req.Options.HostName),
            c.Node,
            _isReservedForOther);

        switch (req.MessageType)
        {
            case DhcpMessageType.Discover:
                return Answer(c, _engine.Discover(query), DhcpMessageType.Offer);
            case DhcpMessageType.Request:
                return Answer(c, _engine.Request(query), DhcpMessageType.Ack);
            case DhcpMessageType.Decline:
                return Persist(c, _engine.Decline(query));
            case DhcpMessageType.Release:
                return Persist(c, _engine.Release(query));
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
                c.AddAnomaly("nak: " + (d.Reason ?? "not available"));
                return HandlerResult.Continue;
            default:
                return c.Drop(d.Reason ?? "ignored");
        }
    }

    private static void AddConfiguration(DhcpContext c, TimeSpan? lease)
    {
        var o = c.Reply!.Options;
        var net = c.Network!;
        var values = NetworkOptionValues.For(net, c.Interface);
        o.Set(DhcpOptionCode.ServerIdentifier, values.ServerIdentifier);
        if (lease is { } l)
        {
            var times = values.LeaseTimes(l);
            o.Set(DhcpOptionCode.LeaseTime, times.Lease);
            o.Set(DhcpOptionCode.RenewalTime, times.Renewal);
            o.Set(DhcpOptionCode.RebindingTime, times.Rebinding);
        }

        o.Set(DhcpOptionCode.SubnetMask, values.SubnetMask);
        o.Set(DhcpOptionCode.BroadcastAddress, values.Broadcast);
        if (values.Router is { } router)
        {
            o.Set(DhcpOptionCode.Router, router);
        }

        if (values.Dns is { } dns)
        {
            o.Set(DhcpOptionCode.DomainNameServer, dns);
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
        var pending = _directory.FindNodeByIpAsync(Ipv4.FromUInt32(address));
        var node = pending.IsCompletedSuccessfully ? pending.Result : pending.AsTask().GetAwaiter().GetResult();
        return node is not null && !node.Macs.Contains(mac);
    }
}

/// <summary>The option values a network and interface give every reply (server identifier, mask, broadcast,
/// router, DNS, lease times), encoded once and shared by the replies: option values are never written to after
/// they are built. Recomputed when the registry hands out a different <see cref="Network"/> object.</summary>
internal sealed class NetworkOptionValues
{
    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<Network, NetworkOptionValues> Cache = new();

    private readonly uint _serverIdentifier;
    private (TimeSpan Lease, (byte[] Lease, byte[] Renewal, byte[] Rebinding) Values) _times = (TimeSpan.MinValue, ([], [], []));

    private NetworkOptionValues(Network net, uint serverIdentifier)
    {
        _serverIdentifier = serverIdentifier;
        ServerIdentifier = Bytes(serverIdentifier);
        SubnetMask = Bytes(Ipv4.Mask(net.Cidr));
        Broadcast = Ipv4.Broadcast(net.Cidr).GetAddressBytes();
        Router = net.Gateway?.GetAddressBytes();
        Dns = net.Dns.Count > 0 ? net.Dns.SelectMany(a => a.GetAddressBytes()).ToArray() : null;
    }

    public byte[] ServerIdentifier { get; }

    public byte[] SubnetMask { get; }

    public byte[] Broadcast { get; }

    public byte[]? Router { get; }

    public byte[]? Dns { get; }

    public static NetworkOptionValues For(Network net, DhcpInterface iface)
    {
        if (Cache.TryGetValue(net, out var values) && values._serverIdentifier == iface.AddressValue)
        {
            return values;
        }

        values = new NetworkOptionValues(net, iface.AddressValue);
        Cache.AddOrUpdate(net, values);
        return values;
    }

    /// <summary>Options 51, 58 and 59 for a lease time (T1 = 1/2, T2 = 7/8, RFC 2131 4.4.5).</summary>
    public (byte[] Lease, byte[] Renewal, byte[] Rebinding) LeaseTimes(TimeSpan lease)
    {
        var cached = _times;
        if (cached.Lease == lease)
        {
            return cached.Values;
        }

        uint secs = (uint)Math.Clamp(lease.TotalSeconds, 60, uint.MaxValue - 1);
        var values = (Bytes(secs), Bytes(secs / 2), Bytes((uint)(secs * 7UL / 8)));
        _times = (lease, values);
        return values;
    }

    private static byte[] Bytes(uint value)
    {
        var bytes = new byte[4];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(bytes, value);
        return bytes;
    }
}

using System.Net;
using Fabric.Core;
using Fabric.Dhcp.Leases;
using Fabric.Dhcp.Protocol;

namespace Fabric.Dhcp.Handlers;

/// <summary>The interface a request arrived on.</summary>
/// <param name="Name">Interface name, e.g. eth0.</param>
/// <param name="Address">Its IPv4 address (also the server identifier on it).</param>
/// <param name="LocalPort">The UDP port the request came in on (67, or 4011 for proxyDHCP).</param>
public sealed record DhcpInterface(string Name, IPAddress Address, int LocalPort = 67)
{
    public uint AddressValue { get; } = Ipv4.ToUInt32(Address);
}

/// <summary>The reply being built by the handler chain.</summary>
public sealed class DhcpReply
{
    public DhcpMessageType MessageType { get; set; }

    public uint YourAddress { get; set; }

    public uint ServerAddress { get; set; }

    public string? BootFile { get; set; }

    public DhcpOptionsBuilder Options { get; } = new();
}

/// <summary>One request travelling through the handler chain.</summary>
/// <param name="source">The UDP source address the datagram came from (a relay agent's when relayed).</param>
public sealed class DhcpContext(DhcpPacket request, DhcpInterface iface, IPAddress source)
{
    public DhcpPacket Request { get; } = request;

    public DhcpInterface Interface { get; } = iface;

    /// <summary>The UDP source address of the datagram (not giaddr, which the sender writes itself).</summary>
    public IPAddress Source { get; } = source;

    public MacAddress Mac { get; set; }

    public Network? Network { get; set; }

    /// <summary>The registered node owning the client's MAC, when its registry IP is on <see cref="Network"/>.</summary>
    public Node? Node { get; set; }

    public DhcpReply? Reply { get; set; }

    /// <summary>A lease to commit durably BEFORE the reply is sent.</summary>
    public LeaseRecord? Commit { get; set; }

    /// <summary>A lease change to store without a reply waiting on it (RELEASE, DECLINE).</summary>
    public LeaseRecord? Persist { get; set; }

    /// <summary>Why nothing is sent (a metric tag), or null.</summary>
    public string? DropReason { get; private set; }

    private List<string>? _anomalies;

    /// <summary>Problems noticed but tolerated (metric tags); made only when there is one.</summary>
    public IReadOnlyList<string> Anomalies => (IReadOnlyList<string>?)_anomalies ?? [];

    public void AddAnomaly(string reason) => (_anomalies ??= []).Add(reason);

    public HandlerResult Drop(string reason)
    {
        DropReason = reason;
        Reply = null;
        return HandlerResult.Stop;
    }
}

public enum HandlerResult
{
    Continue,
    Stop,
}

/// <summary>One step of the DHCP handler chain (CoreDHCP's Handler4): reads the request, adds to the reply,
/// continues or stops. The chain's order is fixed at start-up.</summary>
public interface IDhcpHandler
{
    ValueTask<HandlerResult> HandleAsync(DhcpContext context, CancellationToken cancellationToken);
}

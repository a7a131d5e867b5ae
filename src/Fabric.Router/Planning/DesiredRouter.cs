using System.Net;
using Fabric.Core;

namespace Fabric.Router.Planning;

/// <summary>One instance network as the router carries it: a VLAN sub-interface of the trunk holding the network's
/// gateway, and the addresses its instances hold there (the only sources it forwards from).</summary>
/// <param name="Network">The network's name.</param>
/// <param name="Kind"><see cref="NetworkKind.Private"/> or <see cref="NetworkKind.Public"/>.</param>
/// <param name="Cidr">The network.</param>
/// <param name="Vlan">Its 802.1Q VLAN id.</param>
/// <param name="Interface">The sub-interface, <c>TRUNK.VLAN</c>.</param>
/// <param name="Gateway">The router's address on it.</param>
/// <param name="Sources">The instances' addresses on it, in address order.</param>
public sealed record RoutedNetwork(
    string Network,
    NetworkKind Kind,
    IPNetwork Cidr,
    int Vlan,
    string Interface,
    IPAddress Gateway,
    IReadOnlyList<IPAddress> Sources)
{
    /// <summary>The gateway with the network's prefix, as <c>ip addr</c> takes it: <c>203.0.113.1/24</c>.</summary>
    public string Address => $"{Gateway}/{Cidr.PrefixLength}";

    /// <summary>The nftables set of <see cref="Sources"/>.</summary>
    public string SetName => $"vlan{Vlan}_sources";

    /// <summary>The chain for what it sends.</summary>
    public string FromChain => $"from_vlan{Vlan}";

    /// <summary>The chain for what is sent to it.</summary>
    public string ToChain => $"to_vlan{Vlan}";

    /// <summary>The operator's rules that let this network's instances open connections to another carried network's.</summary>
    public IReadOnlyList<RoutedAllow> Allows { get; init; } = [];

    /// <summary>The networks whose instances may open connections to this one's (by a rule): the replies go back to them.</summary>
    public IReadOnlyList<RoutedNetworkRef> RepliesTo { get; init; } = [];
}

/// <summary>Another carried network, as a rule names it: its name and sub-interface.</summary>
public sealed record RoutedNetworkRef(string Network, string Interface);

/// <summary>An operator's rule as the router carries it in the <c>from</c> network's chain: connections to the
/// <see cref="To"/> network's instances (its set), of <see cref="Protocol"/> and <see cref="Port"/> when given.</summary>
/// <param name="Rule">The rule's id in the registry.</param>
/// <param name="To">The network reached.</param>
/// <param name="ToSet">Its nftables set of instance addresses.</param>
/// <param name="Protocol"><c>tcp</c>, <c>udp</c>, <c>icmp</c>, or null for any.</param>
/// <param name="Port">The destination port (tcp or udp), or null for any.</param>
/// <param name="Comment">The rule's comment on the router, e.g. <c>allow #3 pub1 -&gt; priv1 tcp/443</c>: the diff compares it.</param>
public sealed record RoutedAllow(long Rule, RoutedNetworkRef To, string ToSet, string? Protocol, int? Port, string Comment)
{
    /// <summary>The nftables match for the protocol and port, with a trailing space, or empty for any.</summary>
    public string Match => (Protocol, Port) switch
    {
        (null, _) => "",
        ({ } p, null) => $"meta l4proto {p} ",
        ({ } p, { } port) => $"{p} dport {port.ToString(System.Globalization.CultureInfo.InvariantCulture)} ",
    };
}

/// <summary>The router as the registry says it should be: a pure value made by <see cref="RouterPlanner"/>.</summary>
/// <param name="Router">The router node's name.</param>
/// <param name="Trunk">Its trunk interface (the VLANs' parent).</param>
/// <param name="Uplink">Its uplink interface.</param>
/// <param name="Networks">The networks it carries, in VLAN order.</param>
/// <param name="Sysctls">Kernel settings by key (<c>net.ipv4.conf.eth1/100.proxy_arp</c>), in key order.</param>
/// <param name="Ruleset">The <c>inet fabric</c> table as an <c>nft -f</c> file (<c>templates/router/fabric.nft</c>).</param>
public sealed record DesiredRouter(
    string Router,
    string Trunk,
    string Uplink,
    IReadOnlyList<RoutedNetwork> Networks,
    IReadOnlyList<KeyValuePair<string, string>> Sysctls,
    string Ruleset)
{
    /// <summary>The trunk must be up: it is while the router carries any VLAN (a sub-interface of a trunk that is down
    /// passes nothing). With no VLAN the trunk is left as it is.</summary>
    public bool TrunkUp => Networks.Count > 0;
}

using System.Net;
using Fabric.Core;

namespace Fabric.Router.Planning;

/// <summary>Registry in, desired router state out; no I/O. Every network of kind <c>private</c> or <c>public</c> with
/// a VLAN and a gateway becomes a sub-interface <c>TRUNK.VLAN</c> holding the gateway, with forwarding and proxy ARP
/// on it (so instances can hold addresses of the network directly with the router as their gateway), and the
/// <c>inet fabric</c> nftables table: each sub-interface forwards only from its instances' addresses (no spoofing),
/// only to the uplink, and receives only from the uplink (no path between two instance networks).</summary>
public static class RouterPlanner
{
    /// <summary>Turns on IPv4 forwarding for the whole router; set whenever it carries a network.</summary>
    public const string ForwardingKey = "net.ipv4.ip_forward";

    /// <summary>The desired state of <paramref name="router"/> for the networks and nodes of a registry.</summary>
    public static DesiredRouter Plan(Node router, IEnumerable<Network> networks, IEnumerable<Node> nodes)
    {
        ArgumentNullException.ThrowIfNull(router);
        var spec = router.Router ?? new RouterSpec(null, null);
        var trunk = spec.EffectiveTrunkInterface;
        var uplink = spec.EffectiveUplinkInterface;
        var instances = nodes
            .Where(n => n.Role == NodeRole.Instance && n.Ip is not null && n.Network is not null)
            .ToLookup(n => n.Network!, StringComparer.Ordinal);

        var routed = networks
            .Where(n => n.Kind.IsRouted() && n.Vlan is not null && n.Gateway is not null)
            .OrderBy(n => n.Vlan)
            .ThenBy(n => n.Name, StringComparer.Ordinal)
            .Select(n => new RoutedNetwork(
                n.Name,
                n.Kind,
                n.Cidr,
                n.Vlan!.Value,
                $"{trunk}.{n.Vlan}",
                n.Gateway!,
                [.. instances[n.Name].Select(i => i.Ip!).Where(ip => n.Cidr.Contains(ip) && !ip.Equals(n.Gateway)).Distinct().OrderBy(Ipv4.ToUInt32)]))
            .ToList();

        var sysctls = new SortedDictionary<string, string>(StringComparer.Ordinal);
        if (routed.Count > 0)
        {
            sysctls[ForwardingKey] = "1";
        }

        foreach (var network in routed)
        {
            var conf = $"net.ipv4.conf.{network.Interface.Replace('.', '/')}";
            sysctls[$"{conf}.forwarding"] = "1";
            sysctls[$"{conf}.proxy_arp"] = "1";
        }

        return new DesiredRouter(router.Name, trunk, uplink, routed, [.. sysctls], NftRuleset.Render(trunk, uplink, routed));
    }
}

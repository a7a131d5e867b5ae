using System.Net;
using Fabric.Core;
using Fabric.Registry.RouterRules;

namespace Fabric.Router.Planning;

/// <summary>Registry in, desired router state out; no I/O. Every network of kind <c>private</c> or <c>public</c> with
/// a VLAN and a gateway becomes a sub-interface <c>TRUNK.VLAN</c> holding the gateway, with forwarding and proxy ARP
/// on it (so instances can hold addresses of the network directly with the router as their gateway), and the
/// <c>inet fabric</c> nftables table: each sub-interface forwards only from its instances' addresses (no spoofing),
/// only to the uplink, and receives only from the uplink: no path between two instance networks but the operator's
/// rules, each of which lets one network's instances open connections to another's (and get the replies).</summary>
public static class RouterPlanner
{
    /// <summary>Turns on IPv4 forwarding for the whole router; set whenever it carries a network.</summary>
    public const string ForwardingKey = "net.ipv4.ip_forward";

    /// <summary>The desired state of <paramref name="router"/> for the networks, nodes and router rules of a registry. A
    /// rule naming a network the router does not carry (or one network twice) is left out.</summary>
    public static DesiredRouter Plan(Node router, IEnumerable<Network> networks, IEnumerable<Node> nodes, IEnumerable<RouterRule>? rules = null)
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
        routed = WithRules(routed, rules ?? []);

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

    private static List<RoutedNetwork> WithRules(List<RoutedNetwork> routed, IEnumerable<RouterRule> rules)
    {
        var byName = routed.ToDictionary(n => n.Network, StringComparer.OrdinalIgnoreCase);
        var allows = new Dictionary<string, List<RoutedAllow>>(StringComparer.OrdinalIgnoreCase);
        var replies = new Dictionary<string, List<RoutedNetworkRef>>(StringComparer.OrdinalIgnoreCase);
        foreach (var rule in rules.OrderBy(r => r.Id))
        {
            if (!byName.TryGetValue(rule.From, out var from) || !byName.TryGetValue(rule.To, out var to) || from == to)
            {
                continue;
            }

            var toRef = new RoutedNetworkRef(to.Network, to.Interface);
            (allows.TryGetValue(from.Network, out var a) ? a : allows[from.Network] = []).Add(
                new RoutedAllow(rule.Id, toRef, to.SetName, rule.Protocol, rule.Port, $"allow {(rule with { From = from.Network, To = to.Network })}"));
            var back = replies.TryGetValue(to.Network, out var r) ? r : replies[to.Network] = [];
            if (!back.Any(b => b.Network == from.Network))
            {
                back.Add(new RoutedNetworkRef(from.Network, from.Interface));
            }
        }

        return [.. routed.Select(n => n with
        {
            Allows = allows.GetValueOrDefault(n.Network) ?? [],
            RepliesTo = [.. (replies.GetValueOrDefault(n.Network) ?? []).OrderBy(b => b.Interface, StringComparer.Ordinal)],
        })];
    }
}

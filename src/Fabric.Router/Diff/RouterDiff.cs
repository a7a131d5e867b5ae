using System.Globalization;
using Fabric.Remote.Commands;
using Fabric.Router.Planning;
using Fabric.Router.State;

namespace Fabric.Router.Diff;

/// <summary>The ordered changes that take the router from <see cref="ActualRouter"/> to <see cref="DesiredRouter"/>;
/// empty when they agree. Pure. Order: the trunk brought up (when it carries a VLAN and is down), links made and brought up, stale addresses removed, gateways added, sysctls
/// set (the sub-interfaces exist by then), the table replaced, and last the sub-interfaces Fabric made that the plan no
/// longer has. Only Fabric's things are touched: the trunk's up state, the plan's sub-interfaces, the VLAN links on the trunk marked
/// <c>fabric:</c>, the plan's sysctl keys and the <c>inet fabric</c> table.</summary>
public static class RouterDiff
{
    /// <summary>Where the rendered ruleset is written on the router before <c>nft -f</c>.</summary>
    public const string RulesetPath = "/run/fabric/router/fabric.nft";

    public static IReadOnlyList<RouterAction> Compute(DesiredRouter desired, ActualRouter actual)
    {
        ArgumentNullException.ThrowIfNull(desired);
        ArgumentNullException.ThrowIfNull(actual);
        var actions = new List<RouterAction>();
        var deletes = new List<RouterAction>();
        var planned = desired.Networks.Select(n => n.Interface).ToHashSet(StringComparer.Ordinal);
        if (desired.TrunkUp && actual.Links.GetValueOrDefault(desired.Trunk) is { Up: false })
        {
            // First: the VLANs' parent down passes nothing, whatever their own state.
            actions.Add(new RouterAction(
                RouterActionKind.SetLinkUp,
                desired.Trunk,
                $"set link {desired.Trunk} up (the trunk of {desired.Networks.Count.ToString(CultureInfo.InvariantCulture)} VLANs)",
                [RemoteCommand.Of("ip", "link", "set", "dev", desired.Trunk, "up")]));
        }


        foreach (var network in desired.Networks)
        {
            actual.Links.TryGetValue(network.Interface, out var link);
            if (link is not null && (link.Kind != "vlan" || link.VlanId != network.Vlan))
            {
                // A device of this name that is not this VLAN: it goes, and the right one is made.
                actions.Add(DeleteLink(link, $"it is {(link.Kind == "vlan" ? $"vlan {link.VlanId}" : link.Kind ?? "not a vlan")}, the plan has vlan {network.Vlan}"));
                link = null;
            }

            if (link is null)
            {
                actions.Add(new RouterAction(
                    RouterActionKind.AddLink,
                    network.Interface,
                    $"add link {network.Interface} (vlan {network.Vlan}, network {network.Network})",
                    [
                        RemoteCommand.Of("ip", "link", "add", "link", desired.Trunk, "name", network.Interface, "type", "vlan", "id", network.Vlan.ToString(CultureInfo.InvariantCulture)),
                        RemoteCommand.Of("ip", "link", "set", "dev", network.Interface, "alias", LinkState.FabricAliasPrefix + network.Network),
                        RemoteCommand.Of("ip", "link", "set", "dev", network.Interface, "up"),
                    ]));
            }
            else if (!link.Up)
            {
                actions.Add(new RouterAction(RouterActionKind.SetLinkUp, network.Interface, $"set link {network.Interface} up", [RemoteCommand.Of("ip", "link", "set", "dev", network.Interface, "up")]));
            }

            var addresses = link is null ? [] : actual.Addresses.GetValueOrDefault(network.Interface) ?? [];
            foreach (var stale in addresses.Where(a => a != network.Address))
            {
                actions.Add(new RouterAction(RouterActionKind.DeleteAddress, network.Interface, $"del addr {stale} dev {network.Interface}", [RemoteCommand.Of("ip", "addr", "del", stale, "dev", network.Interface)]));
            }

            if (!addresses.Contains(network.Address))
            {
                actions.Add(new RouterAction(
                    RouterActionKind.AddAddress,
                    network.Interface,
                    $"add addr {network.Address} dev {network.Interface} (gateway of {network.Network})",
                    [RemoteCommand.Of("ip", "addr", "add", network.Address, "dev", network.Interface)]));
            }
        }

        foreach (var (key, value) in desired.Sysctls)
        {
            if (actual.Sysctls.GetValueOrDefault(key) != value)
            {
                var now = actual.Sysctls.GetValueOrDefault(key) is { Length: > 0 } v ? v : "unset";
                actions.Add(new RouterAction(RouterActionKind.SetSysctl, key, $"set sysctl {key}={value} (now {now})", [RemoteCommand.Of("sysctl", "-w", $"{key}={value}")]));
            }
        }

        var table = RouterStateParser.ParseRuleset(desired.Ruleset);
        if (!table.SameAs(actual.Table))
        {
            actions.Add(new RouterAction(
                RouterActionKind.ReplaceTable,
                $"{NftRuleset.Family} {NftRuleset.Table}",
                actual.Table is null
                    ? $"create table {NftRuleset.Family} {NftRuleset.Table} ({table})"
                    : $"replace table {NftRuleset.Family} {NftRuleset.Table} (now {actual.Table}; plan {table})",
                [RemoteCommand.Of("nft", "-f", RulesetPath)],
                new RouterFile(RulesetPath, desired.Ruleset)));
        }

        foreach (var link in actual.Links.Values)
        {
            if (link.Kind == "vlan" && link.Parent == desired.Trunk && link.MadeByFabric && !planned.Contains(link.Name))
            {
                deletes.Add(DeleteLink(link, $"network {link.Alias![LinkState.FabricAliasPrefix.Length..]} is no longer carried"));
            }
        }

        return [.. actions, .. deletes];
    }

    private static RouterAction DeleteLink(LinkState link, string why) =>
        new(RouterActionKind.DeleteLink, link.Name, $"del link {link.Name} ({why})", [RemoteCommand.Of("ip", "link", "del", "dev", link.Name)]);
}

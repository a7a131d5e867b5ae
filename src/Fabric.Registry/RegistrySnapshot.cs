using System.Collections.Immutable;
using Fabric.Core;

namespace Fabric.Registry;

/// <summary>An immutable copy of the registry, swapped whole after every committed write, so readers (one
/// call per DHCP or TFTP packet) never lock and never see half a change.</summary>
internal sealed record RegistrySnapshot(
    ImmutableDictionary<string, StoredNode> Nodes,
    ImmutableDictionary<MacAddress, string> Macs,
    ImmutableDictionary<uint, string> Ips,
    ImmutableSortedDictionary<string, Network> Networks,
    ImmutableDictionary<NodeRole, ImmutableSortedSet<string>> Roles,
    int DiscoveredCount)
{
    /// <summary>Volume slots held for volumes being made, by pair (lower-case) and volume name.</summary>
    public ImmutableDictionary<(string Pair, string Volume), Volumes.SlotReservation> Reservations { get; init; } =
        ImmutableDictionary<(string Pair, string Volume), Volumes.SlotReservation>.Empty;

    /// <summary>The names of the nodes added, changed or removed since the writer last cleared this (the writer clears it
    /// at the start of each group), so telling observers what a group changed costs its own size, not the registry's.</summary>
    public ImmutableHashSet<string> Touched { get; init; } = ImmutableHashSet.Create<string>(StringComparer.Ordinal);

    public static RegistrySnapshot Empty { get; } = new(
        ImmutableDictionary.Create<string, StoredNode>(StringComparer.Ordinal),
        ImmutableDictionary<MacAddress, string>.Empty,
        ImmutableDictionary<uint, string>.Empty,
        ImmutableSortedDictionary.Create<string, Network>(StringComparer.Ordinal),
        Enum.GetValues<NodeRole>().ToImmutableDictionary(r => r, _ => ImmutableSortedSet.Create<string>(StringComparer.Ordinal)),
        0);

    public static RegistrySnapshot From(StoredRegistry stored)
    {
        var snapshot = Empty with { Networks = stored.Networks.ToImmutableSortedDictionary(n => n.Name, n => n, StringComparer.Ordinal) };
        foreach (var node in stored.Nodes)
        {
            snapshot = snapshot.WithNode(node);
        }

        return snapshot;
    }

    public RegistrySnapshot WithNode(StoredNode entry)
    {
        var snapshot = Nodes.TryGetValue(entry.Node.Name, out var old) ? WithoutNode(old.Node.Name) : this;
        var macs = snapshot.Macs.SetItems(entry.Node.Macs.Select(m => KeyValuePair.Create(m, entry.Node.Name)));
        var ips = entry.Node.Ip is null ? snapshot.Ips : snapshot.Ips.SetItem(Ipv4.ToUInt32(entry.Node.Ip), entry.Node.Name);
        var roles = snapshot.Roles.SetItem(entry.Node.Role, snapshot.Roles[entry.Node.Role].Add(entry.Node.Name));
        var discovered = snapshot.DiscoveredCount + (entry.Node.State == NodeState.Discovered ? 1 : 0);
        return snapshot with
        {
            Nodes = snapshot.Nodes.SetItem(entry.Node.Name, entry),
            Macs = macs,
            Ips = ips,
            Roles = roles,
            DiscoveredCount = discovered,
            Touched = snapshot.Touched.Add(entry.Node.Name),
        };
    }

    public RegistrySnapshot WithoutNode(string name)
    {
        if (!Nodes.TryGetValue(name, out var entry))
        {
            return this;
        }

        var macs = Macs.RemoveRange(entry.Node.Macs);
        var ips = entry.Node.Ip is null ? Ips : Ips.Remove(Ipv4.ToUInt32(entry.Node.Ip));
        var roles = Roles.SetItem(entry.Node.Role, Roles[entry.Node.Role].Remove(name));
        var discovered = DiscoveredCount - (entry.Node.State == NodeState.Discovered ? 1 : 0);
        return this with { Nodes = Nodes.Remove(name), Macs = macs, Ips = ips, Roles = roles, DiscoveredCount = discovered, Touched = Touched.Add(name) };
    }

    /// <summary>Nodes of one role in name order, without walking the others (the boot path asks for storage nodes).</summary>
    public IEnumerable<Node> NodesOf(NodeRole role) => Roles[role].Select(name => Nodes[name].Node);

    public Node? NodeByMac(MacAddress mac) =>
        Macs.TryGetValue(mac, out var name) && Nodes.TryGetValue(name, out var entry) ? entry.Node : null;

    public Node? NodeByIp(uint ip) =>
        Ips.TryGetValue(ip, out var name) && Nodes.TryGetValue(name, out var entry) ? entry.Node : null;
}

namespace Fabric.Router.State;

/// <summary>One network interface as <c>ip -d -j link show</c> reports it.</summary>
/// <param name="Name"><c>ifname</c>.</param>
/// <param name="Parent"><c>link</c>: the lower device of a VLAN (or a veth's peer), or null.</param>
/// <param name="Kind"><c>linkinfo.info_kind</c> (<c>vlan</c>, <c>veth</c>, <c>bridge</c>), or null for a plain device.</param>
/// <param name="VlanId"><c>linkinfo.info_data.id</c> of a VLAN, or null.</param>
/// <param name="Up">Whether <c>flags</c> holds <c>UP</c> (administratively up).</param>
/// <param name="Alias"><c>ifalias</c>: Fabric marks the sub-interfaces it makes with <c>fabric:NETWORK</c>.</param>
public sealed record LinkState(string Name, string? Parent, string? Kind, int? VlanId, bool Up, string? Alias)
{
    /// <summary>The alias prefix of the sub-interfaces Fabric made (and so may remove).</summary>
    public const string FabricAliasPrefix = "fabric:";

    public bool MadeByFabric => Alias?.StartsWith(FabricAliasPrefix, StringComparison.Ordinal) == true;
}

/// <summary>What the router's <c>inet fabric</c> table holds, reduced to what the diff compares: each set's elements
/// and each chain's rule count (plus the base chain's hook and policy). Null when the table does not exist.</summary>
/// <param name="Sets">Set name to its elements, in order.</param>
/// <param name="Chains">Chain name to its number of rules, with <c>hook/policy</c> for a base chain.</param>
public sealed record NftShape(IReadOnlyDictionary<string, IReadOnlyList<string>> Sets, IReadOnlyDictionary<string, string> Chains)
{
    public bool SameAs(NftShape? other) =>
        other is not null
        && Sets.Count == other.Sets.Count
        && Sets.All(s => other.Sets.TryGetValue(s.Key, out var e) && e.SequenceEqual(s.Value, StringComparer.Ordinal))
        && Chains.Count == other.Chains.Count
        && Chains.All(c => other.Chains.TryGetValue(c.Key, out var v) && v == c.Value);

    public override string ToString() =>
        $"sets {string.Join(", ", Sets.Select(s => $"{s.Key}[{s.Value.Count}]"))}; chains {string.Join(", ", Chains.Select(c => $"{c.Key}({c.Value})"))}";
}

/// <summary>The router as it is: read over SSH by <see cref="RouterReader"/>.</summary>
/// <param name="Links">Its interfaces by name.</param>
/// <param name="Addresses">Interface name to its IPv4 addresses, <c>ADDRESS/PREFIX</c>.</param>
/// <param name="Sysctls">The value of each key the plan names; an empty string for a key that does not exist.</param>
/// <param name="Table">The <c>inet fabric</c> table, or null when there is none.</param>
public sealed record ActualRouter(
    IReadOnlyDictionary<string, LinkState> Links,
    IReadOnlyDictionary<string, IReadOnlyList<string>> Addresses,
    IReadOnlyDictionary<string, string> Sysctls,
    NftShape? Table);

namespace Fabric.Registry.RouterRules;

/// <summary>An operator's rule between two instance networks: instances of <see cref="From"/> may open connections to
/// the instances of <see cref="To"/> through the router (and get the replies); nothing else crosses between them.</summary>
/// <param name="Id">The rule's number, for removing it.</param>
/// <param name="From">The network whose instances open the connections.</param>
/// <param name="To">The network whose instances are reached.</param>
/// <param name="Protocol"><c>tcp</c>, <c>udp</c> or <c>icmp</c>; null for any protocol.</param>
/// <param name="Port">The destination port (with <c>tcp</c> or <c>udp</c>); null for any port.</param>
/// <param name="CreatedAt">When it was recorded.</param>
public sealed record RouterRule(long Id, string From, string To, string? Protocol, int? Port, DateTimeOffset CreatedAt)
{
    /// <summary>Whether this rule allows exactly that traffic (networks compared without case).</summary>
    public bool SameTraffic(string from, string to, string? protocol, int? port) =>
        string.Equals(From, from, StringComparison.OrdinalIgnoreCase)
        && string.Equals(To, to, StringComparison.OrdinalIgnoreCase)
        && Protocol == protocol
        && Port == port;

    /// <summary>One line: <c>#3 pub1 -&gt; priv1 tcp/443</c>.</summary>
    public override string ToString() =>
        $"#{Id} {From} -> {To} {(Protocol is null ? "any" : Port is null ? Protocol : $"{Protocol}/{Port}")}";
}

/// <summary>The router rules, kept durably in the registry database (table <c>router_rules</c>, migration 0011). Reads
/// come from memory; each write is committed before the call returns.</summary>
public interface IRouterRuleStore : IDisposable
{
    /// <summary>Every rule, in id order.</summary>
    IReadOnlyList<RouterRule> List();

    /// <summary>Records a rule, or returns the one that allows the same traffic already (<c>Added</c> false).</summary>
    Task<(RouterRule Rule, bool Added)> AddAsync(string from, string to, string? protocol, int? port, DateTimeOffset at, CancellationToken cancellationToken = default);

    /// <summary>Removes a rule; null when there is none with that id.</summary>
    Task<RouterRule?> RemoveAsync(long id, CancellationToken cancellationToken = default);
}

/// <summary>Opens the router rule store.</summary>
public static class RouterRuleStores
{
    /// <summary>Opens the store in the registry database at <paramref name="databasePath"/>, which
    /// <see cref="FabricRegistry"/> has opened (and so migrated) first.</summary>
    public static IRouterRuleStore Open(string databasePath) => SqliteRouterRuleStore.Open(databasePath);
}

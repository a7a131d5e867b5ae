using System.Net;
using Fabric.Core;

namespace Fabric.Registry;

/// <summary>The fabric's registry of networks and nodes, the one writer of the database. Reads come from an
/// in-memory snapshot kept in step with every write; expected failures are returned as values.</summary>
public interface IRegistry : IFabricDirectory, IDisposable
{
    IReadOnlyList<Node> ListNodes(NodeRole? role = null);

    Node? FindNode(string name);

    /// <summary>When the node entered its current state (e.g. when its boot script was served).</summary>
    DateTimeOffset? StateChangedAt(string name);

    Task<RegistryResult<Node>> AddNodeAsync(NodeInput input, string actor, CancellationToken cancellationToken = default);

    Task<RegistryResult<Node>> UpdateNodeAsync(string name, NodeInput changes, string actor, CancellationToken cancellationToken = default);

    Task<RegistryResult<Node>> RemoveNodeAsync(string name, string actor, CancellationToken cancellationToken = default);

    /// <summary>Moves a node to <paramref name="state"/> (when given) and records an event of <paramref name="kind"/>.</summary>
    Task<RegistryResult<Node>> RecordAsync(string name, NodeState? state, string kind, string message, string actor, CancellationToken cancellationToken = default);

    /// <summary>Registers an unknown MAC as a <c>discovered</c> node named <c>node-&lt;12 hex digits&gt;</c>; returns the
    /// existing node when the MAC is already known.</summary>
    Task<RegistryResult<Node>> DiscoverAsync(MacAddress mac, IPAddress? from, CancellationToken cancellationToken = default);

    /// <summary>Fails every node that has been <c>booting</c> for longer than <paramref name="timeout"/>.</summary>
    Task<IReadOnlyList<Node>> FailStuckBootsAsync(TimeSpan timeout, CancellationToken cancellationToken = default);

    Task<RegistryResult<IReadOnlyList<NodeEvent>>> ListEventsAsync(string name, int limit = 1000, CancellationToken cancellationToken = default);

    IReadOnlyList<Network> ListNetworks();

    Network? FindNetwork(string name);

    Task<RegistryResult<Network>> AddNetworkAsync(NetworkInput input, string actor, CancellationToken cancellationToken = default);

    Task<RegistryResult<Network>> RemoveNetworkAsync(string name, string actor, CancellationToken cancellationToken = default);
}

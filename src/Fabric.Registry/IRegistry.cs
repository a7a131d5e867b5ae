using System.Net;
using Fabric.Core;
using Fabric.Core.Events;
using Fabric.Core.Lifecycle;

namespace Fabric.Registry;

/// <summary>The fabric's registry of networks and nodes, the one writer of the database. Reads come from an
/// in-memory snapshot kept in step with every write; expected failures are returned as values. Every state change goes
/// through <see cref="NodeLifecycle"/>.</summary>
public interface IRegistry : IFabricDirectory, IDisposable
{
    IReadOnlyList<Node> ListNodes(NodeRole? role = null);

    Node? FindNode(string name);

    /// <summary>When the node entered its current state (e.g. when its boot script was served).</summary>
    DateTimeOffset? StateChangedAt(string name);

    Task<RegistryResult<Node>> AddNodeAsync(NodeInput input, Actor actor, CancellationToken cancellationToken = default);

    /// <summary>A merge patch. <see cref="NodeInput.State"/> may only be <c>registered</c> or <c>retired</c> (an
    /// operator's transitions); giving a discovered node a role or a root adopts it.</summary>
    Task<RegistryResult<Node>> UpdateNodeAsync(string name, NodeInput changes, Actor actor, CancellationToken cancellationToken = default);

    Task<RegistryResult<Node>> RemoveNodeAsync(string name, Actor actor, CancellationToken cancellationToken = default);

    /// <summary>Applies a lifecycle trigger and records an event of <paramref name="kind"/>. A trigger the table refuses
    /// is a conflict naming <c>state</c>, and nothing is written.</summary>
    Task<RegistryResult<Node>> ApplyAsync(string name, NodeTrigger trigger, EventKind kind, string message, Actor actor, CancellationToken cancellationToken = default);

    /// <summary>Pins <paramref name="hostKey"/> as the node's SSH host key when it has none (an
    /// <c>ssh-host-key-pinned</c> event). The same key again changes nothing. A different key is a conflict naming
    /// <c>sshHostKey</c>, keeps the pinned one and records an <c>ssh-host-key-mismatch</c> event; a malformed one is
    /// invalid and writes nothing.</summary>
    Task<RegistryResult<Node>> PinSshHostKeyAsync(string name, string hostKey, Actor actor, CancellationToken cancellationToken = default);

    /// <summary>Records an event without touching the node's state.</summary>
    Task<RegistryResult<Node>> RecordAsync(string name, EventKind kind, string message, Actor actor, CancellationToken cancellationToken = default);

    /// <summary>Registers an unknown unicast MAC as a <c>discovered</c> node named <c>node-&lt;12 hex digits&gt;</c>, unless
    /// <c>Fabric:Discovery:MaxNodes</c> nodes are discovered already (then nothing is written).</summary>
    Task<DiscoveryResult> DiscoverAsync(MacAddress mac, IPAddress? from, CancellationToken cancellationToken = default);

    /// <summary>Fails every node that has been <c>booting</c> for longer than <paramref name="timeout"/>.</summary>
    Task<IReadOnlyList<Node>> FailStuckBootsAsync(TimeSpan timeout, CancellationToken cancellationToken = default);

    /// <summary>Removes, with their events, discovered nodes registered longer than <paramref name="retention"/> ago.</summary>
    Task<IReadOnlyList<Node>> RemoveStaleDiscoveredAsync(TimeSpan retention, CancellationToken cancellationToken = default);

    Task<RegistryResult<IReadOnlyList<NodeEvent>>> ListEventsAsync(string name, int limit = 1000, CancellationToken cancellationToken = default);

    /// <summary>Whether the store can be written now (a write tried and taken back).</summary>
    Task<RegistryHealth> CheckWritableAsync(CancellationToken cancellationToken = default);

    IReadOnlyList<Network> ListNetworks();

    Network? FindNetwork(string name);

    Task<RegistryResult<Network>> AddNetworkAsync(NetworkInput input, Actor actor, CancellationToken cancellationToken = default);

    Task<RegistryResult<Network>> RemoveNetworkAsync(string name, Actor actor, CancellationToken cancellationToken = default);
}

/// <summary>What discovery did with an unknown MAC.</summary>
public enum DiscoveryOutcome
{
    /// <summary>The MAC was already registered; <see cref="DiscoveryResult.Node"/> is that node.</summary>
    Known,

    /// <summary>A discovered node was written.</summary>
    Registered,

    /// <summary>Discovery is full: <see cref="DiscoveryResult.Node"/> is the node discovery would have written, not stored.</summary>
    Refused,
}

public sealed record DiscoveryResult(Node Node, DiscoveryOutcome Outcome);

/// <summary>Whether the registry can record changes; <see cref="Problem"/> says why not.</summary>
public sealed record RegistryHealth(bool Writable, string? Problem);

using System.Net;
using Fabric.Core;
using Fabric.Core.Events;
using Fabric.Core.Lifecycle;

namespace Fabric.Registry;

/// <summary>The fabric's registry of networks and nodes, the one writer of the database. Reads come from an
/// in-memory snapshot kept in step with every write; expected failures are returned as values. Every state change goes
/// through <see cref="NodeLifecycle"/>.</summary>
public interface IRegistry : IFabricDirectory, Changes.IRegistryChanges, IDisposable
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
    /// <summary>Moves an instance from <paramref name="from"/> to <paramref name="to"/> and, when
    /// <paramref name="hypervisor"/> is given, onto that hypervisor, in one write with an <c>instance-state</c> event.
    /// The caller decides with the instance lifecycle table; this checks the instance is still in
    /// <paramref name="from"/> (a conflict naming <c>state</c> otherwise, and nothing is written).</summary>
    Task<RegistryResult<Node>> TransitionInstanceAsync(string name, InstanceState from, InstanceState to, string? hypervisor, string message, Actor actor, CancellationToken cancellationToken = default);

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

    /// <summary>Every volume of every pair (a volume of a pair is the same name and slot on its storage nodes), with the
    /// nodes that use it.</summary>
    IReadOnlyList<Volumes.PairVolume> ListVolumes();

    /// <summary>The slots held for volumes being made.</summary>
    IReadOnlyList<Volumes.SlotReservation> ListReservations();

    /// <summary>Holds a slot of <paramref name="pair"/> for volume <paramref name="volume"/>, chosen by
    /// <paramref name="choose"/> inside the writer (so volumes made at once get distinct slots). The same volume again
    /// gets its slot again; a volume name any storage node already has, or held for another pair, is a conflict naming
    /// <c>name</c>.</summary>
    Task<RegistryResult<Volumes.SlotReservation>> ReserveSlotAsync(string pair, string volume, Volumes.SlotChooser choose, CancellationToken cancellationToken = default);

    /// <summary>Lets go of the slot held for <paramref name="volume"/> (nothing when none is held).</summary>
    Task ReleaseSlotAsync(string pair, string volume, CancellationToken cancellationToken = default);

    /// <summary>Registers a hardware node whose root is still to be made: like <see cref="AddNodeAsync"/>, but the node
    /// starts <c>provisioning</c> and a slot of <paramref name="pair"/> is held for its root volume
    /// <paramref name="volume"/>, in the same write. With <paramref name="choose"/> null (an NFS root, which needs no AoE
    /// slot) no slot is held and the reservation is null.</summary>
    Task<RegistryResult<(Node Node, Volumes.SlotReservation? Slot)>> AddProvisioningNodeAsync(NodeInput input, string pair, string volume, Volumes.SlotChooser? choose, Actor actor, CancellationToken cancellationToken = default);

    /// <summary>Records a volume on every storage node of <paramref name="volume"/> in one write and lets go of its
    /// slot's reservation. A copy already recorded with the same slot is kept (a retry); a slot taken by another volume of
    /// a node is a conflict naming <c>slot</c>, and nothing is written.</summary>
    Task<RegistryResult<Volumes.PairVolume>> RecordVolumeAsync(Volumes.VolumeRecord volume, Actor actor, CancellationToken cancellationToken = default);

    /// <summary>Removes a volume from every storage node that holds it, in one write. Refused (a conflict naming
    /// <c>name</c>) while a hardware node's root or an instance's disk is on it; <paramref name="pair"/> is needed only
    /// when two pairs have a volume of that name.</summary>
    Task<RegistryResult<Volumes.PairVolume>> RemoveVolumeAsync(string name, string? pair, Actor actor, CancellationToken cancellationToken = default);

    /// <summary>Adds NFS export paths to storage nodes, all in one write (a path a node already exports is kept: a retry).
    /// An unknown node or one that is not a storage node is an error naming <c>node</c>, and nothing is written.</summary>
    Task<RegistryResult<IReadOnlyList<Node>>> AddNfsExportsAsync(IReadOnlyList<Volumes.NfsExportRecord> exports, Actor actor, CancellationToken cancellationToken = default);

    /// <summary>Removes NFS export paths from storage nodes, all in one write (a path a node does not export is no error).
    /// Refused (a conflict naming <c>nfsExports</c>) while a hardware node's root is one of the paths.</summary>
    Task<RegistryResult<IReadOnlyList<Node>>> RemoveNfsExportsAsync(IReadOnlyList<Volumes.NfsExportRecord> exports, Actor actor, CancellationToken cancellationToken = default);

    /// <summary>Ends a node's provisioning in one write: its root becomes <paramref name="root"/> and it goes from
    /// <c>provisioning</c> to <c>registered</c> (lifecycle trigger <c>ProvisioningFinished</c>).</summary>
    Task<RegistryResult<Node>> FinishProvisioningAsync(string name, RootSpec root, string message, Actor actor, CancellationToken cancellationToken = default);

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

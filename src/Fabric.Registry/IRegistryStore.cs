using Fabric.Core;
using Fabric.Core.Events;

namespace Fabric.Registry;

/// <summary>A node as a store keeps it: its row id and when it entered its current state.</summary>
public sealed record StoredNode(long Id, Node Node, DateTimeOffset StateChangedAt);

/// <summary>Everything a store holds but the event log, read once when the registry opens.</summary>
public sealed record StoredRegistry(IReadOnlyList<Network> Networks, IReadOnlyList<StoredNode> Nodes);

/// <summary>One entry to append to a node's event log.</summary>
public sealed record EventRecord(string Node, DateTimeOffset At, EventKind Kind, string Message, Actor Actor);

/// <summary>Where the registry keeps its data: SQL and nothing else. The registry service decides what to write (it
/// holds every domain rule and the in-memory snapshot); a store writes it durably and is the last word on uniqueness
/// (names, MACs, addresses), reporting a taken value as <see cref="RegistryConflictException"/>. Anything else it
/// cannot do (disk full, read-only, corrupt) is a <see cref="RegistryStoreException"/>.</summary>
public interface IRegistryStore : IDisposable
{
    /// <summary>Every network and node, for the registry's snapshot.</summary>
    StoredRegistry Load();

    /// <summary>Starts a batch: one transaction holding several operations, committed once.</summary>
    IRegistryBatch BeginBatch();

    /// <summary>The newest <paramref name="limit"/> events of a node, oldest first.</summary>
    Task<IReadOnlyList<NodeEvent>> ListEventsAsync(string node, int limit, CancellationToken cancellationToken = default);
}

/// <summary>One transaction of a store, used by one writer. Each operation runs between <see cref="BeginOperation"/>
/// and <see cref="EndOperation"/>; <see cref="UndoOperation"/> takes back only the current one. Nothing is kept unless
/// <see cref="Commit"/> is called.</summary>
public interface IRegistryBatch : IDisposable
{
    void BeginOperation();

    void EndOperation();

    void UndoOperation();

    /// <summary>Stores a new node with its MACs, address, labels and role fields; returns its id.</summary>
    long InsertNode(Node node, DateTimeOffset stateChangedAt);

    /// <summary>Replaces everything stored about a node (not its id or name).</summary>
    void ReplaceNode(long id, Node node, DateTimeOffset stateChangedAt);

    /// <summary>Moves a node to another state (also its update time).</summary>
    void SetState(long id, NodeState state, DateTimeOffset at);

    void DeleteNode(long id);

    void InsertEvent(EventRecord entry);

    /// <summary>Keeps only the newest <paramref name="keep"/> events of a node.</summary>
    void TrimEvents(string node, int keep);

    /// <summary>Deletes every event of a node (a discovered node swept away leaves nothing behind).</summary>
    void DeleteEvents(string node);

    void InsertNetwork(Network network, DateTimeOffset createdAt);

    void DeleteNetwork(string name);

    /// <summary>Writes and takes back a change, to learn whether the store can be written at all.</summary>
    void ProbeWrite();

    void Commit();
}

/// <summary>A unique value is already taken, or a change would break a reference: the store's constraint said no.</summary>
public sealed class RegistryConflictException(FieldError error, Exception? inner = null) : Exception(error.ToString(), inner)
{
    public FieldError Error { get; } = error;
}

/// <summary>The store could not do what it was asked (disk full, read-only, corrupt, gone).</summary>
public sealed class RegistryStoreException(string message, Exception? inner = null) : Exception(message, inner);

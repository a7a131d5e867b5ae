using Fabric.Core;
using Fabric.Registry;

namespace Fabric.Appliance.Tests.Boot;

/// <summary>A real store that can be told to fail every commit and write probe, as a full disk would.</summary>
internal sealed class FailingStore(IRegistryStore inner) : IRegistryStore
{
    public volatile bool FailWrites;

    public StoredRegistry Load() => inner.Load();

    public IRegistryBatch BeginBatch() => new Batch(inner.BeginBatch(), this);

    public Task<IReadOnlyList<NodeEvent>> ListEventsAsync(string node, int limit, CancellationToken cancellationToken = default) =>
        inner.ListEventsAsync(node, limit, cancellationToken);

    public void Dispose() => inner.Dispose();

    private sealed class Batch(IRegistryBatch inner, FailingStore store) : IRegistryBatch
    {
        private void Check()
        {
            if (store.FailWrites)
            {
                throw new RegistryStoreException("the registry database cannot be written: disk I/O error (database or disk is full)");
            }
        }

        public void BeginOperation() => inner.BeginOperation();

        public void EndOperation() => inner.EndOperation();

        public void UndoOperation() => inner.UndoOperation();

        public long InsertNode(Node node, DateTimeOffset stateChangedAt) => inner.InsertNode(node, stateChangedAt);

        public void ReplaceNode(long id, Node node, DateTimeOffset stateChangedAt) => inner.ReplaceNode(id, node, stateChangedAt);

        public void SetState(long id, NodeState state, DateTimeOffset at) => inner.SetState(id, state, at);

        public void DeleteNode(long id) => inner.DeleteNode(id);

        public void InsertEvent(EventRecord entry)
        {
            Check();
            inner.InsertEvent(entry);
        }

        public void TrimEvents(string node, int keep) => inner.TrimEvents(node, keep);

        public void DeleteEvents(string node) => inner.DeleteEvents(node);

        public void InsertNetwork(Network network, DateTimeOffset createdAt) => inner.InsertNetwork(network, createdAt);

        public void DeleteNetwork(string name) => inner.DeleteNetwork(name);

        public void ProbeWrite()
        {
            Check();
            inner.ProbeWrite();
        }

        public void Commit()
        {
            Check();
            inner.Commit();
        }

        public void Dispose() => inner.Dispose();
    }
}

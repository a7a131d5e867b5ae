using System.Collections.Immutable;
using Fabric.Registry.Changes;

namespace Fabric.Registry;

internal sealed partial class RegistryService
{
    private ImmutableArray<Action<IReadOnlyList<NodeChange>>> _observers = [];

    public IDisposable Subscribe(Action<IReadOnlyList<NodeChange>> observer)
    {
        ArgumentNullException.ThrowIfNull(observer);
        ImmutableInterlocked.Update(ref _observers, (list, o) => list.Add(o), observer);
        return new Subscription(this, observer);
    }

    /// <summary>The nodes that differ between two snapshots, given to every observer. Only the nodes the group touched
    /// are compared (<see cref="RegistrySnapshot.Touched"/>; an unchanged node keeps its entry, so this compares
    /// references first): the cost is the group's size, not the registry's. Nothing is computed when no one observes.</summary>
    private void Publish(RegistrySnapshot before, RegistrySnapshot after)
    {
        var observers = _observers;
        if (observers.IsEmpty || ReferenceEquals(before.Nodes, after.Nodes))
        {
            return;
        }

        var changes = new List<NodeChange>();
        foreach (var name in after.Touched)
        {
            before.Nodes.TryGetValue(name, out var old);
            after.Nodes.TryGetValue(name, out var entry);
            if (old is null && entry is not null)
            {
                changes.Add(new NodeChange(null, entry.Node));
            }
            else if (old is not null && entry is null)
            {
                changes.Add(new NodeChange(old.Node, null));
            }
            else if (old is not null && entry is not null && !ReferenceEquals(old, entry) && old.Node != entry.Node)
            {
                changes.Add(new NodeChange(old.Node, entry.Node));
            }
        }

        if (changes.Count == 0)
        {
            return;
        }

        foreach (var observer in observers)
        {
            try
            {
                observer(changes);
            }
            catch (Exception)
            {
                // An observer's failure is its own; the write is committed and the other observers still hear of it.
            }
        }
    }

    private sealed class Subscription(RegistryService registry, Action<IReadOnlyList<NodeChange>> observer) : IDisposable
    {
        public void Dispose() => ImmutableInterlocked.Update(ref registry._observers, (list, o) => list.Remove(o), observer);
    }
}

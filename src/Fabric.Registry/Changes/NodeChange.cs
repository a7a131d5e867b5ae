using Fabric.Core;

namespace Fabric.Registry.Changes;

/// <summary>One node as a committed write left it: added (<see cref="Before"/> null), changed, or removed
/// (<see cref="After"/> null).</summary>
public sealed record NodeChange(Node? Before, Node? After)
{
    /// <summary>The node's name.</summary>
    public string Name => (After ?? Before)!.Name;
}

/// <summary>Tells observers which nodes each committed write group changed, after the registry shows the change (so an
/// observer reading the registry sees it). Observers are called on the registry's writer: they must return at once
/// (hand the work to a queue of their own); an observer that throws is skipped, never the write.</summary>
public interface IRegistryChanges
{
    /// <summary>Calls <paramref name="observer"/> with the changed nodes of every write group from now on, until the
    /// returned handle is disposed.</summary>
    IDisposable Subscribe(Action<IReadOnlyList<NodeChange>> observer);
}

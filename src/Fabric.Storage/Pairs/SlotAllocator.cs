using Fabric.Core;

namespace Fabric.Storage.Pairs;

/// <summary>Volume slots of a pair. A slot is taken when a volume of either node uses it, when a node's root points at it on
/// either shelf, or when it is reserved by a provisioning job still running. The caller runs this where writes are serialised
/// (the registry's writer), so nodes added at the same moment get distinct slots.</summary>
public static class SlotAllocator
{
    /// <summary>Slots are handed out from 1, as the lab and most AoE setups number them; slot 0 stays for hand-made exports.</summary>
    public const int FirstSlot = 1;

    /// <summary>Every slot of the pair that is in use.</summary>
    public static IReadOnlySet<int> Taken(StoragePair pair, IEnumerable<Node> allNodes, IEnumerable<int>? reserved = null)
    {
        var taken = new HashSet<int>(reserved ?? []);
        foreach (var node in pair.Nodes)
        {
            taken.UnionWith(node.Storage!.Volumes.Select(v => v.Slot));
        }

        var shelves = new HashSet<int> { pair.ShelfA, pair.ShelfB };
        foreach (var node in allNodes)
        {
            if (node.Hardware?.Root is { } root)
            {
                taken.UnionWith(root.AoeTargets.Where(t => shelves.Contains(t.Shelf)).Select(t => t.Slot));
            }
        }

        return taken;
    }

    /// <summary>The lowest free slot of the pair (<see cref="FirstSlot"/>-<see cref="AoeTarget.MaxSlot"/>), or null when every slot is taken
    /// (the API answers 409).</summary>
    public static int? NextFree(StoragePair pair, IEnumerable<Node> allNodes, IEnumerable<int>? reserved = null)
    {
        var taken = Taken(pair, allNodes, reserved);
        for (int slot = FirstSlot; slot <= AoeTarget.MaxSlot; slot++)
        {
            if (!taken.Contains(slot))
            {
                return slot;
            }
        }

        return null;
    }
}

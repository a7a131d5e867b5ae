using Fabric.Core;
using Fabric.Storage.Pairs;
using static Fabric.Storage.Tests.Fixtures;

namespace Fabric.Storage.Tests.Pairs;

public sealed class SlotAllocatorTests
{
    private static StoragePair Pair(out List<Node> nodes, StorageVolume[]? a = null, StorageVolume[]? b = null)
    {
        nodes = [StorageNode("s2", "p1", 2, b ?? []), StorageNode("s1", "p1", 1, a ?? [])];
        Assert.True(StoragePair.TryResolve(nodes, "p1", out var pair, out var reason), reason);
        return pair;
    }

    [Fact]
    public void TryResolve_TwoNodes_LowerShelfIsA()
    {
        var pair = Pair(out _);

        Assert.Equal(("s1", "s2"), (pair.A.Name, pair.B.Name));
        Assert.Equal("aoe-md:e1.7,e2.7", pair.RootOf(7).ToString());
    }

    [Theory]
    [InlineData(1, "has 1 storage node(s) (s1)")]
    [InlineData(3, "has 3 storage node(s)")]
    public void TryResolve_NotTwoNodes_FalseNamingTheCount(int count, string reason)
    {
        var nodes = Enumerable.Range(1, count).Select(i => StorageNode($"s{i}", "p1", i)).ToList();

        Assert.False(StoragePair.TryResolve(nodes, "p1", out _, out var why));
        Assert.Contains(reason, why, StringComparison.Ordinal);
    }

    [Fact]
    public void TryResolve_SameShelf_FalseNamingTheShelf()
    {
        Assert.False(StoragePair.TryResolve([StorageNode("s1", "p1", 4), StorageNode("s2", "p1", 4)], "p1", out _, out var why));
        Assert.Contains("AoE shelf 4", why, StringComparison.Ordinal);
    }

    [Fact]
    public void NextFree_VolumesAndRootsOnEitherShelf_LowestUnusedSlot()
    {
        var pair = Pair(out var nodes, a: [Volume("v1", 1)], b: [Volume("v2", 2)]);
        nodes.Add(Hardware("h1", "aoe-md:e1.3,e2.3"));
        nodes.Add(Hardware("h2", "aoe:e9.4"));

        Assert.Equal([1, 2, 3], SlotAllocator.Taken(pair, nodes).Order());
        Assert.Equal(4, SlotAllocator.NextFree(pair, nodes));
    }

    [Fact]
    public void NextFree_TenNodesAddedOneAfterAnother_TenDistinctSlots()
    {
        var pair = Pair(out var nodes);
        var reserved = new List<int>();

        for (int i = 0; i < 10; i++)
        {
            reserved.Add(SlotAllocator.NextFree(pair, nodes, reserved)!.Value);
        }

        Assert.Equal(Enumerable.Range(1, 10), reserved);
    }

    [Fact]
    public void NextFree_EverySlotTaken_Null()
    {
        var full = Enumerable.Range(SlotAllocator.FirstSlot, AoeTarget.MaxSlot).Select(s => Volume($"v{s}", s)).ToArray();
        var pair = Pair(out var nodes, a: full);

        Assert.Null(SlotAllocator.NextFree(pair, nodes));
    }
}

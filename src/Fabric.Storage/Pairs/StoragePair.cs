using System.Diagnostics.CodeAnalysis;
using Fabric.Core;

namespace Fabric.Storage.Pairs;

/// <summary>The two storage nodes of one <c>pair</c>, <see cref="A"/> the one with the lower AoE shelf. Volume slot N is
/// <c>eA.N</c> on <see cref="A"/> and <c>eB.N</c> on <see cref="B"/>; a root on the pair is <c>aoe-md:eA.N,eB.N</c>.</summary>
public sealed record StoragePair(string Name, Node A, Node B)
{
    public int ShelfA => A.Storage!.AoeShelf!.Value;

    public int ShelfB => B.Storage!.AoeShelf!.Value;

    public IEnumerable<Node> Nodes => [A, B];

    /// <summary>The md root of volume slot <paramref name="slot"/>: both halves.</summary>
    public RootSpec RootOf(int slot) => RootSpec.AoeMd(new AoeTarget(ShelfA, slot), new AoeTarget(ShelfB, slot));

    /// <summary>The pair named <paramref name="name"/> among <paramref name="nodes"/>: exactly two storage nodes that are not
    /// retired, each with its own AoE shelf; otherwise false with the reason.</summary>
    public static bool TryResolve(IEnumerable<Node> nodes, string name, [NotNullWhen(true)] out StoragePair? pair, out string reason)
    {
        pair = null;
        var members = nodes
            .Where(n => n.Role == NodeRole.Storage && n.State != NodeState.Retired && string.Equals(n.Storage?.Pair, name, StringComparison.OrdinalIgnoreCase))
            .ToList();
        if (members.Count != 2)
        {
            reason = $"pair '{name}' has {members.Count} storage node(s){(members.Count == 0 ? "" : $" ({string.Join(", ", members.Select(m => m.Name))})")}; a pair is exactly two";
            return false;
        }

        if (members.FirstOrDefault(m => m.Storage!.AoeShelf is null) is { } noShelf)
        {
            reason = $"storage node '{noShelf.Name}' of pair '{name}' has no aoeShelf";
            return false;
        }

        if (members[0].Storage!.AoeShelf == members[1].Storage!.AoeShelf)
        {
            reason = $"both storage nodes of pair '{name}' use AoE shelf {members[0].Storage!.AoeShelf}; each needs its own";
            return false;
        }

        members.Sort((x, y) => x.Storage!.AoeShelf!.Value.CompareTo(y.Storage!.AoeShelf!.Value));
        pair = new StoragePair(name, members[0], members[1]);
        reason = "";
        return true;
    }
}

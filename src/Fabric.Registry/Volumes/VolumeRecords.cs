using Fabric.Core;

namespace Fabric.Registry.Volumes;

/// <summary>A volume slot of a pair held for a volume being made (by a <c>volume-create</c> or <c>provision-root</c> job),
/// so that volumes made at the same time get distinct slots. Kept in memory: after a restart the interrupted job reserves
/// again when it is retried.</summary>
/// <param name="Pair">The storage pair.</param>
/// <param name="Slot">The slot held.</param>
/// <param name="Volume">The volume the slot is held for.</param>
/// <param name="Node">The hardware node whose root the volume becomes, if any.</param>
public sealed record SlotReservation(string Pair, int Slot, string Volume, string? Node);

/// <summary>Chooses the slot of a new volume of a pair inside the registry's writer, from every node and the slots already
/// reserved on the pair: the slot, or the reason there is none (a validation or conflict error naming the field).</summary>
public delegate RegistryResult<int> SlotChooser(IReadOnlyList<Node> nodes, IReadOnlyCollection<int> reserved);

/// <summary>One copy of a volume: the storage node that holds it and its file there.</summary>
public sealed record VolumeCopy(string Node, string BackingPath);

/// <summary>A volume of a pair to record: the same name, slot and size on every copy, written in one registry write.</summary>
public sealed record VolumeRecord(string Pair, string Name, int Slot, long SizeBytes, IReadOnlyList<VolumeCopy> Copies);

/// <summary>A volume of a pair as the registry has it: its copies, and who uses it.</summary>
/// <param name="Pair">The pair.</param>
/// <param name="Name">The volume's name.</param>
/// <param name="Slot">Its slot on every copy.</param>
/// <param name="SizeBytes">Its size.</param>
/// <param name="Copies">The storage nodes that hold it (two, for a complete volume of a pair).</param>
/// <param name="UsedBy">Hardware nodes whose root is on it and instances whose disk is on it.</param>
public sealed record PairVolume(string Pair, string Name, int Slot, long SizeBytes, IReadOnlyList<VolumeCopy> Copies, IReadOnlyList<string> UsedBy);

/// <summary>One NFS export of a storage node: the node and the exported folder's path.</summary>
public sealed record NfsExportRecord(string Node, string Path);

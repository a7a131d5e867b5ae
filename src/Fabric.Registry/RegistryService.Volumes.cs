using Fabric.Core;
using Fabric.Core.Events;
using Fabric.Core.Lifecycle;
using Fabric.Registry.Validation;
using Fabric.Registry.Volumes;

namespace Fabric.Registry;

/// <summary>Volumes of storage pairs: slots held while a volume is made, then recorded on both storage nodes in one
/// write; removal refused while a node uses the volume.</summary>
internal sealed partial class RegistryService
{
    public IReadOnlyList<PairVolume> ListVolumes() => VolumesOf(_snapshot);

    public IReadOnlyList<SlotReservation> ListReservations() =>
        [.. _snapshot.Reservations.Values.OrderBy(r => r.Pair, StringComparer.Ordinal).ThenBy(r => r.Slot)];

    public Task<RegistryResult<SlotReservation>> ReserveSlotAsync(string pair, string volume, SlotChooser choose, CancellationToken cancellationToken = default) =>
        WriteAsync((snapshot, batch) =>
        {
            var (result, next) = Reserve(snapshot, pair, volume, null, choose);
            return (result, next);
        }, cancellationToken);

    public Task ReleaseSlotAsync(string pair, string volume, CancellationToken cancellationToken = default) =>
        WriteAsync<bool>((snapshot, batch) =>
            (RegistryResult<bool>.Ok(true), snapshot with { Reservations = snapshot.Reservations.Remove((Key(pair), volume)) }), cancellationToken);

    public Task<RegistryResult<(Node Node, SlotReservation? Slot)>> AddProvisioningNodeAsync(NodeInput input, string pair, string volume, SlotChooser? choose, Actor actor, CancellationToken cancellationToken = default) =>
        WriteAsync<(Node, SlotReservation?)>((snapshot, batch) =>
        {
            var validated = NodeValidator.Validate(input with { State = null }, snapshot, existing: null);
            if (!validated.Succeeded)
            {
                return (validated.Error, snapshot);
            }

            if (validated.Value.Role != NodeRole.Hardware)
            {
                return (RegistryError.Invalid("role", "only a hardware node has its root provisioned"), snapshot);
            }

            SlotReservation? slot = null;
            var next = snapshot;
            if (choose is not null)
            {
                var (reserved, held) = Reserve(snapshot, pair, volume, validated.Value.Name, choose);
                if (!reserved.Succeeded)
                {
                    return (reserved.Error, snapshot);
                }

                (slot, next) = (reserved.Value, held);
            }

            var now = _time.GetUtcNow();
            var node = validated.Value with { State = NodeState.Provisioning, CreatedAt = now, UpdatedAt = now };
            long id = batch.InsertNode(node, now);
            AppendEvent(batch, node.Name, now, EventKind.Created, Nodes.NodeChanges.Describe(node), actor);
            AppendEvent(batch, node.Name, now, EventKind.ProvisioningStarted, slot is null ? $"NFS root {volume} on pair {pair}" : $"root volume {volume} on pair {pair}, slot {slot.Slot}", actor);
            return (RegistryResult<(Node, SlotReservation?)>.Ok((node, slot)), next.WithNode(new StoredNode(id, node, now)));
        }, cancellationToken);

    public Task<RegistryResult<PairVolume>> RecordVolumeAsync(VolumeRecord volume, Actor actor, CancellationToken cancellationToken = default) =>
        WriteAsync((snapshot, batch) =>
        {
            ArgumentNullException.ThrowIfNull(volume);
            var changed = new List<StoredNode>();
            foreach (var copy in volume.Copies)
            {
                if (!snapshot.Nodes.TryGetValue(Key(copy.Node), out var entry) || entry.Node.Storage is not { } storage)
                {
                    return (RegistryError.NotFound("node", $"no storage node named '{copy.Node}'"), snapshot);
                }

                if (storage.Volumes.FirstOrDefault(v => v.Name == volume.Name) is { } same)
                {
                    if (same.Slot != volume.Slot)
                    {
                        return (RegistryError.Conflict("slot", $"node '{entry.Node.Name}' has volume {volume.Name} in slot {same.Slot}, not {volume.Slot}"), snapshot);
                    }

                    continue;
                }

                if (storage.Volumes.FirstOrDefault(v => v.Slot == volume.Slot) is { } other)
                {
                    return (RegistryError.Conflict("slot", $"slot {volume.Slot} of node '{entry.Node.Name}' holds volume {other.Name}"), snapshot);
                }

                var node = entry.Node with
                {
                    Storage = storage with { Volumes = [.. storage.Volumes, new StorageVolume(volume.Name, volume.Slot, volume.SizeBytes, copy.BackingPath)] },
                };
                changed.Add(new StoredNode(entry.Id, node, entry.StateChangedAt));
            }

            var now = _time.GetUtcNow();
            foreach (var entry in changed)
            {
                var node = entry.Node with { UpdatedAt = now };
                batch.ReplaceNode(entry.Id, node, entry.StateChangedAt);
                AppendEvent(batch, node.Name, now, EventKind.Updated, $"volumes: + {volume.Name}@{volume.Slot} ({volume.SizeBytes} bytes)", actor);
                snapshot = snapshot.WithNode(entry with { Node = node });
            }

            snapshot = snapshot with { Reservations = snapshot.Reservations.Remove((Key(volume.Pair), volume.Name)) };
            var recorded = VolumesOf(snapshot).First(v => v.Name == volume.Name && string.Equals(v.Pair, volume.Pair, StringComparison.OrdinalIgnoreCase));
            return (RegistryResult<PairVolume>.Ok(recorded), snapshot);
        }, cancellationToken);

    public Task<RegistryResult<PairVolume>> RemoveVolumeAsync(string name, string? pair, Actor actor, CancellationToken cancellationToken = default) =>
        WriteAsync((snapshot, batch) =>
        {
            var matches = VolumesOf(snapshot)
                .Where(v => v.Name == name && (pair is null || string.Equals(v.Pair, pair, StringComparison.OrdinalIgnoreCase)))
                .ToList();
            if (matches.Count == 0)
            {
                return (RegistryError.NotFound("name", $"no volume named '{name}'{(pair is null ? "" : $" on pair '{pair}'")}"), snapshot);
            }

            if (matches.Count > 1)
            {
                return (RegistryError.Conflict("pair", $"pairs {string.Join(" and ", matches.Select(m => m.Pair))} both have a volume '{name}': name the pair"), snapshot);
            }

            var volume = matches[0];
            if (volume.UsedBy.Count > 0)
            {
                return (RegistryError.Conflict("name", $"volume '{name}' is in use by {string.Join(", ", volume.UsedBy)}"), snapshot);
            }

            var now = _time.GetUtcNow();
            foreach (var copy in volume.Copies)
            {
                var entry = snapshot.Nodes[Key(copy.Node)];
                var storage = entry.Node.Storage!;
                var node = entry.Node with { Storage = storage with { Volumes = [.. storage.Volumes.Where(v => v.Name != name)] }, UpdatedAt = now };
                batch.ReplaceNode(entry.Id, node, entry.StateChangedAt);
                AppendEvent(batch, node.Name, now, EventKind.Updated, $"volumes: - {name}@{volume.Slot}", actor);
                snapshot = snapshot.WithNode(entry with { Node = node });
            }

            return (RegistryResult<PairVolume>.Ok(volume), snapshot);
        }, cancellationToken);

    public Task<RegistryResult<IReadOnlyList<Node>>> AddNfsExportsAsync(IReadOnlyList<NfsExportRecord> exports, Actor actor, CancellationToken cancellationToken = default) =>
        ChangeNfsExportsAsync(exports, add: true, actor, cancellationToken);

    public Task<RegistryResult<IReadOnlyList<Node>>> RemoveNfsExportsAsync(IReadOnlyList<NfsExportRecord> exports, Actor actor, CancellationToken cancellationToken = default) =>
        ChangeNfsExportsAsync(exports, add: false, actor, cancellationToken);

    /// <summary>The hardware nodes (not retired) whose root is the NFS export <paramref name="path"/>, by name.</summary>
    internal static List<string> NfsRootUsers(RegistrySnapshot snapshot, string path) =>
        [.. snapshot.Nodes.Values.Select(e => e.Node)
            .Where(n => n.State != NodeState.Retired && n.Hardware?.Root is { Transport: RootTransport.Nfs } root && root.NfsPath == path)
            .Select(n => n.Name)
            .Order(StringComparer.Ordinal)];

    private Task<RegistryResult<IReadOnlyList<Node>>> ChangeNfsExportsAsync(IReadOnlyList<NfsExportRecord> exports, bool add, Actor actor, CancellationToken cancellationToken) =>
        WriteAsync<IReadOnlyList<Node>>((snapshot, batch) =>
        {
            ArgumentNullException.ThrowIfNull(exports);
            var byNode = new List<(StoredNode Entry, List<string> Paths)>();
            foreach (var group in exports.GroupBy(e => Key(e.Node)))
            {
                if (!snapshot.Nodes.TryGetValue(group.Key, out var entry) || entry.Node.Storage is null)
                {
                    return (RegistryError.NotFound("node", $"no storage node named '{group.First().Node}'"), snapshot);
                }

                var current = entry.Node.Storage.NfsExports;
                var paths = group.Select(e => e.Path).Distinct(StringComparer.Ordinal)
                    .Where(p => add != current.Contains(p, StringComparer.Ordinal))
                    .ToList();
                if (!add && paths.Select(p => (Path: p, Users: NfsRootUsers(snapshot, p))).FirstOrDefault(u => u.Users.Count > 0) is { Users: not null } used)
                {
                    return (RegistryError.Conflict("nfsExports", $"'{used.Path}' is the root of {string.Join(", ", used.Users)}"), snapshot);
                }

                if (paths.Count > 0)
                {
                    byNode.Add((entry, paths));
                }
            }

            var now = _time.GetUtcNow();
            var changed = new List<Node>();
            foreach (var (entry, paths) in byNode)
            {
                var storage = entry.Node.Storage!;
                IReadOnlyList<string> next = add ? [.. storage.NfsExports, .. paths] : [.. storage.NfsExports.Where(p => !paths.Contains(p, StringComparer.Ordinal))];
                var node = entry.Node with { Storage = storage with { NfsExports = next }, UpdatedAt = now };
                batch.ReplaceNode(entry.Id, node, entry.StateChangedAt);
                AppendEvent(batch, node.Name, now, EventKind.Updated, $"nfsExports: {(add ? "+" : "-")} {string.Join(", ", paths)}", actor);
                snapshot = snapshot.WithNode(entry with { Node = node });
                changed.Add(node);
            }

            return (RegistryResult<IReadOnlyList<Node>>.Ok(changed), snapshot);
        }, cancellationToken);

    public Task<RegistryResult<Node>> FinishProvisioningAsync(string name, RootSpec root, string message, Actor actor, CancellationToken cancellationToken = default) =>
        WriteAsync((snapshot, batch) =>
        {
            if (!snapshot.Nodes.TryGetValue(Key(name), out var entry))
            {
                return (RegistryError.NotFound("name", $"no node named '{name}'"), snapshot);
            }

            if (entry.Node.Hardware is not { } hardware)
            {
                return (RegistryError.Conflict("role", $"node '{entry.Node.Name}' is a {entry.Node.Role.ToWire()} node, not a hardware node"), snapshot);
            }

            var decision = NodeLifecycle.Decide(entry.Node.State, NodeTrigger.ProvisioningFinished, actor.Kind);
            if (!decision.Allowed)
            {
                return (RegistryError.Conflict("state", $"node '{entry.Node.Name}' is {entry.Node.State.ToWire()}: {decision.Reason}"), snapshot);
            }

            var now = _time.GetUtcNow();
            var node = entry.Node with { Hardware = hardware with { Root = root }, State = decision.Next, UpdatedAt = now };
            batch.ReplaceNode(entry.Id, node, now);
            AppendEvent(batch, node.Name, now, EventKind.ProvisioningFinished, $"root {root}: {message}", actor);
            return (RegistryResult<Node>.Ok(node), snapshot.WithNode(new StoredNode(entry.Id, node, now)));
        }, cancellationToken);

    /// <summary>Holds a slot for <paramref name="volume"/> of <paramref name="pair"/> in <paramref name="snapshot"/>.</summary>
    private static (RegistryResult<SlotReservation> Result, RegistrySnapshot Next) Reserve(RegistrySnapshot snapshot, string pair, string volume, string? node, SlotChooser choose)
    {
        var pairKey = Key(pair);
        if (snapshot.Reservations.TryGetValue((pairKey, volume), out var held))
        {
            return (RegistryResult<SlotReservation>.Ok(held), snapshot);
        }

        if (snapshot.Reservations.Values.FirstOrDefault(r => r.Volume == volume) is { } elsewhere)
        {
            return (RegistryError.Conflict("name", $"volume '{volume}' is being made on pair '{elsewhere.Pair}'"), snapshot);
        }

        if (snapshot.NodesOf(NodeRole.Storage).FirstOrDefault(n => n.Storage!.Volumes.Any(v => v.Name == volume)) is { } holder)
        {
            return (RegistryError.Conflict("name", $"volume '{volume}' exists on storage node '{holder.Name}'"), snapshot);
        }

        var reserved = snapshot.Reservations.Values.Where(r => r.Pair == pairKey).Select(r => r.Slot).ToHashSet();
        var chosen = choose(snapshot.Nodes.Values.Select(e => e.Node).ToList(), reserved);
        if (!chosen.Succeeded)
        {
            return (chosen.Error, snapshot);
        }

        var reservation = new SlotReservation(pairKey, chosen.Value, volume, node);
        return (RegistryResult<SlotReservation>.Ok(reservation), snapshot with { Reservations = snapshot.Reservations.SetItem((pairKey, volume), reservation) });
    }

    /// <summary>The volumes of every pair in <paramref name="snapshot"/>, with their users.</summary>
    private static List<PairVolume> VolumesOf(RegistrySnapshot snapshot)
    {
        var storage = snapshot.NodesOf(NodeRole.Storage).Where(n => n.Storage!.Pair is not null && n.State != NodeState.Retired).ToList();
        var result = new List<PairVolume>();
        foreach (var group in storage
            .SelectMany(n => n.Storage!.Volumes.Select(v => (Node: n, Volume: v)))
            .GroupBy(x => (Pair: x.Node.Storage!.Pair!, x.Volume.Name))
            .OrderBy(g => g.Key.Pair, StringComparer.Ordinal).ThenBy(g => g.Key.Name, StringComparer.Ordinal))
        {
            var first = group.First().Volume;
            var targets = group
                .Where(x => x.Node.Storage!.AoeShelf is not null)
                .Select(x => new AoeTarget(x.Node.Storage!.AoeShelf!.Value, x.Volume.Slot))
                .ToHashSet();
            var users = snapshot.Nodes.Values.Select(e => e.Node)
                .Where(n => (n.Hardware?.Root is { } root && root.AoeTargets.Any(targets.Contains))
                    || (n.Instance?.DiskVolume is { } disk && disk == group.Key.Name))
                .Select(n => n.Name)
                .Order(StringComparer.Ordinal)
                .ToList();
            result.Add(new PairVolume(
                group.Key.Pair,
                group.Key.Name,
                first.Slot,
                first.SizeBytes,
                [.. group.Select(x => new VolumeCopy(x.Node.Name, x.Volume.BackingPath))],
                users));
        }

        return result;
    }
}

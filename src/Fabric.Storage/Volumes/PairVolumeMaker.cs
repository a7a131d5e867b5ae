using System.Globalization;
using Fabric.Core;
using Fabric.Core.Events;
using Fabric.Jobs.Running;
using Fabric.Registry;
using Fabric.Registry.Images;
using Fabric.Registry.Volumes;
using Fabric.Remote.Commands;
using Fabric.Storage.Exports;
using Fabric.Storage.Pairs;

namespace Fabric.Storage.Volumes;

/// <summary>Makes a volume of a pair: its file on both storage nodes at once, then the volume recorded on both in one
/// registry write, then both nodes' exports synced. When either node fails (disk full, unreachable, host key mismatch) or
/// the job is cancelled, what was made is taken back (the files removed, the record removed, the exports synced again),
/// so nothing is recorded and nothing is left on the nodes. A volume already recorded on the pair is not made again: its
/// exports are synced and nothing else changes. Used by <c>volume-create</c> and <c>provision-root</c>.</summary>
internal sealed class PairVolumeMaker(IRegistry registry, PairHosts pairs, IImageStore images)
{
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromMinutes(30);

    /// <summary>What was made: the pair and the recorded volume.</summary>
    public sealed record Made(StoragePair Pair, PairVolume Volume, bool Existed);

    /// <summary>Holds a slot of <paramref name="pairName"/> for <paramref name="name"/> (the lowest free one).</summary>
    public Task<RegistryResult<SlotReservation>> ReserveAsync(string pairName, string name, CancellationToken cancellationToken) =>
        registry.ReserveSlotAsync(pairName, name, Chooser(pairName), cancellationToken);

    /// <summary>Chooses the lowest free slot of the pair inside the registry's writer: 400 naming <c>pair</c> when the pair
    /// is not a pair, 409 naming <c>slot</c> when every slot is taken.</summary>
    public static SlotChooser Chooser(string pairName) => (nodes, reserved) =>
    {
        if (!StoragePair.TryResolve(nodes, pairName, out var pair, out var reason))
        {
            return RegistryError.Invalid("pair", reason);
        }

        return SlotAllocator.NextFree(pair, nodes, reserved) is { } slot
            ? RegistryResult<int>.Ok(slot)
            : RegistryError.Conflict("slot", $"pair '{pair.Name}' has no free slot ({SlotAllocator.FirstSlot}-{AoeTarget.MaxSlot} are taken)");
    };

    public async Task<Made> MakeAsync(IJobContext context, string pairName, string name, long sizeBytes, string? image, Actor actor)
    {
        var cancellationToken = context.CancellationToken;
        var pair = pairs.Resolve(pairName);
        if (registry.ListVolumes().FirstOrDefault(v => v.Name == name && string.Equals(v.Pair, pair.Name, StringComparison.OrdinalIgnoreCase)) is { Copies.Count: 2 } existing)
        {
            context.Log($"volume {name} is recorded on pair {pair.Name} (slot {existing.Slot}): syncing its exports only");
            await context.StepAsync("sync exports");
            await SyncExportsAsync(pair.Name, context);
            return new Made(pair, existing, true);
        }

        var stored = image is null ? null : images.Find(pair.Name, image);
        if (image is not null && stored is null)
        {
            throw new JobFailedException($"pair '{pair.Name}' has no image '{image}' (push it first: fabric image push {image} --file F --pair {pair.Name})");
        }

        if (stored is not null && !stored.Format.MakesVolumes())
        {
            throw new JobFailedException($"image '{image}' of pair '{pair.Name}' is a {stored.Format.ToWire()} image (an NFS root); a volume is made from an ext4 or disk image");
        }

        var reserved = await ReserveAsync(pair.Name, name, cancellationToken);
        if (!reserved.Succeeded)
        {
            throw new JobFailedException(reserved.Error.ToString());
        }

        int slot = reserved.Value.Slot;
        context.Log($"volume {name}: slot {slot} of pair {pair.Name} ({pair.A.Name} e{pair.ShelfA}.{slot}, {pair.B.Name} e{pair.ShelfB}.{slot})");
        var made = new List<Node>();
        try
        {
            await context.StepAsync(image is null ? $"make empty volume files ({sizeBytes} bytes)" : $"copy image {image} into volume files ({sizeBytes} bytes)");
            var outcomes = await pairs.BothAsync(pair, context, async (node, host) =>
            {
                var file = VolumeScripts.FileOf(node.Storage!, name);
                var from = image is null ? null : VolumeScripts.ImageOf(node.Storage!, image);
                if (context.Job.Attempt > 1)
                {
                    // A retry: an attempt the appliance stopped in the middle may have left the file of this volume,
                    // which the registry does not have. It is this job's own, so it goes before the file is made again.
                    (await host.RunAsync(VolumeScripts.RemoveCommand(file), Options(context, node), cancellationToken)).EnsureSuccess();
                }

                var result = await host.RunAsync(VolumeScripts.CreateCommand(file, sizeBytes, from), Options(context, node), cancellationToken);
                result.EnsureSuccess();
                lock (made)
                {
                    made.Add(node);
                }

                context.Log($"{node.Name}: made {file}");
            });
            PairHosts.ThrowIfAnyFailed(outcomes, cancellationToken);

            await context.StepAsync("record the volume");
            var record = new VolumeRecord(pair.Name, name, slot, sizeBytes, [.. pair.Nodes.Select(n => new VolumeCopy(n.Name, VolumeScripts.FileOf(n.Storage!, name)))]);
            var recorded = await registry.RecordVolumeAsync(record, actor, CancellationToken.None);
            if (!recorded.Succeeded)
            {
                throw new JobFailedException($"the registry did not record volume {name}: {recorded.Error}");
            }

            cancellationToken.ThrowIfCancellationRequested();
            await context.StepAsync("start exports");
            await SyncExportsAsync(pair.Name, context);
            return new Made(pairs.Resolve(pair.Name), recorded.Value, false);
        }
        catch (Exception e) when (e is JobFailedException or OperationCanceledException)
        {
            context.Log($"volume {name} failed: {e.Message}; taking back what was made");
            await TakeBackAsync(context, pair.Name, name, made, actor);
            throw;
        }
    }

    /// <summary>Removes a volume made by <see cref="MakeAsync"/>: its record (when there), its exports and its files on
    /// <paramref name="made"/> (null: both nodes of the pair), and its slot. Best effort: runs even when the job is
    /// cancelled, and logs what it could not undo.</summary>
    public async Task TakeBackAsync(IJobContext context, string pairName, string name, IReadOnlyCollection<Node>? made, Actor actor)
    {
        var removed = await registry.RemoveVolumeAsync(name, pairName, actor, CancellationToken.None);
        if (removed.Succeeded)
        {
            context.Log($"volume {name}: record removed");
        }

        await registry.ReleaseSlotAsync(pairName, name, CancellationToken.None);
        if (!StoragePair.TryResolve(registry.ListNodes(NodeRole.Storage), pairName, out var pair, out _))
        {
            return;
        }

        var nodes = (made ?? [.. pair.Nodes]).Select(n => n.Name).ToHashSet(StringComparer.Ordinal);
        foreach (var node in pair.Nodes.Where(n => nodes.Contains(n.Name)))
        {
            try
            {
                var host = pairs.HostOf(node);
                if (removed.Succeeded)
                {
                    await pairs.SyncExportsAsync(host, node, context.Log, CancellationToken.None);
                }

                var file = VolumeScripts.FileOf(node.Storage!, name);
                (await host.RunAsync(VolumeScripts.RemoveCommand(file), new RemoteRunOptions(TimeSpan.FromMinutes(1)), CancellationToken.None)).EnsureSuccess();
                context.Log($"{node.Name}: removed {file}");
            }
            catch (Exception e) when (e is Remote.RemoteHostException or Remote.RemoteCommandFailedException or Remote.RemoteCommandTimeoutException)
            {
                context.Log($"{node.Name}: could not remove volume {name}: {e.Message}");
            }
        }
    }

    /// <summary>Brings both nodes' exports to the registry, in parallel.</summary>
    public async Task SyncExportsAsync(string pairName, IJobContext context)
    {
        var pair = pairs.Resolve(pairName);
        var outcomes = await pairs.BothAsync(pair, context, (node, host) =>
            pairs.SyncExportsAsync(host, node, context.Log, context.CancellationToken));
        PairHosts.ThrowIfAnyFailed(outcomes, context.CancellationToken);
    }

    private static RemoteRunOptions Options(IJobContext context, Node node) =>
        new(CommandTimeout, line => context.Log($"{node.Name}: {line.Text}"));
}

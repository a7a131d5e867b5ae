using System.Globalization;
using System.Text.Json;
using Fabric.Core;
using Fabric.Core.Events;
using Fabric.Core.Lifecycle;
using Fabric.Instances.Disks;
using Fabric.Instances.Hypervisor;
using Fabric.Instances.Lifecycle;
using Fabric.Instances.Migration;
using Fabric.Instances.Operations;
using Fabric.Instances.Qmp;
using Fabric.Instances.Settings;
using Fabric.Jobs.Model;
using Fabric.Jobs.Running;
using Fabric.Registry;
using Fabric.Remote;
using Fabric.Storage.Volumes;
using Microsoft.Extensions.Options;

namespace Fabric.Instances.Jobs;

/// <summary>The work the instance jobs share: reading the instance, its qemu on a hypervisor, the lifecycle writes
/// made as the job, and one live migration from checks to the registry's last write.</summary>
internal sealed class InstanceWork(
    IRegistry registry, IHypervisorDriver driver, IInstanceDisks disks, MigrationReservations reservations, IOptions<InstanceOptions> options, TimeProvider time,
    IPairVolumes? volumes = null, MigrationProgress? board = null)
{
    /// <summary>The lowest and highest TCP port a migration target listens on (IANA's dynamic range).</summary>
    public const int FirstMigrationPort = 49152;

    public const int LastMigrationPort = 65535;

    /// <summary>How long <c>instance-stop</c> waits for the guest to power off after <c>system_powerdown</c>.</summary>
    public static readonly TimeSpan DefaultStopTimeout = TimeSpan.FromSeconds(60);

    public IRegistry Registry => registry;

    public IHypervisorDriver Driver => driver;

    public TimeProvider Time => time;

    public InstanceOptions Options => options.Value;

    public static Actor ActorOf(IJobContext context) => Actor.Job(context.Job.Id.ToString(CultureInfo.InvariantCulture));

    /// <summary>The job's instance, which must be in <paramref name="expected"/> (the request that queued the job moved it there).</summary>
    public Node Instance(IJobContext context, InstanceState expected)
    {
        var name = context.Job.Node ?? throw new JobFailedException("an instance job needs the instance as its node");
        var node = registry.FindNode(name);
        if (node is not { Role: NodeRole.Instance, Instance: not null })
        {
            throw new JobFailedException($"no instance named '{name}'");
        }

        var state = InstanceOperations.StateOf(node);
        if (state != expected)
        {
            throw new JobFailedException($"{node.Name} is {state.ToWire()}, not {expected.ToWire()}; start, stop or migrate it again");
        }

        return node;
    }

    public Node Hypervisor(string name) =>
        registry.FindNode(name) is { Role: NodeRole.Hardware } node ? node : throw new JobFailedException($"hypervisor '{name}' is not in the registry");

    /// <summary>Moves the instance as the job (the lifecycle table decides), with the hypervisor when it changes.</summary>
    public async Task<Node> MoveAsync(IJobContext context, Node node, InstanceTrigger trigger, string message, string? hypervisor = null)
    {
        var from = InstanceOperations.StateOf(node);
        var decision = InstanceLifecycle.Decide(from, trigger, ActorKind.Job);
        if (!decision.Allowed)
        {
            throw new JobFailedException($"{node.Name}: {decision.Reason}");
        }

        var moved = await registry.TransitionInstanceAsync(node.Name, from, decision.Next, hypervisor, message, ActorOf(context), CancellationToken.None).ConfigureAwait(false);
        if (!moved.Succeeded)
        {
            throw new JobFailedException($"{node.Name}: {moved.Error}");
        }

        context.Log($"{node.Name} is {decision.Next.ToWire()}{(hypervisor is null ? "" : $" on {hypervisor}")}");
        return moved.Value!;
    }

    /// <summary>The qemu of <paramref name="instance"/> on <paramref name="hypervisor"/>: same CPU model, accelerator,
    /// memory and MAC wherever it runs, the disk as that hypervisor sees it.</summary>
    public async Task<QemuSpec> SpecAsync(Node instance, Node hypervisor, CancellationToken cancellationToken)
    {
        var spec = instance.Instance!;
        InstanceDisk disk;
        try
        {
            disk = await disks.OpenOnAsync(instance, hypervisor, cancellationToken).ConfigureAwait(false);
        }
        catch (InstanceDiskException e)
        {
            throw new JobFailedException(e.Message, e);
        }

        var accelerator = string.Equals(hypervisor.Labels.GetValueOrDefault(MigrationChecks.AcceleratorLabel), "tcg", StringComparison.OrdinalIgnoreCase)
            ? Accelerator.Tcg
            : Accelerator.Kvm;
        var cpuModel = hypervisor.Labels.GetValueOrDefault(MigrationChecks.CpuModelLabel) ?? DefaultCpuModel;
        if (instance.Macs.Count == 0)
        {
            throw new JobFailedException($"{instance.Name} has no MAC");
        }

        var vlan = instance.Network is { } network ? registry.FindNetwork(network)?.Vlan : null;
        var port = SwitchPort.For(hypervisor, vlan, out var portProblem);
        if (portProblem is not null)
        {
            throw new JobFailedException(portProblem);
        }

        return new QemuSpec(instance.Name, spec.VCpus ?? 1, spec.MemoryMiB ?? 0, instance.Macs[0], disk.Path, accelerator, cpuModel) { Port = port, Mirror = disk.Mirror };
    }

    /// <summary>Makes the instance's volume (<c>diskVolume</c>) from its image on <paramref name="pair"/>, with the storage
    /// feature's volume code; a volume already made is only exported again.</summary>
    public async Task MakeDiskAsync(IJobContext context, Node instance, string pair)
    {
        var spec = instance.Instance!;
        if (volumes is null)
        {
            throw new JobFailedException("this appliance has no storage pairs to make the disk on");
        }

        if (spec.DiskVolume is not { Length: > 0 } name || RegistryInstanceDisks.IsPath(name) || spec.Image is not { Length: > 0 } image)
        {
            throw new JobFailedException($"{instance.Name} needs a volume name as diskVolume and an image to make its disk on pair {pair}");
        }

        var volume = await volumes.MakeAsync(context, pair, name, image, ActorOf(context)).ConfigureAwait(false);
        context.Log($"volume {volume.Name}: slot {volume.Slot} of pair {volume.Pair}, {volume.SizeBytes} bytes from image {image}");
    }

    /// <summary>The guest CPU model when the hypervisor's label names none: one every x86-64 host can give, so a guest
    /// can move between any two of them.</summary>
    public const string DefaultCpuModel = "qemu64";

    /// <summary>qemu's run state (<c>running</c>, <c>paused</c>, <c>inmigrate</c>...) over QMP.</summary>
    public async Task<string> StatusAsync(string hypervisor, string instance, CancellationToken cancellationToken)
    {
        await using var qmp = await driver.ConnectQmpAsync(hypervisor, instance, cancellationToken).ConfigureAwait(false);
        var status = (await qmp.ExecuteAsync("query-status", null, cancellationToken).ConfigureAwait(false)).EnsureSuccess("query-status");
        return status.TryGetProperty("status", out var value) && value.ValueKind == JsonValueKind.String ? value.GetString()! : "unknown";
    }

    /// <summary>Runs one admitted live migration (the instance is <c>migrating</c>) to <paramref name="target"/>:
    /// progress into the job as bytes, and at the end one registry write: <c>running</c> on the target, or
    /// <c>running</c> where it was, with the reason. Returns the outcome; a cancellation is rethrown after that write.</summary>
    public async Task<MigrationOutcome> MigrateAsync(IJobContext context, Node instance, string target, CancellationToken cancellationToken)
    {
        var source = instance.Instance!.Hypervisor ?? throw new JobFailedException($"{instance.Name} has no hypervisor recorded");
        MigrationOutcome outcome;
        try
        {
            var targetNode = Hypervisor(target);
            var address = targetNode.SshEndpoint.Address ?? throw new JobFailedException($"{target} has no ip and no sshAddress to migrate to");
            var spec = await SpecAsync(instance, targetNode, cancellationToken).ConfigureAwait(false);
            int port = Random.Shared.Next(FirstMigrationPort, LastMigrationPort + 1);
            var uri = System.Net.IPAddress.TryParse(address, out var ip) && ip.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6
                ? $"tcp:[{address}]:{port}"
                : $"tcp:{address}:{port}";
            var plan = new MigrationPlan(instance.Name, source, target, spec, uri, Options.MigrationDowntimeMs, Options.MigrationBandwidthMiBps);
            if (await AlreadyMovedAsync(instance.Name, source, target, cancellationToken).ConfigureAwait(false))
            {
                // A retry of a job cut off (the appliance stopped) after qemu finished: starting again would remove the
                // target's qemu, which is now the guest. Record where it runs instead.
                context.Log($"{instance.Name} already runs on {target} and no qemu is left on {source}: the migration had finished");
                outcome = new MigrationOutcome(true, null, null);
            }
            else
            {
                context.Log($"migrating {instance.Name} from {source} to {target} ({uri}, downtime limit {plan.DowntimeMs} ms, {plan.BandwidthMiBps} MiB/s)");
                outcome = await new LiveMigration(driver, time).RunAsync(plan, new JobProgress(context, instance.Name, board), cancellationToken).ConfigureAwait(false);
            }
        }
        catch (JobFailedException e)
        {
            outcome = new MigrationOutcome(false, $"{e.Message}; the instance keeps running on {source}", null);
        }
        finally
        {
            reservations.Release(instance.Name);
            board?.End(instance.Name);
        }

        if (outcome.Succeeded)
        {
            var figures = outcome.Info is { } info
                ? string.Create(CultureInfo.InvariantCulture, $"total {info.TotalTimeMs} ms, downtime {info.DowntimeMs} ms, {info.TransferredBytes} bytes")
                : "found finished on a retry";
            await MoveAsync(context, instance, InstanceTrigger.MigrationFinished, $"migrated from {source} to {target} ({figures})", target).ConfigureAwait(false);
            context.Log($"{instance.Name} runs on {target}: {figures}");
        }
        else
        {
            await MoveAsync(context, instance, InstanceTrigger.MigrationAborted, $"migration to {target} ended: {outcome.Reason}").ConfigureAwait(false);
            context.Log(outcome.Reason ?? "the migration failed");
            cancellationToken.ThrowIfCancellationRequested();
        }

        return outcome;
    }

    /// <summary>True when no qemu runs for the instance on <paramref name="source"/> and a running one (not one still
    /// waiting for an incoming migration) answers on <paramref name="target"/>.</summary>
    private async Task<bool> AlreadyMovedAsync(string instance, string source, string target, CancellationToken cancellationToken)
    {
        try
        {
            return !await driver.IsRunningAsync(source, instance, cancellationToken).ConfigureAwait(false)
                && await driver.IsRunningAsync(target, instance, cancellationToken).ConfigureAwait(false)
                && await StatusAsync(target, instance, cancellationToken).ConfigureAwait(false) == "running";
        }
        catch (Exception e) when (IsHypervisorFailure(e))
        {
            // Either side cannot be asked: the migration itself will say what is wrong.
            return false;
        }
    }

    /// <summary>A migration's <c>query-migrate</c> as the job's progress (bytes sent of sent + remaining) and, when the
    /// status or the expected downtime changes, a log line; the whole figures on the <see cref="MigrationProgress"/> board.</summary>
    private sealed class JobProgress(IJobContext context, string instance, MigrationProgress? board) : IProgress<MigrationInfo>
    {
        private string? _lastStatus;

        public void Report(MigrationInfo value)
        {
            board?.Report(instance, value);
            long total = value.TransferredBytes + value.RemainingBytes;
            context.Progress(value.TransferredBytes, total > 0 ? total : null, "bytes");
            if (value.Status != _lastStatus)
            {
                _lastStatus = value.Status;
                context.Log(string.Create(CultureInfo.InvariantCulture,
                    $"migration {value.Status}: {value.TransferredBytes} bytes sent, {value.RemainingBytes} remaining{(value.ExpectedDowntimeMs is { } d ? $", expected downtime {d} ms" : "")}"));
            }
        }
    }

    /// <summary>Failures of the hypervisor, its SSH or its qemu, as the job's failure message.</summary>
    public static bool IsHypervisorFailure(Exception e) =>
        e is RemoteHostException or RemoteCommandFailedException or RemoteCommandTimeoutException or QmpCommandException or QmpConnectionException or IOException;
}

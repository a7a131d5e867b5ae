using Fabric.Core.Lifecycle;
using Fabric.Instances.Lifecycle;
using Fabric.Jobs.Model;
using Fabric.Jobs.Running;

namespace Fabric.Instances.Jobs;

/// <summary>Kinds <c>instance-create</c> and <c>instance-start</c>: the instance is <c>starting</c> on the hypervisor
/// the request placed it on. The job makes its volume (a create with a <c>pair</c>), finds its disk there, launches its qemu (unless one already runs: a retry
/// converges), checks qemu answers QMP, and moves it to <c>running</c>; on any failure the qemu is removed and the
/// instance is <c>failed</c> with the reason.</summary>
internal abstract class StartInstanceJobHandler(InstanceWork work) : IJobHandler
{
    public abstract string Kind { get; }

    /// <summary>The arguments this kind takes (none by default).</summary>
    protected virtual IReadOnlyCollection<string> Arguments => [];

    public IReadOnlyList<JobFieldError> Validate(IReadOnlyDictionary<string, string> arguments) =>
        [.. arguments.Keys.Where(k => !Arguments.Contains(k)).Select(k => new JobFieldError($"arguments.{k}",
            Arguments.Count == 0 ? $"an {Kind} job takes no arguments" : $"an {Kind} job takes only {string.Join(", ", Arguments)}"))];

    public async Task RunAsync(IJobContext context)
    {
        var token = context.CancellationToken;
        var instance = work.Instance(context, InstanceState.Starting);
        var hypervisorName = instance.Instance!.Hypervisor ?? throw new JobFailedException($"{instance.Name} has no hypervisor");
        try
        {
            if (context.Job.Arguments.TryGetValue(CreateInstanceJobHandler.PairArgument, out var pair) && pair.Length > 0)
            {
                await context.StepAsync("volume");
                await work.MakeDiskAsync(context, instance, pair);
            }

            await context.StepAsync("disk");
            var hypervisor = work.Hypervisor(hypervisorName);
            var spec = await work.SpecAsync(instance, hypervisor, token);
            context.Log($"disk {spec.DiskPath} on {hypervisor.Name}, {spec.VCpus} vCPUs, {spec.MemoryMiB} MiB, MAC {spec.Mac}, {spec.Accelerator.ToString().ToLowerInvariant()} {spec.CpuModel}");

            await context.StepAsync("launch");
            if (await work.Driver.IsRunningAsync(hypervisor.Name, instance.Name, token))
            {
                context.Log($"qemu for {instance.Name} already runs on {hypervisor.Name}");
            }
            else
            {
                await work.Driver.LaunchAsync(hypervisor.Name, spec, token);
            }

            await context.StepAsync("check");
            var status = await work.StatusAsync(hypervisor.Name, instance.Name, token);
            context.Log($"qemu says {status}");
            if (status is not ("running" or "prelaunch"))
            {
                throw new JobFailedException($"qemu for {instance.Name} on {hypervisor.Name} is {status}, not running");
            }

            await work.MoveAsync(context, instance, InstanceTrigger.Started, $"qemu runs on {hypervisor.Name}");
        }
        catch (Exception e) when (e is JobFailedException or OperationCanceledException || InstanceWork.IsHypervisorFailure(e))
        {
            var why = e is OperationCanceledException ? "the start was cancelled" : e.Message;
            await RemoveQemuAsync(context, hypervisorName, instance.Name);
            await work.MoveAsync(context, instance, InstanceTrigger.StartFailed, why);
            if (e is OperationCanceledException)
            {
                throw;
            }

            throw e as JobFailedException ?? new JobFailedException(why, e);
        }
    }

    private async Task RemoveQemuAsync(IJobContext context, string hypervisor, string instance)
    {
        try
        {
            await work.Driver.KillAsync(hypervisor, instance, CancellationToken.None);
        }
        catch (Exception e) when (InstanceWork.IsHypervisorFailure(e))
        {
            context.Log($"could not remove qemu for {instance} on {hypervisor}: {e.Message}");
        }
    }
}

/// <summary><c>instance-create</c>; argument <c>pair</c> when the request made the disk from the instance's image: the
/// job makes volume <c>diskVolume</c> on that pair first (the volume code of <c>volume-create</c>; a retry finds it made).</summary>
internal sealed class CreateInstanceJobHandler(InstanceWork work) : StartInstanceJobHandler(work)
{
    public const string PairArgument = "pair";

    public override string Kind => InstanceJobKinds.Create;

    protected override IReadOnlyCollection<string> Arguments => [PairArgument];
}

internal sealed class StartAgainInstanceJobHandler(InstanceWork work) : StartInstanceJobHandler(work)
{
    public override string Kind => InstanceJobKinds.Start;
}

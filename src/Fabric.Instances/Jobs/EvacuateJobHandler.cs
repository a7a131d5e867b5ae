using Fabric.Core;
using Fabric.Core.Events;
using Fabric.Core.Lifecycle;
using Fabric.Instances.Lifecycle;
using Fabric.Instances.Migration;
using Fabric.Instances.Operations;
using Fabric.Instances.Placement;
using Fabric.Jobs.Model;
using Fabric.Jobs.Running;
using Fabric.Registry;

namespace Fabric.Instances.Jobs;

/// <summary>Kind <c>node-evacuate</c> on a hypervisor: cordons it first (label <c>fabric.instances/cordoned=true</c>,
/// so nothing new lands there while it empties), then live-migrates each running instance off it, one at a time, each
/// to where placement puts it. Instances that are not running stay (stopped and failed ones hold nothing and are placed
/// elsewhere when started). The job fails naming every instance that could not be moved; the cordon stays.</summary>
internal sealed class EvacuateJobHandler(InstanceWork work, MigrationReservations reservations) : IJobHandler
{
    public string Kind => InstanceJobKinds.Evacuate;

    public IReadOnlyList<JobFieldError> Validate(IReadOnlyDictionary<string, string> arguments) =>
        [.. arguments.Keys.Select(k => new JobFieldError($"arguments.{k}", "a node-evacuate job takes no arguments"))];

    public async Task RunAsync(IJobContext context)
    {
        var token = context.CancellationToken;
        var hypervisor = work.Hypervisor(context.Job.Node ?? throw new JobFailedException("a node-evacuate job needs the hypervisor as its node"));

        await context.StepAsync("cordon");
        if (hypervisor.Labels.GetValueOrDefault(InstancePlacement.CordonLabel) != "true")
        {
            var labels = new Dictionary<string, string>(hypervisor.Labels, StringComparer.Ordinal) { [InstancePlacement.CordonLabel] = "true" };
            var cordoned = await work.Registry.UpdateNodeAsync(hypervisor.Name, new NodeInput { Labels = labels }, InstanceWork.ActorOf(context), token);
            if (!cordoned.Succeeded)
            {
                throw new JobFailedException($"cannot cordon {hypervisor.Name}: {cordoned.Error}");
            }
        }

        context.Log($"{hypervisor.Name} is cordoned ({InstancePlacement.CordonLabel}=true): nothing new lands there");
        var onIt = work.Registry.ListNodes(NodeRole.Instance)
            .Where(n => string.Equals(n.Instance?.Hypervisor, hypervisor.Name, StringComparison.OrdinalIgnoreCase))
            .OrderBy(n => n.Name, StringComparer.Ordinal)
            .ToList();
        var failures = new List<string>();
        int moved = 0;
        var asked = Actor.TryParse(context.Job.Actor, out var operatorActor) ? operatorActor : Actor.Admin;
        foreach (var listed in onIt)
        {
            token.ThrowIfCancellationRequested();
            var instance = work.Registry.FindNode(listed.Name);
            if (instance?.Instance is not { } spec || !string.Equals(spec.Hypervisor, hypervisor.Name, StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            var state = InstanceOperations.StateOf(instance);
            if (state != InstanceState.Running)
            {
                context.Log($"{instance.Name} is {state.ToWire()}: left on {hypervisor.Name}");
                if (state is InstanceState.Starting or InstanceState.Migrating or InstanceState.Stopping)
                {
                    failures.Add($"{instance.Name} is {state.ToWire()}");
                }

                continue;
            }

            await context.StepAsync($"migrate {instance.Name}");
            var check = MigrationChecks.Check(instance, null, work.Registry.ListNodes(), work.Options.CpuOvercommit, reservations.Except(instance.Name));
            if (!check.Allowed)
            {
                var why = string.Join("; ", check.Refusals);
                context.Log($"{instance.Name} cannot move: {why}");
                failures.Add($"{instance.Name}: {why}");
                continue;
            }

            // The operator who asked for the evacuation asks for each migration (the table lets operators migrate).
            var decision = InstanceLifecycle.Decide(state, InstanceTrigger.Migrate, asked.Kind);
            if (!decision.Allowed)
            {
                failures.Add($"{instance.Name}: {decision.Reason}");
                continue;
            }

            reservations.Reserve(instance.Name, new Reservation(check.Target!, spec.VCpus ?? 1, spec.MemoryMiB ?? 0));
            var migrating = await work.Registry.TransitionInstanceAsync(
                instance.Name, state, decision.Next, null, $"evacuating {hypervisor.Name} (job {context.Job.Id})", asked, token);
            if (!migrating.Succeeded)
            {
                reservations.Release(instance.Name);
                failures.Add($"{instance.Name}: {migrating.Error}");
                continue;
            }

            var outcome = await work.MigrateAsync(context, migrating.Value!, check.Target!, token);
            if (outcome.Succeeded)
            {
                moved++;
            }
            else
            {
                failures.Add($"{instance.Name}: {outcome.Reason}");
            }
        }

        context.Progress(moved, moved + failures.Count, "instances");
        if (failures.Count > 0)
        {
            throw new JobFailedException($"{hypervisor.Name} is cordoned but not empty: {string.Join("; ", failures)}");
        }

        context.Log($"{hypervisor.Name} is empty: {moved} instance{(moved == 1 ? "" : "s")} moved");
    }
}

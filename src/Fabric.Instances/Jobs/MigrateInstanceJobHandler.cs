using Fabric.Core;
using Fabric.Core.Lifecycle;
using Fabric.Jobs.Model;
using Fabric.Jobs.Running;

namespace Fabric.Instances.Jobs;

/// <summary>Kind <c>instance-migrate</c> (argument <c>target</c>, set by the request after the migration checks): a
/// live migration with progress in bytes; at the end the instance runs on the target (state and hypervisor in one write)
/// or keeps running on the source with the job failed (or cancelled) saying why.</summary>
internal sealed class MigrateInstanceJobHandler(InstanceWork work) : IJobHandler
{
    public string Kind => InstanceJobKinds.Migrate;

    public IReadOnlyList<JobFieldError> Validate(IReadOnlyDictionary<string, string> arguments)
    {
        var errors = new List<JobFieldError>();
        if (!arguments.TryGetValue("target", out var target) || !HostName.TryNormalize(target, out _, out _))
        {
            errors.Add(new JobFieldError("arguments.target", "an instance-migrate job needs the target hypervisor's name"));
        }

        errors.AddRange(arguments.Keys.Where(k => k != "target").Select(k => new JobFieldError($"arguments.{k}", "an instance-migrate job takes only 'target'")));
        return errors;
    }

    public async Task RunAsync(IJobContext context)
    {
        var instance = work.Instance(context, InstanceState.Migrating);
        var target = context.Job.Arguments["target"];
        await context.StepAsync("migrate");
        var outcome = await work.MigrateAsync(context, instance, target, context.CancellationToken);
        if (!outcome.Succeeded)
        {
            throw new JobFailedException(outcome.Reason ?? "the migration failed");
        }
    }
}

using System.Globalization;
using Fabric.Core;
using Fabric.Core.Events;
using Fabric.Jobs.Model;
using Fabric.Jobs.Running;
using Fabric.Registry;
using Fabric.Remote;

namespace Fabric.Router.Jobs;

/// <summary>Job kind <c>router-apply</c> on a router node: plans it (registry against what is read over SSH) and carries
/// out the changes, logging each; with nothing to change it logs <c>no changes</c>. A host key mismatch records
/// <c>ssh-host-key-mismatch</c> on the node and fails the job with nothing run; an unreachable router fails it with the
/// address and the reason. The job never writes the registry otherwise. Two optional arguments say why it runs when
/// Fabric queued it itself: <c>cause</c>, the id of the job that changed the registry (an instance's job), and
/// <c>reason</c>, what changed; both are logged first.</summary>
internal sealed class RouterApplyJobHandler(IRegistry registry, IRemoteHosts remoteHosts, Registry.RouterRules.IRouterRuleStore? rules = null) : IJobHandler
{
    public const string KindName = "router-apply";

    /// <summary>The argument naming the job whose change this apply follows.</summary>
    public const string CauseArgument = "cause";

    /// <summary>The argument saying what changed.</summary>
    public const string ReasonArgument = "reason";

    private const int MaxReasonLength = 2000;

    public string Kind => KindName;

    public IReadOnlyList<JobFieldError> Validate(IReadOnlyDictionary<string, string> arguments)
    {
        ArgumentNullException.ThrowIfNull(arguments);
        var errors = new List<JobFieldError>();
        foreach (var (key, value) in arguments)
        {
            switch (key)
            {
                case CauseArgument when !(long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out long id) && id > 0):
                    errors.Add(new JobFieldError($"arguments.{key}", $"'{value}' is not a job id"));
                    break;
                case ReasonArgument when value.Length > MaxReasonLength || value.Any(char.IsControl):
                    errors.Add(new JobFieldError($"arguments.{key}", $"a reason is one line of at most {MaxReasonLength.ToString(CultureInfo.InvariantCulture)} characters"));
                    break;
                case CauseArgument or ReasonArgument:
                    break;
                default:
                    errors.Add(new JobFieldError($"arguments.{key}", "a router-apply job takes only 'cause' (a job id) and 'reason'"));
                    break;
            }
        }

        return errors;
    }

    public async Task RunAsync(IJobContext context)
    {
        var name = context.Job.Node ?? throw new JobFailedException("a router-apply job needs a node");
        var node = registry.FindNode(name) ?? throw new JobFailedException($"no node named '{name}'");
        if (node.Role != NodeRole.Router)
        {
            throw new JobFailedException($"node '{node.Name}' is a {node.Role.ToWire()} node; router-apply runs on routers");
        }

        if (context.Job.Arguments.TryGetValue(ReasonArgument, out var reason) || context.Job.Arguments.ContainsKey(CauseArgument))
        {
            var cause = context.Job.Arguments.TryGetValue(CauseArgument, out var id) ? $" (job {id})" : "";
            context.Log($"{node.Name}: re-planned after {reason ?? "a change"}{cause}");
        }

        var target = RouterSync.TargetOf(node) ?? throw new JobFailedException($"router '{node.Name}' has no ip and no sshAddress");
        try
        {
            var host = remoteHosts.For(target);
            await context.StepAsync("plan");
            var plan = await RouterSync.PlanAsync(host, RouterSync.Desired(registry, node, rules?.List()), context.CancellationToken);
            if (plan.Actions.Count == 0)
            {
                context.Log($"{node.Name}: no changes");
                context.Progress(0, 0, "changes");
                return;
            }

            context.Log($"{node.Name}: {plan.Actions.Count.ToString(CultureInfo.InvariantCulture)} changes");
            await context.StepAsync("apply");
            int done = 0;
            await RouterSync.ApplyAsync(host, plan.Actions, line =>
            {
                context.Log($"{node.Name}: {line}");
                if (!line.StartsWith(' '))
                {
                    context.Progress(done++, plan.Actions.Count, "changes");
                }
            }, context.CancellationToken);
            context.Progress(plan.Actions.Count, plan.Actions.Count, "changes");
        }
        catch (HostKeyMismatchException e)
        {
            await registry.RecordAsync(node.Name, EventKind.SshHostKeyMismatch, e.Message, Actor.Job(context.Job.Id.ToString(CultureInfo.InvariantCulture)));
            throw new JobFailedException($"{target}: {e.Message}", e);
        }
        catch (Exception e) when (e is RemoteHostException or RemoteCommandTimeoutException or RemoteCommandFailedException or FormatException)
        {
            throw new JobFailedException(e.Message, e);
        }
    }
}

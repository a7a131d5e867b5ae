using System.Globalization;
using Fabric.Core;
using Fabric.Core.Events;
using Fabric.Jobs.Model;
using Fabric.Jobs.Running;
using Fabric.Registry;
using Fabric.Remote;
using Fabric.Router.Diff;
using Fabric.Router.State;

namespace Fabric.Router.Jobs;

/// <summary>Job kind <c>router-apply</c> on a router node: plans it (registry against what is read over SSH) and carries
/// out the changes, logging each; with nothing to change it logs <c>no changes</c>. Each phase is logged with its
/// duration as it ends (<c>router1: read 2.10 s</c>, <c>diff</c>, <c>upload</c>, <c>apply</c>); after changes the last
/// line sums them up: <c>router1: read 2.10 s, diff 0.02 s, 82 changes, upload 0.90 s, apply 3.80 s</c>. A host key mismatch records
/// <c>ssh-host-key-mismatch</c> on the node and fails the job with nothing run; an unreachable router fails it with the
/// address and the reason. The job never writes the registry otherwise. Two optional arguments say why it runs when
/// Fabric queued it itself: <c>cause</c>, the id of the job that changed the registry (an instance's job), and
/// <c>reason</c>, what changed; both are logged first.</summary>
internal sealed class RouterApplyJobHandler(
    IRegistry registry, IRemoteHosts remoteHosts, Registry.RouterRules.IRouterRuleStore? rules = null, TimeProvider? time = null, RouterGate? gate = null)
    : IJobHandler
{
    public const string KindName = "router-apply";

    /// <summary>The argument naming the job whose change this apply follows.</summary>
    public const string CauseArgument = "cause";

    /// <summary>The argument saying what changed.</summary>
    public const string ReasonArgument = "reason";

    private const int MaxReasonLength = 2000;

    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private readonly RouterGate _gate = gate ?? new RouterGate();

    public string Kind => KindName;

    /// <summary>A phase's duration as the log shows it, e.g. <c>2.10 s</c>.</summary>
    internal static string Seconds(TimeSpan took) => string.Create(CultureInfo.InvariantCulture, $"{took.TotalSeconds:0.00} s");

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
        var phases = new List<string>();
        void Phase(string phase, TimeSpan took)
        {
            var line = $"{phase} {Seconds(took)}";
            phases.Add(line);
            context.Log($"{node.Name}: {line}");
        }

        // The drift check does not read the router while this runs; one reading it now is let finish first.
        long waiting = _time.GetTimestamp();
        using var held = await _gate.EnterApplyAsync(node.Name, context.CancellationToken);
        if (held.Waited)
        {
            context.Log($"{node.Name}: waited {Seconds(_time.GetElapsedTime(waiting))} for the drift check to finish reading");
        }

        try
        {
            var host = remoteHosts.For(target);
            await context.StepAsync("plan");
            // "diff" is the local part of the plan: the desired state from the registry, rendered, and the comparison.
            long started = _time.GetTimestamp();
            var desired = RouterSync.Desired(registry, node, rules?.List());
            var planning = _time.GetElapsedTime(started);
            started = _time.GetTimestamp();
            var actual = await RouterReader.ReadAsync(host, desired, context.CancellationToken);
            Phase("read", _time.GetElapsedTime(started));
            started = _time.GetTimestamp();
            var actions = RouterDiff.Compute(desired, actual);
            Phase("diff", planning + _time.GetElapsedTime(started));
            if (actions.Count == 0)
            {
                context.Log($"{node.Name}: no changes");
                context.Progress(0, 0, "changes");
                return;
            }

            var count = $"{actions.Count.ToString(CultureInfo.InvariantCulture)} changes";
            context.Log($"{node.Name}: {count}");
            phases.Add(count);
            await context.StepAsync("apply");
            int done = 0;
            var times = await RouterSync.ApplyAsync(
                host,
                actions,
                line =>
                {
                    context.Log($"{node.Name}: {line}");
                    if (!line.StartsWith(' '))
                    {
                        context.Progress(done++, actions.Count, "changes");
                    }
                },
                context.CancellationToken,
                uploaded: took => Phase("upload", took),
                time: _time);
            Phase("apply", times.Run);
            context.Progress(actions.Count, actions.Count, "changes");
            context.Log($"{node.Name}: {string.Join(", ", phases)}");
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

using Fabric.Core;
using Fabric.Registry;
using Fabric.Remote;
using Fabric.Remote.Commands;
using Fabric.Remote.Hosts;
using Fabric.Router.Diff;
using Fabric.Router.Planning;
using Fabric.Router.State;

namespace Fabric.Router;

/// <summary>A router's plan: the desired state and the changes that reach it from what was read.</summary>
public sealed record RouterPlan(DesiredRouter Desired, IReadOnlyList<RouterAction> Actions);

/// <summary>Plans and applies a router: desired state from the registry, actual state over SSH, the diff, and (for
/// apply) each change carried out in order. Applying twice changes things once: the second plan is empty.</summary>
public static class RouterSync
{
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromMinutes(1);

    /// <summary>What the one script may take on top of <see cref="CommandTimeout"/>, per command it runs.</summary>
    private static readonly TimeSpan ScriptTimePerCommand = TimeSpan.FromSeconds(10);

    /// <summary>How Fabric reaches <paramref name="router"/>: its SSH fields with their defaults; null when it has no
    /// address at all.</summary>
    public static SshTarget? TargetOf(Node router)
    {
        ArgumentNullException.ThrowIfNull(router);
        var (address, port, user) = router.SshEndpoint;
        return address is null ? null : new SshTarget(address, port, user, router.Ssh.HostKey);
    }

    /// <summary>The desired state of <paramref name="router"/> from the registry as it is now (instances read from the
    /// registry only) and the operator's router rules.</summary>
    public static DesiredRouter Desired(IRegistry registry, Node router, IReadOnlyList<Registry.RouterRules.RouterRule>? rules = null)
    {
        ArgumentNullException.ThrowIfNull(registry);
        return RouterPlanner.Plan(router, registry.ListNetworks(), registry.ListNodes(NodeRole.Instance), rules);
    }

    public static async Task<RouterPlan> PlanAsync(IRemoteHost host, DesiredRouter desired, CancellationToken cancellationToken)
    {
        var actual = await RouterReader.ReadAsync(host, desired, cancellationToken);
        return new RouterPlan(desired, RouterDiff.Compute(desired, actual));
    }

    /// <summary>Carries out <paramref name="actions"/> in order in one round trip: the files they write (the ruleset)
    /// and the actions as one script (<see cref="RouterScript"/>) go over SFTP, then the script runs once. Each action's
    /// description is logged when the script reaches it (its marker line), each line of output indented after it. A
    /// command that fails stops the script there (what ran stays: the next plan starts from there) and the apply throws
    /// <see cref="RemoteCommandFailedException"/> for that command with its output, after logging which action failed.
    /// <paramref name="uploaded"/> is told how long sending took once the script is on the router, before it runs; the
    /// result says how long sending and running took (on <paramref name="time"/>, the system clock by default).</summary>
    public static async Task<RouterApplyTimes> ApplyAsync(
        IRemoteHost host, IReadOnlyList<RouterAction> actions, Action<string> log, CancellationToken cancellationToken, Action<TimeSpan>? uploaded = null, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(host);
        ArgumentNullException.ThrowIfNull(actions);
        ArgumentNullException.ThrowIfNull(log);
        time ??= TimeProvider.System;
        if (actions.Count == 0)
        {
            return new RouterApplyTimes(TimeSpan.Zero, TimeSpan.Zero);
        }

        long started = time.GetTimestamp();
        var script = RouterScript.For(actions);
        var files = actions.Select(a => a.File).OfType<RouterFile>().Append(new RouterFile(RouterScript.Path, script.Text)).ToList();
        var folders = files.Select(f => f.Path[..f.Path.LastIndexOf('/')]).Distinct(StringComparer.Ordinal);
        (await host.RunAsync(RemoteCommand.Of("mkdir", ["-p", .. folders]), new RemoteRunOptions(CommandTimeout), cancellationToken)).EnsureSuccess();
        foreach (var file in files)
        {
            await host.WriteFileAsync(file.Path, System.Text.Encoding.UTF8.GetBytes(file.Content), RemoteFiles.DefaultMode, cancellationToken);
        }

        var upload = time.GetElapsedTime(started);
        uploaded?.Invoke(upload);
        started = time.GetTimestamp();

        var output = new List<string>();
        var gate = new Lock();
        ScriptLine? failed = null;
        bool ended = false;
        var timeout = CommandTimeout + (ScriptTimePerCommand * actions.Sum(a => a.Commands.Count));
        var result = await host.RunAsync(RouterScript.RunCommand, new RemoteRunOptions(timeout, line =>
        {
            var seen = script.Classify(line.Text);
            lock (gate)
            {
                Handle(seen, line.Text);
            }
        }), cancellationToken);

        void Handle(ScriptLine seen, string text)
        {
            switch (seen.Kind)
            {
                case ScriptLineKind.Begin:
                    output.Clear();
                    log(actions[seen.Action].Description);
                    break;
                case ScriptLineKind.Failed:
                    failed = seen;
                    break;
                case ScriptLineKind.End:
                    ended = true;
                    break;
                default:
                    output.Add(text);
                    log($"  {text}");
                    break;
            }
        }

        if (failed is { } f)
        {
            var action = actions[f.Action];
            log($"  failed: {action.Description}");
            throw new RemoteCommandFailedException(new RemoteCommandResult(
                action.Commands[f.Command], result.Target, f.Status, null, "", string.Join('\n', output), result.Elapsed));
        }

        if (!result.Succeeded || !ended)
        {
            // The script itself did not run to its end (killed, no shell): its own result says how.
            throw new RemoteCommandFailedException(result with { StandardError = result.StandardError.Length > 0 ? result.StandardError : string.Join('\n', output) });
        }

        return new RouterApplyTimes(upload, time.GetElapsedTime(started));
    }
}

/// <summary>How long the two parts of an apply took: sending what runs to the router, and running it there.</summary>
public sealed record RouterApplyTimes(TimeSpan Upload, TimeSpan Run);

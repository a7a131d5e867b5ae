using System.Text;
using Fabric.Core;
using Fabric.Registry;
using Fabric.Remote;
using Fabric.Remote.Channels;
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

    /// <summary>Carries out <paramref name="actions"/> in order in one round trip: the actions as one script
    /// (<see cref="RouterScript"/>, the files they write, i.e. the ruleset, inside it) sent on the standard input of one
    /// SSH channel (<see cref="RouterScript.SendCommand"/>), which writes it to the router and runs it. Each action's
    /// description is logged when the script reaches it (its marker line), each line of output indented after it. A
    /// command that fails stops the script there (what ran stays: the next plan starts from there) and the apply throws
    /// <see cref="RemoteCommandFailedException"/> for that command with its output (for a file that could not be written,
    /// <see cref="RemoteHostException"/> <see cref="RemoteFailure.TransferFailed"/> naming it), after logging which action
    /// failed. <paramref name="uploaded"/> is told how long sending took once the script is on the router and starts; the
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
        var output = new List<string>();
        var errors = new List<string>();
        ScriptLine? failed = null;
        bool ended = false;
        TimeSpan? upload = null;
        var timeout = CommandTimeout + (ScriptTimePerCommand * actions.Sum(a => a.Commands.Count));
        var channel = await host.OpenChannelAsync(RouterScript.SendCommand, new RemoteChannelOptions(timeout, line =>
        {
            lock (errors)
            {
                errors.Add(line);
            }
        }), cancellationToken);
        RemoteCommandResult result;
        await using (channel)
        {
            var send = SendAsync(channel, Encoding.UTF8.GetBytes(script.Text), cancellationToken);
            using (var reader = new StreamReader(channel.Output, Encoding.UTF8, detectEncodingFromByteOrderMarks: false, leaveOpen: true))
            {
                while (await reader.ReadLineAsync(cancellationToken) is { } line)
                {
                    Handle(script.Classify(line), line);
                }
            }

            await send;
            result = await channel.Completion;
        }

        void Handle(ScriptLine seen, string text)
        {
            switch (seen.Kind)
            {
                case ScriptLineKind.Start:
                    upload = time.GetElapsedTime(started);
                    uploaded?.Invoke(upload.Value);
                    started = time.GetTimestamp();
                    break;
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
            if (f.Command == ScriptLine.WritingFile)
            {
                throw new RemoteHostException(RemoteFailure.TransferFailed, result.Target, $"cannot write {action.File!.Path}: {string.Join("; ", output)}");
            }

            throw new RemoteCommandFailedException(new RemoteCommandResult(
                action.Commands[f.Command], result.Target, f.Status, null, "", string.Join('\n', output), result.Elapsed));
        }

        if (!result.Succeeded || !ended)
        {
            // The script did not run to its end (it could not be written, killed, no shell): its own result says how.
            string error;
            lock (errors)
            {
                error = string.Join('\n', errors.Concat(output));
            }

            throw new RemoteCommandFailedException(result with { StandardError = error });
        }

        return new RouterApplyTimes(upload ?? TimeSpan.Zero, upload is null ? TimeSpan.Zero : time.GetElapsedTime(started));
    }

    /// <summary>Writes the script to the channel's input and ends it (the router's <c>cat</c> then has the whole script).</summary>
    private static async Task SendAsync(IRemoteChannel channel, byte[] script, CancellationToken cancellationToken)
    {
        try
        {
            await channel.Input.WriteAsync(script, cancellationToken);
            await channel.Input.FlushAsync(cancellationToken);
            await channel.CompleteInputAsync();
        }
        catch (IOException)
        {
            // The command ended before it read everything (it could not write the script): its result says why.
        }
    }
}

/// <summary>How long the two parts of an apply took: sending what runs to the router, and running it there.</summary>
public sealed record RouterApplyTimes(TimeSpan Upload, TimeSpan Run);

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

    /// <summary>Carries out <paramref name="actions"/> in order, logging each before it runs; a command that fails stops
    /// the apply (what ran stays: the next plan starts from there).</summary>
    public static async Task ApplyAsync(IRemoteHost host, IReadOnlyList<RouterAction> actions, Action<string> log, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(host);
        ArgumentNullException.ThrowIfNull(actions);
        ArgumentNullException.ThrowIfNull(log);
        foreach (var action in actions)
        {
            log(action.Description);
            if (action.File is { } file)
            {
                var folder = file.Path[..file.Path.LastIndexOf('/')];
                (await host.RunAsync(RemoteCommand.Of("mkdir", "-p", folder), new RemoteRunOptions(CommandTimeout), cancellationToken)).EnsureSuccess();
                await host.WriteFileAsync(file.Path, System.Text.Encoding.UTF8.GetBytes(file.Content), RemoteFiles.DefaultMode, cancellationToken);
            }

            foreach (var command in action.Commands)
            {
                var result = await host.RunAsync(command, new RemoteRunOptions(CommandTimeout, line => log($"  {line.Text}")), cancellationToken);
                result.EnsureSuccess();
            }
        }
    }
}

using Fabric.Core;
using Fabric.Core.Events;
using Fabric.Registry;
using Fabric.Remote;

namespace Fabric.Router;

internal sealed class RouterPlans(IRegistry registry, IRemoteHosts remoteHosts, Registry.RouterRules.IRouterRuleStore? rules = null) : IRouterPlans
{
    public async Task<RouterPlanResult> PlanAsync(string router, CancellationToken cancellationToken = default)
    {
        var node = registry.FindNode(router);
        if (node is null || node.Role != NodeRole.Router)
        {
            var message = node is null ? $"no router named '{router}'" : $"node '{node.Name}' is a {node.Role.ToWire()} node, not a router";
            return new RouterPlanResult(router, null, new RouterPlanError(RouterPlanErrorKind.NotFound, "name", message));
        }

        if (RouterSync.TargetOf(node) is not { } target)
        {
            return new RouterPlanResult(node.Name, null, new RouterPlanError(RouterPlanErrorKind.NotReachable, "sshAddress", $"router '{node.Name}' has no ip and no sshAddress"));
        }

        try
        {
            var plan = await RouterSync.PlanAsync(remoteHosts.For(target), RouterSync.Desired(registry, node, rules?.List()), cancellationToken);
            return new RouterPlanResult(node.Name, plan.Actions, null);
        }
        catch (HostKeyMismatchException e)
        {
            await registry.RecordAsync(node.Name, EventKind.SshHostKeyMismatch, e.Message, Actor.Appliance, cancellationToken);
            return Failed(node, e.Message);
        }
        catch (RemoteHostException e) when (e.Failure is RemoteFailure.HostKeyNotPinned or RemoteFailure.InvalidTarget)
        {
            return new RouterPlanResult(node.Name, null, new RouterPlanError(
                RouterPlanErrorKind.NotReachable, e.Failure == RemoteFailure.HostKeyNotPinned ? "sshHostKey" : "sshAddress", e.Message));
        }
        catch (Exception e) when (e is RemoteHostException or RemoteCommandTimeoutException or RemoteCommandFailedException or FormatException)
        {
            return Failed(node, e.Message);
        }
    }

    private static RouterPlanResult Failed(Node node, string message) =>
        new(node.Name, null, new RouterPlanError(RouterPlanErrorKind.Failed, null, $"router '{node.Name}': {message}"));
}

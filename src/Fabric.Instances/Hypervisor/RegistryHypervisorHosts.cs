using Fabric.Core;
using Fabric.Registry;
using Fabric.Remote;
using Fabric.Remote.Hosts;

namespace Fabric.Instances.Hypervisor;

/// <summary>Hypervisors from the registry: hardware nodes, reached over SSH with their SSH fields (address, port, user,
/// pinned host key), their instances' folders under the label <see cref="RunDirLabel"/> or <see cref="InstancePaths.Root"/>.</summary>
internal sealed class RegistryHypervisorHosts(IRegistry registry) : IHypervisorHosts
{
    /// <summary>The folder holding the hypervisor's instances' folders, when not <see cref="InstancePaths.Root"/>.</summary>
    public const string RunDirLabel = "fabric.instances/run-dir";

    public Task<HypervisorHost> FindAsync(string hypervisor, CancellationToken cancellationToken) => Task.FromResult(Find(registry, hypervisor));

    public static HypervisorHost Find(IRegistry registry, string hypervisor)
    {
        var node = registry.FindNode(hypervisor);
        if (node is null || node.Role != NodeRole.Hardware)
        {
            throw new RemoteHostException(RemoteFailure.InvalidTarget, hypervisor, node is null ? "no such hypervisor" : $"{node.Name} is not a hypervisor");
        }

        var (address, port, user) = node.SshEndpoint;
        if (address is null)
        {
            throw new RemoteHostException(RemoteFailure.InvalidTarget, node.Name, "the hypervisor has no ip and no sshAddress");
        }

        var root = node.Labels.GetValueOrDefault(RunDirLabel) ?? InstancePaths.Root;
        if (InstancePaths.CheckRoot(root) is { } problem)
        {
            throw new RemoteHostException(RemoteFailure.InvalidTarget, node.Name, $"label {RunDirLabel}: {problem}");
        }

        return new HypervisorHost(node.Name, new SshTarget(address, port, user, node.Ssh.HostKey), root);
    }
}

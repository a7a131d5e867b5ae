using Fabric.Remote.Hosts;

namespace Fabric.Instances.Hypervisor;

/// <summary>A hypervisor as the driver reaches it: its SSH target and the folder holding its instances' folders.</summary>
public sealed record HypervisorHost(string Name, SshTarget Ssh, string RunRoot = InstancePaths.Root);

/// <summary>Finds hypervisors by name (in the appliance: hardware nodes of the registry, their SSH fields and labels).</summary>
public interface IHypervisorHosts
{
    /// <summary>The hypervisor called <paramref name="hypervisor"/>. Throws <see cref="Remote.RemoteHostException"/>
    /// (<see cref="Remote.RemoteFailure.InvalidTarget"/>) when there is none or it cannot be reached over SSH.</summary>
    Task<HypervisorHost> FindAsync(string hypervisor, CancellationToken cancellationToken);
}

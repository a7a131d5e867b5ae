using Fabric.Instances.Qmp;

namespace Fabric.Instances.Hypervisor;

/// <summary>Runs instances' qemu on hypervisors. The SSH implementation (<see cref="SshHypervisorDriver"/>) runs
/// <see cref="QemuCommands"/> through Fabric.Remote and carries QMP over <see cref="QemuCommands.QmpChannel"/>.</summary>
public interface IHypervisorDriver
{
    /// <summary>Starts qemu for <paramref name="spec"/> on <paramref name="hypervisor"/>; returns once it daemonized.</summary>
    Task LaunchAsync(string hypervisor, QemuSpec spec, CancellationToken cancellationToken);

    /// <summary>A QMP session with the instance's qemu on <paramref name="hypervisor"/>; disposing it closes the session.</summary>
    Task<QmpClient> ConnectQmpAsync(string hypervisor, string instance, CancellationToken cancellationToken);

    /// <summary>Ends the instance's qemu on <paramref name="hypervisor"/> and removes its folder; nothing running is fine.</summary>
    Task KillAsync(string hypervisor, string instance, CancellationToken cancellationToken);

    /// <summary>Whether the instance's qemu runs on <paramref name="hypervisor"/> (its pid file names a live process).</summary>
    Task<bool> IsRunningAsync(string hypervisor, string instance, CancellationToken cancellationToken);

    /// <summary>The last <paramref name="bytes"/> bytes of the instance's serial console on <paramref name="hypervisor"/>
    /// (empty when it has none).</summary>
    Task<string> ConsoleAsync(string hypervisor, string instance, int bytes, CancellationToken cancellationToken);
}

using Fabric.Instances.Qmp;
using Fabric.Remote;
using Fabric.Remote.Channels;
using Fabric.Remote.Commands;

namespace Fabric.Instances.Hypervisor;

/// <summary><see cref="IHypervisorDriver"/> over SSH: qemu is launched and killed with <see cref="QemuCommands"/>, and
/// QMP runs over a streaming channel to <c>socat - UNIX-CONNECT:.../qmp.sock</c> on the hypervisor. No value reaches a
/// shell except as a quoted argument.</summary>
public sealed class SshHypervisorDriver(IRemoteHosts remote, IHypervisorHosts hosts) : IHypervisorDriver
{
    /// <summary>Time for qemu to start and daemonize (it opens the disk and the tap first).</summary>
    public static readonly TimeSpan LaunchTimeout = TimeSpan.FromMinutes(2);

    /// <summary>Time for the kill script (TERM, 5 s, KILL, remove the folder).</summary>
    public static readonly TimeSpan KillTimeout = TimeSpan.FromMinutes(1);

    private static readonly TimeSpan ShortTimeout = TimeSpan.FromSeconds(30);

    public async Task LaunchAsync(string hypervisor, QemuSpec spec, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var host = await hosts.FindAsync(hypervisor, cancellationToken).ConfigureAwait(false);
        spec = spec with { RunRoot = host.RunRoot };
        var node = remote.For(host.Ssh);
        if (spec.Mirror is not null)
        {
            // The disk first: a hypervisor that cannot see both halves fails here, before any qemu (on a migration's
            // target: before -incoming, so the source is untouched).
            (await node.RunAsync(QemuCommands.AssembleMirror(spec), new RemoteRunOptions(LaunchTimeout), cancellationToken).ConfigureAwait(false)).EnsureSuccess();
        }

        var launched = await node.RunAsync(QemuCommands.Launch(spec), new RemoteRunOptions(LaunchTimeout), cancellationToken).ConfigureAwait(false);
        if (!launched.Succeeded && spec.Mirror is not null)
        {
            // No qemu, but an assembled array: stop it again, so nothing is left behind.
            await node.RunAsync(QemuCommands.Kill(spec.Name, spec.RunRoot), new RemoteRunOptions(KillTimeout), CancellationToken.None).ConfigureAwait(false);
        }

        launched.EnsureSuccess();
        if (spec.Port is null)
        {
            return;
        }

        var plugged = await node.RunAsync(QemuCommands.Plug(spec), new RemoteRunOptions(ShortTimeout), cancellationToken).ConfigureAwait(false);
        if (!plugged.Succeeded)
        {
            // A guest off its network is no instance: take it away again, with the reason.
            await node.RunAsync(QemuCommands.Kill(spec.Name, spec.RunRoot), new RemoteRunOptions(KillTimeout), CancellationToken.None).ConfigureAwait(false);
            plugged.EnsureSuccess();
        }
    }

    public async Task<QmpClient> ConnectQmpAsync(string hypervisor, string instance, CancellationToken cancellationToken)
    {
        var host = await hosts.FindAsync(hypervisor, cancellationToken).ConfigureAwait(false);

        // The session lives as long as its owner disposes it: a cancelled job still sends migrate_cancel on it.
        var channel = await remote.For(host.Ssh).OpenChannelAsync(
            QemuCommands.QmpChannel(instance, host.RunRoot), new RemoteChannelOptions(Timeout.InfiniteTimeSpan), CancellationToken.None).ConfigureAwait(false);
        try
        {
            return await QmpClient.ConnectAsync(channel.Output, channel.Input, channel, cancellationToken).ConfigureAwait(false);
        }
        catch (QmpConnectionException e)
        {
            // Most often socat could not reach the socket: its own words say why (no such file: qemu is not running).
            var why = await ChannelErrorAsync(channel).ConfigureAwait(false);
            throw new QmpConnectionException($"{hypervisor}: no QMP session with {instance}: {(why.Length > 0 ? why : e.Message)}");
        }
    }

    public async Task KillAsync(string hypervisor, string instance, CancellationToken cancellationToken)
    {
        var host = await hosts.FindAsync(hypervisor, cancellationToken).ConfigureAwait(false);
        (await remote.For(host.Ssh).RunAsync(QemuCommands.Kill(instance, host.RunRoot), new RemoteRunOptions(KillTimeout), cancellationToken).ConfigureAwait(false))
            .EnsureSuccess();
    }

    public async Task<bool> IsRunningAsync(string hypervisor, string instance, CancellationToken cancellationToken)
    {
        var host = await hosts.FindAsync(hypervisor, cancellationToken).ConfigureAwait(false);
        var result = await remote.For(host.Ssh).RunAsync(QemuCommands.IsRunning(instance, host.RunRoot), new RemoteRunOptions(ShortTimeout), cancellationToken)
            .ConfigureAwait(false);
        return result.Succeeded;
    }

    public async Task<string> ConsoleAsync(string hypervisor, string instance, int bytes, CancellationToken cancellationToken)
    {
        var host = await hosts.FindAsync(hypervisor, cancellationToken).ConfigureAwait(false);
        var command = RemoteCommand.Script(
            "[ -f \"$2\" ] || exit 0; exec tail -c \"$1\" -- \"$2\"",
            bytes.ToString(System.Globalization.CultureInfo.InvariantCulture), new InstancePaths(instance, host.RunRoot).SerialLog);
        var result = await remote.For(host.Ssh).RunAsync(command, new RemoteRunOptions(ShortTimeout), cancellationToken).ConfigureAwait(false);
        return result.EnsureSuccess().StandardOutput;
    }

    private static async Task<string> ChannelErrorAsync(IRemoteChannel channel)
    {
        try
        {
            var result = await channel.Completion.WaitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
            return result.StandardError.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).LastOrDefault() ?? "";
        }
        catch (Exception e) when (e is TimeoutException or RemoteHostException or OperationCanceledException)
        {
            return "";
        }
        finally
        {
            await channel.DisposeAsync().ConfigureAwait(false);
        }
    }
}

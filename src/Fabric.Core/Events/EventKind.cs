namespace Fabric.Core.Events;

/// <summary>What an entry of a node's event log records. The wire text (<c>created</c>, <c>boot-up</c>, ...) is made
/// here only; a kind read back that this version does not know (written by a newer one) keeps its text.</summary>
public readonly record struct EventKind
{
    private EventKind(string wire) => Wire = wire;

    public string Wire { get; }

    /// <summary>An operator registered the node.</summary>
    public static EventKind Created { get; } = new("created");

    /// <summary>An operator changed the node (PATCH, the web page).</summary>
    public static EventKind Updated { get; } = new("updated");

    /// <summary>An operator removed the node.</summary>
    public static EventKind Removed { get; } = new("removed");

    /// <summary>An unknown MAC asked for its boot script and was registered as discovered.</summary>
    public static EventKind Discovered { get; } = new("discovered");

    /// <summary>The node's boot script was served.</summary>
    public static EventKind BootScript { get; } = new("boot-script");

    /// <summary>A boot report: <c>boot-initramfs</c>, <c>boot-root-mounted</c>, <c>boot-up</c>, <c>boot-failed</c>.</summary>
    public static EventKind BootInitramfs { get; } = new("boot-initramfs");

    public static EventKind BootRootMounted { get; } = new("boot-root-mounted");

    public static EventKind BootUp { get; } = new("boot-up");

    public static EventKind BootFailed { get; } = new("boot-failed");

    /// <summary>No <c>up</c> report came in time.</summary>
    public static EventKind BootTimeout { get; } = new("boot-timeout");

    /// <summary>A job started, finished or failed provisioning the node.</summary>
    public static EventKind ProvisioningStarted { get; } = new("provisioning-started");

    public static EventKind ProvisioningFinished { get; } = new("provisioning-finished");

    public static EventKind ProvisioningFailed { get; } = new("provisioning-failed");

    /// <summary>The node's SSH host key was pinned from its own <c>up</c> report.</summary>
    public static EventKind SshHostKeyPinned { get; } = new("ssh-host-key-pinned");

    /// <summary>A server presented, or a node reported, a host key other than the pinned one; nothing ran.</summary>
    public static EventKind SshHostKeyMismatch { get; } = new("ssh-host-key-mismatch");

    /// <summary>An instance moved through its lifecycle (and, after a migration, to another hypervisor).</summary>
    public static EventKind InstanceState { get; } = new("instance-state");

    /// <summary>The appliance found a running instance's qemu gone from its hypervisor (the message names the hypervisor
    /// and ends with the last lines of the serial console).</summary>
    public static EventKind InstanceProcessLost { get; } = new("instance-process-lost");

    /// <summary>The appliance could not ask an instance's hypervisor whether its qemu runs (recorded once until it answers).</summary>
    public static EventKind InstanceUnchecked { get; } = new("instance-unchecked");

    /// <summary>A storage node stopped answering Fabric's health check (the message says why).</summary>
    public static EventKind StorageDown { get; } = new("storage-down");

    /// <summary>A storage node that was down answers again; Fabric syncs its exports and repairs the md roots on it.</summary>
    public static EventKind StorageUp { get; } = new("storage-up");

    /// <summary>A router's drift check found it differs from its plan (the message names the changes apply would make).</summary>
    public static EventKind RouterDrift { get; } = new("router-drift");

    /// <summary>A router that had drifted matches its plan again.</summary>
    public static EventKind RouterInSync { get; } = new("router-in-sync");

    /// <summary>A router's drift check could not read it (the message says why); its last known drift is kept.</summary>
    public static EventKind RouterUnreachable { get; } = new("router-unreachable");

    public static IReadOnlyList<EventKind> All { get; } =
    [
        Created, Updated, Removed, Discovered, BootScript, BootInitramfs, BootRootMounted, BootUp, BootFailed, BootTimeout,
        ProvisioningStarted, ProvisioningFinished, ProvisioningFailed, SshHostKeyPinned, SshHostKeyMismatch, InstanceState,
        InstanceProcessLost, InstanceUnchecked, StorageDown, StorageUp, RouterDrift, RouterInSync, RouterUnreachable,
    ];

    /// <summary>The kind of a stored entry; text this version does not know is kept as it is.</summary>
    public static EventKind FromWire(string text)
    {
        foreach (var kind in All)
        {
            if (kind.Wire == text)
            {
                return kind;
            }
        }

        return new EventKind(text);
    }

    public override string ToString() => Wire;
}

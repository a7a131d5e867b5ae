using Fabric.Core.Events;

namespace Fabric.Core.Lifecycle;

/// <summary>What can happen to a node that may move it to another <see cref="NodeState"/>.</summary>
public enum NodeTrigger
{
    /// <summary>The node fetched its iPXE script (<c>GET /boot/{mac}.ipxe</c>) from its own address.</summary>
    BootScriptFetched,

    /// <summary>Boot report <c>initramfs</c>: the node's initramfs is running.</summary>
    ReportedInitramfs,

    /// <summary>Boot report <c>root-mounted</c>: the node mounted its root file system.</summary>
    ReportedRootMounted,

    /// <summary>Boot report <c>up</c>: the node finished booting.</summary>
    ReportedUp,

    /// <summary>Boot report <c>failed</c>: the node could not boot.</summary>
    ReportedFailed,

    /// <summary>No <c>up</c> report came within <c>Fabric:BootTimeout</c> of the boot script.</summary>
    BootTimedOut,

    /// <summary>An operator takes the node out of service.</summary>
    Retire,

    /// <summary>An operator puts the node back to <c>registered</c> (e.g. after a failure or a retirement).</summary>
    Reregister,

    /// <summary>An operator gives a discovered node a role or a root.</summary>
    Adopt,

    /// <summary>A job starts preparing the node.</summary>
    ProvisioningStarted,

    /// <summary>The job preparing the node finished.</summary>
    ProvisioningFinished,

    /// <summary>The job preparing the node failed.</summary>
    ProvisioningFailed,
}

public static class NodeTriggerNames
{
    /// <summary>The boot report stage of a report trigger, e.g. <c>root-mounted</c>.</summary>
    public static bool TryParseStage(string? stage, out NodeTrigger trigger)
    {
        switch (stage?.Trim().ToLowerInvariant())
        {
            case "initramfs":
                trigger = NodeTrigger.ReportedInitramfs;
                return true;
            case "root-mounted":
                trigger = NodeTrigger.ReportedRootMounted;
                return true;
            case "up":
                trigger = NodeTrigger.ReportedUp;
                return true;
            case "failed":
                trigger = NodeTrigger.ReportedFailed;
                return true;
            default:
                trigger = default;
                return false;
        }
    }

    /// <summary>The event log kind of a boot report trigger.</summary>
    public static EventKind ReportEvent(this NodeTrigger trigger) => trigger switch
    {
        NodeTrigger.ReportedInitramfs => EventKind.BootInitramfs,
        NodeTrigger.ReportedRootMounted => EventKind.BootRootMounted,
        NodeTrigger.ReportedUp => EventKind.BootUp,
        NodeTrigger.ReportedFailed => EventKind.BootFailed,
        _ => throw new ArgumentOutOfRangeException(nameof(trigger), trigger, "not a boot report"),
    };

    /// <summary>The boot stages a node reports, in boot order.</summary>
    public static IReadOnlyList<string> Stages { get; } = ["initramfs", "root-mounted", "up", "failed"];
}

namespace Fabric.Instances.Lifecycle;

/// <summary>What can happen to an instance that may move it to another <see cref="Fabric.Core.Lifecycle.InstanceState"/>.</summary>
public enum InstanceTrigger
{
    /// <summary>An operator asks for the instance to run (<c>POST .../start</c>, or the launch itself).</summary>
    Start,

    /// <summary>The start job saw qemu running and answering QMP.</summary>
    Started,

    /// <summary>The start job could not launch qemu.</summary>
    StartFailed,

    /// <summary>An operator asks for the instance to stop (<c>POST .../stop</c>).</summary>
    Stop,

    /// <summary>The stop job saw qemu gone.</summary>
    Stopped,

    /// <summary>The stop job could not end qemu.</summary>
    StopFailed,

    /// <summary>An operator (or an evacuation) asks for a live migration (<c>POST .../migrate</c>).</summary>
    Migrate,

    /// <summary>The migration job finished: the instance runs on the target. The hypervisor changes in the same write.</summary>
    MigrationFinished,

    /// <summary>The migration job failed or was cancelled: the instance keeps running on the source.</summary>
    MigrationAborted,

    /// <summary>The appliance found the instance's qemu gone without a stop.</summary>
    ProcessLost,
}

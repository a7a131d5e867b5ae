using System.Diagnostics.CodeAnalysis;

namespace Fabric.Core.Lifecycle;

/// <summary>Where an instance (a VM) is in its life. The transitions between them are the table in
/// <c>Fabric.Instances.Lifecycle.InstanceLifecycle</c>.</summary>
public enum InstanceState
{
    /// <summary>Recorded and placed, never started.</summary>
    Defined,

    /// <summary>A job is launching its qemu on the hypervisor.</summary>
    Starting,

    /// <summary>Its qemu runs on <see cref="InstanceSpec.Hypervisor"/>.</summary>
    Running,

    /// <summary>Running, and a job is moving it live to another hypervisor.</summary>
    Migrating,

    /// <summary>A job is shutting it down.</summary>
    Stopping,

    /// <summary>No qemu runs for it; its disk and address are kept.</summary>
    Stopped,

    /// <summary>A start or stop failed, or its qemu went away on its own.</summary>
    Failed,
}

public static class InstanceStateNames
{
    /// <summary>The state's wire text, e.g. <c>migrating</c>.</summary>
    public static string ToWire(this InstanceState state) => state switch
    {
        InstanceState.Defined => "defined",
        InstanceState.Starting => "starting",
        InstanceState.Running => "running",
        InstanceState.Migrating => "migrating",
        InstanceState.Stopping => "stopping",
        InstanceState.Stopped => "stopped",
        InstanceState.Failed => "failed",
        _ => throw new ArgumentOutOfRangeException(nameof(state), state, null),
    };

    /// <summary>Every state's wire text, in lifecycle order.</summary>
    public static IReadOnlyList<string> All { get; } = Enum.GetValues<InstanceState>().Select(s => s.ToWire()).ToList();

    public static bool TryParse([NotNullWhen(true)] string? text, out InstanceState state)
    {
        foreach (var candidate in Enum.GetValues<InstanceState>())
        {
            if (string.Equals(candidate.ToWire(), text?.Trim(), StringComparison.OrdinalIgnoreCase))
            {
                state = candidate;
                return true;
            }
        }

        state = default;
        return false;
    }
}

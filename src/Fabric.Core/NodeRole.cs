namespace Fabric.Core;

/// <summary>What a node is in the fabric. Serialised in lower case: <c>storage</c>, <c>hardware</c>, ...</summary>
public enum NodeRole
{
    /// <summary>A StorageNode: serves AoE targets and NFS exports, one of a redundant pair.</summary>
    Storage,

    /// <summary>A HardwareNode: a diskless hypervisor that boots from the network with its root on a StorageNode.</summary>
    Hardware,

    /// <summary>An Instance: a virtual machine running on a HardwareNode.</summary>
    Instance,

    /// <summary>The Linux router that joins VM VLANs and routes public addresses with proxy ARP.</summary>
    Router,
}

/// <summary>Life-cycle state of a node.</summary>
public enum NodeState
{
    Registered,
    Discovered,
    Booting,
    Up,
    Failed,
    Retired,

    /// <summary>A job is preparing the node (e.g. its storage); it boots as usual but its state belongs to the job.</summary>
    Provisioning,
}

public static class NodeEnumNames
{
    public static string ToWire(this NodeRole role) => role switch
    {
        NodeRole.Storage => "storage",
        NodeRole.Hardware => "hardware",
        NodeRole.Instance => "instance",
        NodeRole.Router => "router",
        _ => throw new ArgumentOutOfRangeException(nameof(role)),
    };

    public static string ToWire(this NodeState state) => state switch
    {
        NodeState.Registered => "registered",
        NodeState.Discovered => "discovered",
        NodeState.Booting => "booting",
        NodeState.Up => "up",
        NodeState.Failed => "failed",
        NodeState.Retired => "retired",
        NodeState.Provisioning => "provisioning",
        _ => throw new ArgumentOutOfRangeException(nameof(state)),
    };

    public static bool TryParseRole(string? text, out NodeRole role)
    {
        role = default;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        foreach (var candidate in Enum.GetValues<NodeRole>())
        {
            if (string.Equals(candidate.ToWire(), text.Trim(), StringComparison.OrdinalIgnoreCase))
            {
                role = candidate;
                return true;
            }
        }

        return false;
    }

    public static bool TryParseState(string? text, out NodeState state)
    {
        state = default;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        foreach (var candidate in Enum.GetValues<NodeState>())
        {
            if (string.Equals(candidate.ToWire(), text.Trim(), StringComparison.OrdinalIgnoreCase))
            {
                state = candidate;
                return true;
            }
        }

        return false;
    }
}

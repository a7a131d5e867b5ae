using Fabric.Remote.Commands;

namespace Fabric.Router.Diff;

/// <summary>What one change does, in the order the diff lists them.</summary>
public enum RouterActionKind
{
    /// <summary>Make a VLAN sub-interface, mark it as Fabric's and bring it up.</summary>
    AddLink,

    /// <summary>Bring a sub-interface that is down up.</summary>
    SetLinkUp,

    /// <summary>Remove an address from one of the plan's sub-interfaces.</summary>
    DeleteAddress,

    /// <summary>Put the gateway address on a sub-interface.</summary>
    AddAddress,

    /// <summary>Set a kernel setting.</summary>
    SetSysctl,

    /// <summary>Replace the <c>inet fabric</c> table whole with <c>nft -f</c> of the rendered file (one transaction).</summary>
    ReplaceTable,

    /// <summary>Remove a VLAN sub-interface Fabric made that the plan no longer has.</summary>
    DeleteLink,
}

/// <summary>One change to the router: what it is (<see cref="Description"/>), the commands that make it, and, for
/// <see cref="RouterActionKind.ReplaceTable"/>, the file written before them.</summary>
/// <param name="Kind">What it does.</param>
/// <param name="Target">The interface, key or table it changes.</param>
/// <param name="Description">One line for the operator, e.g. <c>add link eth1.100 (vlan 100, network pub1)</c>.</param>
/// <param name="Commands">The commands, run in order; each must exit 0.</param>
/// <param name="File">A file to write first (path and content), or null.</param>
public sealed record RouterAction(RouterActionKind Kind, string Target, string Description, IReadOnlyList<RemoteCommand> Commands, RouterFile? File = null)
{
    public override string ToString() => Description;
}

/// <summary>A file an action writes on the router.</summary>
public sealed record RouterFile(string Path, string Content);

public static class RouterActionKindNames
{
    public static string ToWire(this RouterActionKind kind) => kind switch
    {
        RouterActionKind.AddLink => "add-link",
        RouterActionKind.SetLinkUp => "set-link-up",
        RouterActionKind.DeleteAddress => "del-addr",
        RouterActionKind.AddAddress => "add-addr",
        RouterActionKind.SetSysctl => "set-sysctl",
        RouterActionKind.ReplaceTable => "replace-table",
        RouterActionKind.DeleteLink => "del-link",
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };
}

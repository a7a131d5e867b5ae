using Fabric.Core;

namespace Fabric.Boot;

/// <summary>Which template serves which node.</summary>
public static class BootTemplates
{
    public const string Hardware = "hardware.ipxe";
    public const string Storage = "storage.ipxe";
    public const string Instance = "instance.ipxe";
    public const string Router = "router.ipxe";
    public const string Discovery = "discovery.ipxe";
    public const string Provisioning = "provisioning.ipxe";
    public const string Error = "error.ipxe";
    public const string Pxelinux = "pxelinux.cfg";
    public const string Grub = "grub.cfg";

    /// <summary>Extension of the partials in <c>partials/</c>, used as <c>{{ include "NAME" }}</c>.</summary>
    public const string PartialExtension = ".sbn";

    /// <summary>The iPXE script for a node: the discovery script while it is <c>discovered</c>
    /// (an operator has not given it a role yet), the waiting script while a job makes its root
    /// (<c>provisioning</c>), else the script of its role.</summary>
    public static string IpxeFor(Node node)
    {
        ArgumentNullException.ThrowIfNull(node);
        if (node.State == NodeState.Discovered)
        {
            return Discovery;
        }

        if (node.State == NodeState.Provisioning)
        {
            return Provisioning;
        }

        return node.Role switch
        {
            NodeRole.Hardware => Hardware,
            NodeRole.Storage => Storage,
            NodeRole.Instance => Instance,
            NodeRole.Router => Router,
            _ => Error,
        };
    }
}

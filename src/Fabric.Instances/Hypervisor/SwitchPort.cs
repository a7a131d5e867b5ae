using Fabric.Core;

namespace Fabric.Instances.Hypervisor;

/// <summary>How a hypervisor puts instances' taps on the network.</summary>
public enum SwitchKind
{
    /// <summary>An Open vSwitch bridge: the tap is an access port tagged with the network's VLAN.</summary>
    Ovs,

    /// <summary>Linux bridges: the tap joins <c>brVLAN</c>, a bridge over the uplink's VLAN sub-interface <c>UPLINK.VLAN</c>
    /// (both made when missing); with no VLAN, the bridge the label names.</summary>
    Linux,
}

/// <summary>Where an instance's tap goes on its hypervisor: the hypervisor's switch (labels <see cref="SwitchLabel"/>,
/// <see cref="BridgeLabel"/>, <see cref="UplinkLabel"/>) and the VLAN of the instance's network. A hypervisor without
/// the switch label gets no port: its tap stays as qemu made it, for the host's own set-up to attach.</summary>
public sealed record SwitchPort(SwitchKind Kind, string Bridge, string Uplink, int? Vlan)
{
    /// <summary><c>ovs</c> or <c>linux</c>.</summary>
    public const string SwitchLabel = "fabric.instances/switch";

    /// <summary>The OVS bridge (default <see cref="DefaultBridge"/>), or the Linux bridge of untagged networks.</summary>
    public const string BridgeLabel = "fabric.instances/bridge";

    /// <summary>The interface the Linux bridges' VLAN sub-interfaces are made on (default <see cref="DefaultUplink"/>).</summary>
    public const string UplinkLabel = "fabric.instances/uplink";

    public const string DefaultBridge = "br0";
    public const string DefaultUplink = "eth1";

    /// <summary>The port of an instance on network VLAN <paramref name="vlan"/> on <paramref name="hypervisor"/>; null
    /// when the hypervisor names no switch. A label with a bad value is a problem, not a guess.</summary>
    public static SwitchPort? For(Node hypervisor, int? vlan, out string? problem)
    {
        ArgumentNullException.ThrowIfNull(hypervisor);
        problem = null;
        if (!hypervisor.Labels.TryGetValue(SwitchLabel, out var kindText))
        {
            return null;
        }

        SwitchKind kind;
        switch (kindText)
        {
            case "ovs":
                kind = SwitchKind.Ovs;
                break;
            case "linux":
                kind = SwitchKind.Linux;
                break;
            default:
                problem = $"{hypervisor.Name}: label {SwitchLabel} is '{kindText}', not ovs or linux";
                return null;
        }

        var bridge = hypervisor.Labels.GetValueOrDefault(BridgeLabel) ?? DefaultBridge;
        var uplink = hypervisor.Labels.GetValueOrDefault(UplinkLabel) ?? DefaultUplink;
        foreach (var (label, value) in new[] { (BridgeLabel, bridge), (UplinkLabel, uplink) })
        {
            if (!IsInterfaceName(value))
            {
                problem = $"{hypervisor.Name}: label {label} is '{value}', not an interface name";
                return null;
            }
        }

        if (kind == SwitchKind.Linux && vlan is { } v && !IsInterfaceName($"{uplink}.{v}"))
        {
            problem = $"{hypervisor.Name}: '{uplink}.{v}' is longer than an interface name may be";
            return null;
        }

        return new SwitchPort(kind, bridge, uplink, vlan);
    }

    /// <summary>Linux's rule: 1-15 characters, no '/', no white space, not '.' or '..'; here also only letters, digits,
    /// '.', '_' and '-', so the name is safe in any command.</summary>
    private static bool IsInterfaceName(string name) =>
        name.Length is > 0 and <= 15 && name is not ("." or "..") && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-');
}

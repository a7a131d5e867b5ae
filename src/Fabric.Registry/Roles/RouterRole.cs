using Fabric.Core;

namespace Fabric.Registry.Roles;

/// <summary>The Linux router that joins the instance networks' VLANs and brings their addresses to them with proxy ARP.
/// Fields <c>trunkInterface</c> (towards the hypervisors, default <c>eth1</c>; VLAN sub-interfaces are made on it, so it
/// leaves room for <c>.4094</c>) and <c>uplinkInterface</c> (towards the outside, default <c>eth2</c>).</summary>
internal sealed class RouterRole : RoleModule
{
    /// <summary>A sub-interface is <c>TRUNK.VLAN</c> and a name is at most 15 characters: the trunk keeps 5 for <c>.4094</c>.</summary>
    public const int MaxTrunkNameLength = 10;

    public override NodeRole Role => NodeRole.Router;

    protected override IReadOnlyList<RoleField> OwnFields { get; } =
    [
        RoleField.Of("trunkInterface", i => i.TrunkInterface, (i, v) => i with { TrunkInterface = v }, n => n.Router?.TrunkInterface),
        RoleField.Of("uplinkInterface", i => i.UplinkInterface, (i, v) => i with { UplinkInterface = v }, n => n.Router?.UplinkInterface),
    ];

    public override Node WithSpec(Node node, NodeInput input, Network? network, List<FieldError> errors)
    {
        if (input.TrunkInterface is not null && (!IsInterfaceName(input.TrunkInterface) || input.TrunkInterface.Length > MaxTrunkNameLength || input.TrunkInterface.Contains('.', StringComparison.Ordinal)))
        {
            errors.Add(new FieldError("trunkInterface", $"'{input.TrunkInterface}' is not a trunk interface name (1-{MaxTrunkNameLength} characters, no '.', '/', ':' or spaces)"));
        }

        if (input.UplinkInterface is not null && !IsInterfaceName(input.UplinkInterface))
        {
            errors.Add(new FieldError("uplinkInterface", $"'{input.UplinkInterface}' is not an interface name (1-15 characters, no '/', ':' or spaces)"));
        }

        var trunk = input.TrunkInterface ?? RouterSpec.DefaultTrunkInterface;
        if (input.UplinkInterface is not null && input.UplinkInterface == trunk)
        {
            errors.Add(new FieldError("uplinkInterface", $"the uplink cannot be the trunk interface '{trunk}'"));
        }

        return node with { Router = new RouterSpec(input.TrunkInterface, input.UplinkInterface) };
    }
}

using Fabric.Core;

namespace Fabric.Registry.Roles;

/// <summary>The Linux router that joins VM VLANs and routes public addresses with proxy ARP. No fields of its own yet.</summary>
internal sealed class RouterRole : RoleModule
{
    public override NodeRole Role => NodeRole.Router;

    protected override IReadOnlyList<RoleField> OwnFields { get; } = [];

    public override Node WithSpec(Node node, NodeInput input, Network? network, List<FieldError> errors) => node;
}

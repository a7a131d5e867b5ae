using Fabric.Core;

namespace Fabric.Registry.Roles;

/// <summary>HardwareNode: a diskless hypervisor. Fields <c>cpuCores</c>, <c>memoryMiB</c> and <c>root</c> (see
/// <see cref="RootSpec"/>).</summary>
internal sealed class HardwareRole : RoleModule
{
    public override NodeRole Role => NodeRole.Hardware;

    protected override IReadOnlyList<RoleField> OwnFields { get; } =
    [
        RoleField.OfValue("cpuCores", i => i.CpuCores, (i, v) => i with { CpuCores = v }, n => n.Hardware?.CpuCores),
        RoleField.OfValue("memoryMiB", i => i.MemoryMiB, (i, v) => i with { MemoryMiB = v }, n => n.Hardware?.MemoryMiB),
        RoleField.Of("root", i => i.Root, (i, v) => i with { Root = v }, n => n.Hardware?.Root?.ToString()),
    ];

    public override Node WithSpec(Node node, NodeInput input, Network? network, List<FieldError> errors)
    {
        Positive(input.CpuCores, "cpuCores", 4096, errors);
        Positive(input.MemoryMiB, "memoryMiB", 1L << 32, errors);
        RootSpec? root = null;
        if (input.Root is not null && !RootSpec.TryParse(input.Root, out root, out var reason))
        {
            errors.Add(new FieldError("root", $"'{input.Root}' is not a root: {reason}"));
        }

        return node with { Hardware = new HardwareSpec(input.CpuCores, input.MemoryMiB, root) };
    }
}

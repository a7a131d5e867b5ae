using Fabric.Core;

namespace Fabric.Registry.Roles;

/// <summary>Instance: a virtual machine on a HardwareNode. Fields <c>vCpus</c>, <c>memoryMiB</c>, <c>diskVolume</c> and
/// <c>hypervisor</c>; its network is the node's.</summary>
internal sealed class InstanceRole : RoleModule
{
    public override NodeRole Role => NodeRole.Instance;

    protected override IReadOnlyList<RoleField> OwnFields { get; } =
    [
        RoleField.OfValue("memoryMiB", i => i.MemoryMiB, (i, v) => i with { MemoryMiB = v }, n => n.Instance?.MemoryMiB),
        RoleField.OfValue("vCpus", i => i.VCpus, (i, v) => i with { VCpus = v }, n => n.Instance?.VCpus),
        RoleField.Of("diskVolume", i => i.DiskVolume, (i, v) => i with { DiskVolume = v }, n => n.Instance?.DiskVolume),
        RoleField.Of("hypervisor", i => i.Hypervisor, (i, v) => i with { Hypervisor = v }, n => n.Instance?.Hypervisor),
    ];

    public override Node WithSpec(Node node, NodeInput input, Network? network, List<FieldError> errors)
    {
        Positive(input.VCpus, "vCpus", 1024, errors);
        Positive(input.MemoryMiB, "memoryMiB", 1L << 32, errors);
        string? hypervisor = null;
        if (input.Hypervisor is not null && !HostName.TryNormalize(input.Hypervisor, out hypervisor, out var reason))
        {
            errors.Add(new FieldError("hypervisor", reason));
        }

        if (input.DiskVolume is not null && (input.DiskVolume.Length is 0 or > 255 || input.DiskVolume.Any(char.IsControl)))
        {
            errors.Add(new FieldError("diskVolume", "a disk volume is 1-255 characters without control characters"));
        }

        return node with { Instance = new InstanceSpec(input.VCpus, input.MemoryMiB, input.DiskVolume, network?.Name, hypervisor) };
    }
}

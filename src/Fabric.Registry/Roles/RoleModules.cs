using Fabric.Core;

namespace Fabric.Registry.Roles;

/// <summary>The module of each role, and the role fields across all of them.</summary>
internal static class RoleModules
{
    public static IReadOnlyList<RoleModule> All { get; } = [new HardwareRole(), new StorageRole(), new InstanceRole(), new RouterRole()];

    /// <summary>Every role field once, by wire name, in the order the event log prints them.</summary>
    public static IReadOnlyList<RoleField> Fields { get; } = All.SelectMany(m => m.Fields).DistinctBy(f => f.Name).ToList();

    public static RoleModule For(NodeRole role) => All.Single(m => m.Role == role);

    /// <summary>The roles whose nodes have the field.</summary>
    public static IReadOnlyList<NodeRole> Owners(string field) => All.Where(m => m.Fields.Any(f => f.Name == field)).Select(m => m.Role).ToList();
}

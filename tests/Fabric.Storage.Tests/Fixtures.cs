using System.Net;
using Fabric.Core;

namespace Fabric.Storage.Tests;

/// <summary>Fixture nodes: a pair of storage nodes and hardware nodes whose roots live on it.</summary>
internal static class Fixtures
{
    public static Node StorageNode(string name, string pair, int? shelf, params StorageVolume[] volumes) => new()
    {
        Name = name,
        Role = NodeRole.Storage,
        Macs = [MacAddress.Parse($"52:54:00:00:01:{name.Length:x2}")],
        Ip = IPAddress.Parse("10.0.0.10"),
        Storage = new StorageSpec(pair, shelf, volumes, []),
    };

    public static Node Hardware(string name, string? root) => new()
    {
        Name = name,
        Role = NodeRole.Hardware,
        Macs = [MacAddress.Parse("52:54:00:00:02:01")],
        Hardware = new HardwareSpec(null, null, root is null ? null : RootSpec.TryParse(root, out var spec, out _) ? spec : throw new ArgumentException(root)),
    };

    public static StorageVolume Volume(string name, int slot, string folder = "/srv/fabric/volumes") =>
        new(name, slot, 256L << 20, $"{folder}/{name}.img");
}

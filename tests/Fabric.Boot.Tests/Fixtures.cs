using System.Net;
using System.Runtime.CompilerServices;
using Fabric.Core;

namespace Fabric.Boot.Tests;

/// <summary>Fixture nodes on one boot network: two storage nodes (shelves 0 and 1), HardwareNodes with
/// each kind of root, an instance, the router and a discovered machine.</summary>
internal static class Fixtures
{
    public static readonly ApplianceEndpoints Endpoints = new(new Uri("http://10.99.0.1:8080"), "10.99.0.1");

    public static readonly Network Boot = new(
        "boot",
        IPNetwork.Parse("10.99.0.0/24"),
        IPAddress.Parse("10.99.0.1"),
        [IPAddress.Parse("10.99.0.1"), IPAddress.Parse("9.9.9.9")],
        IPAddress.Parse("10.99.0.100"),
        IPAddress.Parse("10.99.0.200"),
        null,
        Network.DefaultLeaseTime,
        true);

    public static readonly Node Storage0 = new()
    {
        Name = "stor01",
        Role = NodeRole.Storage,
        Macs = [MacAddress.Parse("52:54:00:00:01:01")],
        Ip = IPAddress.Parse("10.99.0.10"),
        Network = "boot",
        Storage = new StorageSpec(
            "pair-a",
            0,
            [new StorageVolume("hnode01-root", 1, 2L << 30, "/srv/aoe/hnode01.img"), new StorageVolume("hnode02-root", 2, 2L << 30, "/srv/aoe/hnode02.img")],
            ["/srv/roots"]),
    };

    public static readonly Node Storage1 = Storage0 with
    {
        Name = "stor02",
        Macs = [MacAddress.Parse("52:54:00:00:01:02")],
        Ip = IPAddress.Parse("10.99.0.11"),
        Storage = new StorageSpec("pair-a", 1, [new StorageVolume("hnode02-root", 1, 2L << 30, "/srv/aoe/hnode02.img")], []),
    };

    public static Node Hardware(string name, string mac, string ip, string? root, IReadOnlyDictionary<string, string>? labels = null) => new()
    {
        Name = name,
        Role = NodeRole.Hardware,
        Macs = [MacAddress.Parse(mac)],
        Ip = IPAddress.Parse(ip),
        Network = "boot",
        Labels = labels ?? new Dictionary<string, string>(),
        Hardware = new HardwareSpec(4, 8192, root is null ? null : RootSpec.TryParse(root, out var spec, out _) ? spec : throw new ArgumentException(root)),
    };

    /// <summary>Every fixture by its name in golden file names.</summary>
    public static readonly IReadOnlyDictionary<string, BootContext> Contexts = new Dictionary<string, BootContext>(StringComparer.Ordinal)
    {
        ["hw-aoe"] = Context(
            Hardware("hnode01", "52:54:00:12:34:01", "10.99.0.21", "aoe:e0.1", new Dictionary<string, string> { ["rack"] = "r1", ["note"] = "rack 4, row B" }),
            [Storage0],
            "tok-hnode01-Zx9"),
        ["hw-aoe-md"] = Context(
            Hardware("hnode02", "52:54:00:12:34:02", "10.99.0.22", "aoe-md:e0.2,e1.1", new Dictionary<string, string> { ["fabric.timeout"] = "90" }),
            [Storage0, Storage1],
            "tok-hnode02-Qq1"),
        ["hw-nfs"] = Context(Hardware("hnode03", "52:54:00:12:34:03", "10.99.0.23", "nfs:10.99.0.10:/srv/roots/hnode03"), [Storage0], null),
        ["hw-noroot"] = Context(Hardware("hnode04", "52:54:00:12:34:04", "10.99.0.24", null), [], null),
        ["hw-provisioning"] = Context(Hardware("hnode05", "52:54:00:12:34:05", "10.99.0.25", null) with { State = NodeState.Provisioning }, [], "tok-hnode05-Pp3"),
        ["storage"] = Context(Storage0, [], "tok-stor01-Aa7"),
        ["instance"] = Context(
            new Node
            {
                Name = "vm01",
                Role = NodeRole.Instance,
                Macs = [MacAddress.Parse("52:54:00:ab:00:01")],
                Ip = IPAddress.Parse("10.99.0.51"),
                Network = "boot",
                Instance = new InstanceSpec(2, 2048, "vm01-disk", "boot", "hnode01"),
            },
            [],
            null),
        ["router"] = Context(
            new Node { Name = "router01", Role = NodeRole.Router, Macs = [MacAddress.Parse("52:54:00:fe:00:01")], Ip = IPAddress.Parse("10.99.0.2"), Network = "boot" },
            [],
            null),
        ["discovery"] = Context(
            new Node
            {
                Name = "node-5254000000ff",
                Role = NodeRole.Hardware,
                State = NodeState.Discovered,
                Macs = [MacAddress.Parse("52:54:00:00:00:ff")],
                Ip = IPAddress.Parse("10.99.0.100"),
                Network = "boot",
                Hardware = new HardwareSpec(null, null, null),
            },
            [],
            null),
    };

    public static BootContext Context(Node node, IReadOnlyList<Node> targets, string? token) =>
        new(node, node.Macs[0], Boot, targets, token, Endpoints);

    /// <summary>The repository's templates folder.</summary>
    public static string TemplatesDir =>
        BootTemplatesFolder.FindUpwards(AppContext.BaseDirectory) ?? throw new InvalidOperationException("templates folder not found");

    /// <summary>This test project's source folder (golden files live there so they can be rewritten).</summary>
    public static string SourceDir([CallerFilePath] string path = "") => Path.GetDirectoryName(path)!;
}

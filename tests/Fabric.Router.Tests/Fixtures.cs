using System.Net;
using System.Runtime.CompilerServices;
using Fabric.Core;

namespace Fabric.Router.Tests;

/// <summary>Registry pieces for the planner: the router, instance networks of each kind, and instances on them.</summary>
internal static class Fixtures
{
    public const string Pin = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOqlDtcScx3TBXl3oaum63sKOEpeBAX7UfklRfGs6x9l";

    public static Node Router(string? trunk = null, string? uplink = null) => new()
    {
        Name = "router1",
        Role = NodeRole.Router,
        Macs = [MacAddress.Parse("52:54:00:00:09:01")],
        Ip = IPAddress.Parse("10.0.0.5"),
        Network = "boot",
        Router = new RouterSpec(trunk, uplink),
        Ssh = new SshAccess(null, null, null, Pin),
    };

    public static Network Boot { get; } = new(
        "boot", IPNetwork.Parse("10.0.0.0/24"), IPAddress.Parse("10.0.0.1"), [], null, null, 10, Network.DefaultLeaseTime, false);

    public static Network Routed(string name, string cidr, int vlan, NetworkKind kind = NetworkKind.Public)
    {
        var network = IPNetwork.Parse(cidr);
        var gateway = Ipv4.FromUInt32(Ipv4.ToUInt32(network.BaseAddress) + 1);
        return new Network(name, network, gateway, [], null, null, vlan, Network.DefaultLeaseTime, false, null, kind);
    }

    public static Node Instance(string name, string network, string ip) => new()
    {
        Name = name,
        Role = NodeRole.Instance,
        Macs = [MacAddress.Parse($"0e:00:00:00:{ip.Split('.')[2].PadLeft(2, '0')[^2..]}:{int.Parse(ip.Split('.')[3], System.Globalization.CultureInfo.InvariantCulture):x2}")],
        Ip = IPAddress.Parse(ip),
        Network = network,
        Instance = new InstanceSpec(1, 512, null, network, "hv1"),
    };

    /// <summary>The calling test's source folder (golden files live next to the tests).</summary>
    public static string SourceDir([CallerFilePath] string path = "") => Path.GetDirectoryName(path)!;

    public static string Captured(string name) => File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "State", "Captured", name));
}

using System.Collections.Concurrent;
using System.Net;

namespace Fabric.Core;

/// <summary>A directory held in memory: used by protocol servers run on their own (tests, benchmarks,
/// a DHCP server without the registry) and as the registry's read snapshot.</summary>
public sealed class InMemoryFabricDirectory : IFabricDirectory
{
    private readonly ConcurrentDictionary<MacAddress, Node> _byMac = new();
    private readonly ConcurrentDictionary<IPAddress, Node> _byIp = new();
    private readonly ConcurrentDictionary<string, Network> _networks = new(StringComparer.Ordinal);

    public void Upsert(Node node)
    {
        foreach (var mac in node.Macs)
        {
            _byMac[mac] = node;
        }

        if (node.Ip is not null)
        {
            _byIp[node.Ip] = node;
        }
    }

    public void Remove(Node node)
    {
        foreach (var mac in node.Macs)
        {
            _byMac.TryRemove(mac, out _);
        }

        if (node.Ip is not null)
        {
            _byIp.TryRemove(node.Ip, out _);
        }
    }

    public void Upsert(Network network) => _networks[network.Name] = network;

    public void RemoveNetwork(string name) => _networks.TryRemove(name, out _);

    public ValueTask<Node?> FindNodeByMacAsync(MacAddress mac, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult(_byMac.TryGetValue(mac, out var node) ? node : null);

    public ValueTask<Node?> FindNodeByIpAsync(IPAddress address, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult(_byIp.TryGetValue(address, out var node) ? node : null);

    public ValueTask<Network?> FindNetworkAsync(string name, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult(_networks.TryGetValue(name, out var network) ? network : null);

    public ValueTask<IReadOnlyList<Network>> ListNetworksAsync(CancellationToken cancellationToken = default) =>
        ValueTask.FromResult<IReadOnlyList<Network>>(_networks.Values.OrderBy(n => n.Name, StringComparer.Ordinal).ToList());
}

using System.Net;
using Fabric.Appliance.Security;
using Fabric.Boot;
using Fabric.Core;
using Fabric.Registry;

namespace Fabric.Appliance.Boot;

/// <summary>Builds the <see cref="BootContext"/> a template renders for one node (HTTP boot scripts, render previews,
/// TFTP per-node files).</summary>
public interface IBootContextFactory
{
    /// <summary>The context for the node with this MAC, or null when no node has it.</summary>
    ValueTask<BootContext?> ForMacAsync(MacAddress mac, IPAddress? requester, CancellationToken cancellationToken = default);

    /// <summary>The context for the named node (booting from its first MAC), or null when there is no such node.</summary>
    ValueTask<BootContext?> ForNodeAsync(string name, IPAddress? requester, CancellationToken cancellationToken = default);

    /// <summary>The context for a known node booting from <paramref name="mac"/>. The boot token is included only when
    /// <paramref name="requester"/> is the node's own registry address.</summary>
    BootContext For(Node node, MacAddress mac, IPAddress? requester);
}

internal sealed class BootContextFactory(IRegistry registry, BootTokens tokens, ApplianceUrls urls) : IBootContextFactory
{
    public async ValueTask<BootContext?> ForMacAsync(MacAddress mac, IPAddress? requester, CancellationToken cancellationToken = default) =>
        await registry.FindNodeByMacAsync(mac, cancellationToken) is { } node ? For(node, mac, requester) : null;

    public ValueTask<BootContext?> ForNodeAsync(string name, IPAddress? requester, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult(registry.FindNode(name) is { Macs.Count: > 0 } node ? For(node, node.Macs[0], requester) : null);

    public BootContext For(Node node, MacAddress mac, IPAddress? requester)
    {
        var network = node.Network is null ? null : registry.FindNetwork(node.Network);
        var token = IsNodeItself(node, requester) ? tokens.For(node.Name) : null;
        return new BootContext(node, mac, network, RootTargets(node), token, urls.Endpoints);
    }

    private static bool IsNodeItself(Node node, IPAddress? requester)
    {
        if (node.Ip is null || requester is null)
        {
            return false;
        }

        return (requester.IsIPv4MappedToIPv6 ? requester.MapToIPv4() : requester).Equals(node.Ip);
    }

    /// <summary>The storage nodes serving a hardware node's root: for AoE, those whose shelf matches each target's shelf
    /// (in target order); for NFS, the one whose address or name is the server.</summary>
    private List<Node> RootTargets(Node node)
    {
        var root = node.Hardware?.Root;
        if (root is null)
        {
            return [];
        }

        var storage = registry.ListNodes(NodeRole.Storage);
        if (root.Transport == RootTransport.Nfs)
        {
            return storage.Where(s => string.Equals(s.Name, root.NfsServer, StringComparison.OrdinalIgnoreCase)
                || string.Equals(s.Ip?.ToString(), root.NfsServer, StringComparison.Ordinal)).Take(1).ToList();
        }

        var targets = new List<Node>();
        foreach (var target in root.AoeTargets)
        {
            foreach (var s in storage.Where(s => s.Storage?.AoeShelf == target.Shelf && !targets.Contains(s)))
            {
                targets.Add(s);
            }
        }

        return targets;
    }
}

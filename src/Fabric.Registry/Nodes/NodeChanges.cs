using Fabric.Core;
using Fabric.Registry.Roles;

namespace Fabric.Registry.Nodes;

/// <summary>JSON merge patch (RFC 7396) over a stored node, and the node's fields as text for the event log.</summary>
internal static class NodeChanges
{
    /// <summary>The stored node as an input with the changes laid over it: present fields replace, absent ones stay,
    /// fields named in <see cref="NodeInput.Clear"/> go. Changing the role drops the old role's fields; changing the
    /// network drops the address (a new one is allocated). The state is the service's business, not the patch's.</summary>
    public static NodeInput Merge(Node current, NodeInput changes)
    {
        bool roleChanged = changes.Role is not null && (!NodeEnumNames.TryParseRole(changes.Role, out var newRole) || newRole != current.Role);
        var input = ToInput(current, includeRoleFields: !roleChanged);
        bool networkChanged = changes.Network is not null && !string.Equals(changes.Network.Trim(), current.Network, StringComparison.OrdinalIgnoreCase);
        var merged = input with
        {
            Role = changes.Role ?? input.Role,
            Macs = changes.Macs ?? input.Macs,
            Ip = changes.Ip ?? (networkChanged ? null : input.Ip),
            Network = changes.Network ?? input.Network,
            Labels = changes.Labels ?? input.Labels,
        };
        foreach (var field in RoleModules.Fields)
        {
            merged = field.Set(merged, field.Get(changes) ?? field.Get(input));
        }

        if (changes.Clear is not { Count: > 0 } clear)
        {
            return merged;
        }

        bool Cleared(string field) => clear.Contains(field);
        merged = merged with
        {
            // Removing the network frees the address too.
            Ip = Cleared("ip") || Cleared("network") ? null : merged.Ip,
            Network = Cleared("network") ? null : merged.Network,
            Labels = Cleared("labels") ? new Dictionary<string, string>() : merged.Labels,
        };
        foreach (var field in RoleModules.Fields.Where(f => Cleared(f.Name)))
        {
            merged = field.Set(merged, null);
        }

        return merged;
    }

    public static NodeInput ToInput(Node node, bool includeRoleFields)
    {
        var input = new NodeInput
        {
            Name = node.Name,
            Role = node.Role.ToWire(),
            Macs = node.Macs.Select(m => m.ToString()).ToList(),
            Ip = node.Ip?.ToString(),
            Network = node.Network,
            State = node.State.ToWire(),
            Labels = node.Labels,
        };
        return includeRoleFields ? RoleModules.For(node.Role).Project(node, input) : input;
    }

    /// <summary>What changed, e.g. <c>state: registered -&gt; retired; ip: 10.0.0.5 -&gt; 10.0.0.6</c>.</summary>
    public static string Describe(Node before, Node after)
    {
        var a = Fields(before);
        var b = Fields(after);
        return string.Join("; ", a.Keys.Where(k => a[k] != b[k]).Select(k => $"{k}: {a[k] ?? "(none)"} -> {b[k] ?? "(none)"}"));
    }

    /// <summary>A one-line description of a node for the event log.</summary>
    public static string Describe(Node node) =>
        string.Join("; ", Fields(node).Where(f => !string.IsNullOrEmpty(f.Value)).Select(f => $"{f.Key}: {f.Value}"));

    private static Dictionary<string, string?> Fields(Node node)
    {
        var fields = new Dictionary<string, string?>(StringComparer.Ordinal)
        {
            ["role"] = node.Role.ToWire(),
            ["macs"] = string.Join(",", node.Macs),
            ["ip"] = node.Ip?.ToString(),
            ["network"] = node.Network,
            ["state"] = node.State.ToWire(),
            ["labels"] = string.Join(",", node.Labels.OrderBy(l => l.Key, StringComparer.Ordinal).Select(l => $"{l.Key}={l.Value}")),
        };
        var own = RoleModules.For(node.Role).Fields;
        foreach (var field in RoleModules.Fields)
        {
            var mine = own.FirstOrDefault(f => f.Name == field.Name);
            fields[field.Name] = mine?.FromNode(node) is { } value ? mine.Text(value) : null;
        }

        return fields;
    }
}

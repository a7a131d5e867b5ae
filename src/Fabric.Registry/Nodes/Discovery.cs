using System.Globalization;
using Fabric.Core;

namespace Fabric.Registry.Nodes;

/// <summary>What discovery makes of an unknown MAC: a hardware node named <c>node-&lt;12 hex digits&gt;</c> in state
/// <c>discovered</c>, waiting for an operator to give it a role or a root.</summary>
public static class Discovery
{
    public static string NameFor(MacAddress mac) => "node-" + mac.ToHexString();

    /// <summary>The node for <paramref name="mac"/>, named <paramref name="name"/> (by default after the MAC).</summary>
    public static Node NodeFor(MacAddress mac, DateTimeOffset now, string? name = null) => new()
    {
        Name = name ?? NameFor(mac),
        Role = NodeRole.Hardware,
        Macs = [mac],
        State = NodeState.Discovered,
        Hardware = new HardwareSpec(null, null, null),
        CreatedAt = now,
        UpdatedAt = now,
    };

    /// <summary>The name for <paramref name="mac"/> that no node has yet: the MAC's, or with <c>-2</c>, <c>-3</c>...</summary>
    internal static string FreeName(MacAddress mac, Func<string, bool> taken)
    {
        var baseName = NameFor(mac);
        var name = baseName;
        for (int i = 2; taken(name); i++)
        {
            name = string.Create(CultureInfo.InvariantCulture, $"{baseName}-{i}");
        }

        return name;
    }
}

namespace Fabric.Core;

/// <summary>What a network is for. Serialised in lower case: <c>boot</c>, <c>private</c>, <c>public</c>.</summary>
public enum NetworkKind
{
    /// <summary>The boot and management network: DHCP, TFTP and HTTP boot; the router has no part in it.</summary>
    Boot,

    /// <summary>An instance network whose gateway is on the router, with addresses that stay inside the fabric.</summary>
    Private,

    /// <summary>An instance network whose gateway is on the router, with public addresses the router brings to the
    /// instances by proxy ARP.</summary>
    Public,
}

public static class NetworkKindNames
{
    public static IReadOnlyList<string> All { get; } = [.. Enum.GetValues<NetworkKind>().Select(k => k.ToWire())];

    public static string ToWire(this NetworkKind kind) => kind switch
    {
        NetworkKind.Boot => "boot",
        NetworkKind.Private => "private",
        NetworkKind.Public => "public",
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    /// <summary>A kind by its wire name (case-insensitive, surrounding white space ignored).</summary>
    public static bool TryParse(string? text, out NetworkKind kind)
    {
        kind = default;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        foreach (var candidate in Enum.GetValues<NetworkKind>())
        {
            if (string.Equals(candidate.ToWire(), text.Trim(), StringComparison.OrdinalIgnoreCase))
            {
                kind = candidate;
                return true;
            }
        }

        return false;
    }

    /// <summary>Whether the router carries the network (its gateway on a VLAN sub-interface).</summary>
    public static bool IsRouted(this NetworkKind kind) => kind is NetworkKind.Private or NetworkKind.Public;
}

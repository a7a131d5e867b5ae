using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace Fabric.Core;

/// <summary>Small IPv4 helpers over <see cref="IPAddress"/> and <see cref="IPNetwork"/>.</summary>
public static class Ipv4
{
    public static uint ToUInt32(IPAddress address)
    {
        if (address.AddressFamily != AddressFamily.InterNetwork)
        {
            throw new ArgumentException("Not an IPv4 address.", nameof(address));
        }

        Span<byte> bytes = stackalloc byte[4];
        address.TryWriteBytes(bytes, out _);
        return BinaryPrimitives.ReadUInt32BigEndian(bytes);
    }

    public static IPAddress FromUInt32(uint value)
    {
        Span<byte> bytes = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(bytes, value);
        return new IPAddress(bytes);
    }

    public static bool TryParse(string? text, out IPAddress address)
    {
        address = IPAddress.None;
        if (string.IsNullOrWhiteSpace(text) || !IPAddress.TryParse(text.Trim(), out var parsed)
            || parsed.AddressFamily != AddressFamily.InterNetwork || text.Trim().Count(c => c == '.') != 3)
        {
            return false;
        }

        address = parsed;
        return true;
    }

    public static bool TryParseNetwork(string? text, out IPNetwork network)
    {
        network = default;
        if (string.IsNullOrWhiteSpace(text) || !IPNetwork.TryParse(text.Trim(), out var parsed)
            || parsed.BaseAddress.AddressFamily != AddressFamily.InterNetwork || !text.Contains('/'))
        {
            return false;
        }

        network = parsed;
        return true;
    }

    public static uint Mask(IPNetwork network) =>
        network.PrefixLength == 0 ? 0u : uint.MaxValue << (32 - network.PrefixLength);

    public static IPAddress MaskAddress(IPNetwork network) => FromUInt32(Mask(network));

    public static IPAddress Broadcast(IPNetwork network) =>
        FromUInt32(ToUInt32(network.BaseAddress) | ~Mask(network));

    /// <summary>True when the address is inside the network and is neither its network nor its broadcast
    /// address (for prefixes shorter than /31).</summary>
    public static bool IsHostAddress(IPNetwork network, IPAddress address)
    {
        if (address.AddressFamily != AddressFamily.InterNetwork || !network.Contains(address))
        {
            return false;
        }

        if (network.PrefixLength >= 31)
        {
            return true;
        }

        uint value = ToUInt32(address);
        uint mask = Mask(network);
        return (value & ~mask) != 0 && (value | mask) != uint.MaxValue;
    }
}

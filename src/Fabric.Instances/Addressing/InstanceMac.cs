using Fabric.Core;

namespace Fabric.Instances.Addressing;

/// <summary>The MAC of a new instance: random, locally administered (IEEE 802 U/L bit set) and unicast (I/G bit clear),
/// so it can clash with no vendor's NIC, and not one the registry already holds.</summary>
public static class InstanceMac
{
    /// <summary>How many random draws are tried before giving up; with 46 random bits a clash is already unlikely.</summary>
    public const int Attempts = 64;

    /// <summary>True for an address this generator may hand out: locally administered and unicast.</summary>
    public static bool IsLocalUnicast(MacAddress mac)
    {
        byte first = (byte)(mac.ToUInt64() >> 40);
        return (first & 0x02) != 0 && (first & 0x01) == 0;
    }

    /// <summary>A new address not in <paramref name="taken"/>, or null when <see cref="Attempts"/> draws all clashed.</summary>
    public static MacAddress? Generate(Func<MacAddress, bool> taken, Random random)
    {
        Span<byte> bytes = stackalloc byte[6];
        for (int i = 0; i < Attempts; i++)
        {
            random.NextBytes(bytes);
            bytes[0] = (byte)((bytes[0] | 0x02) & 0xFE);
            var mac = MacAddress.FromBytes(bytes);
            if (!taken(mac))
            {
                return mac;
            }
        }

        return null;
    }
}

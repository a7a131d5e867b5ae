using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;

namespace Fabric.Core;

/// <summary>
/// A 48-bit Ethernet hardware address. Accepts the common notations
/// (<c>aa:bb:cc:dd:ee:ff</c>, <c>AA-BB-CC-DD-EE-FF</c>, <c>aabb.ccdd.eeff</c>, <c>aabbccddeeff</c>)
/// and always prints the canonical lower-case, colon-separated form.
/// </summary>
public readonly record struct MacAddress : ISpanFormattable, IComparable<MacAddress>
{
    private readonly ulong _value;

    private MacAddress(ulong value) => _value = value & 0xFFFF_FFFF_FFFFUL;

    public static MacAddress FromBytes(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length != 6)
        {
            throw new ArgumentException("A MAC address is exactly 6 bytes.", nameof(bytes));
        }

        Span<byte> buffer = stackalloc byte[8];
        buffer.Clear();
        bytes.CopyTo(buffer[2..]);
        return new MacAddress(BinaryPrimitives.ReadUInt64BigEndian(buffer));
    }

    public void WriteBytes(Span<byte> destination)
    {
        Span<byte> buffer = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64BigEndian(buffer, _value);
        buffer[2..].CopyTo(destination);
    }

    public byte[] ToBytes()
    {
        var bytes = new byte[6];
        WriteBytes(bytes);
        return bytes;
    }

    public ulong ToUInt64() => _value;

    public bool IsZero => _value == 0;

    public bool IsBroadcast => _value == 0xFFFF_FFFF_FFFFUL;

    /// <summary>True for a multicast (group) address; such an address never identifies one NIC.</summary>
    public bool IsMulticast => ((_value >> 40) & 0x01) != 0;

    public static MacAddress Parse(string text) =>
        TryParse(text, out var mac) ? mac : throw new FormatException($"'{text}' is not a MAC address.");

    public static bool TryParse([NotNullWhen(true)] string? text, out MacAddress mac) =>
        TryParse(text.AsSpan(), out mac);

    public static bool TryParse(ReadOnlySpan<char> text, out MacAddress mac)
    {
        mac = default;
        text = text.Trim();
        if (text.IsEmpty || text.Length > 17)
        {
            return false;
        }

        ulong value = 0;
        int digits = 0;
        char separator = '\0';
        int groupLength = 0;
        int groupSize = 0;
        foreach (var c in text)
        {
            int nibble = HexValue(c);
            if (nibble >= 0)
            {
                value = (value << 4) | (uint)nibble;
                digits++;
                groupLength++;
                if (digits > 12)
                {
                    return false;
                }

                continue;
            }

            if (c is not (':' or '-' or '.'))
            {
                return false;
            }

            if (separator == '\0')
            {
                separator = c;
                groupSize = groupLength;
            }
            else if (c != separator || groupLength != groupSize)
            {
                return false;
            }

            if (groupLength == 0)
            {
                return false;
            }

            groupLength = 0;
        }

        if (digits != 12)
        {
            return false;
        }

        if (separator != '\0')
        {
            // aa:bb:.. and aa-bb-.. use 2-digit groups, Cisco's aabb.ccdd.eeff uses 4-digit groups.
            bool valid = separator == '.' ? groupSize == 4 && groupLength == 4 : groupSize == 2 && groupLength == 2;
            if (!valid)
            {
                return false;
            }
        }

        mac = new MacAddress(value);
        return true;
    }

    private static int HexValue(char c) => c switch
    {
        >= '0' and <= '9' => c - '0',
        >= 'a' and <= 'f' => c - 'a' + 10,
        >= 'A' and <= 'F' => c - 'A' + 10,
        _ => -1,
    };

    /// <summary>Canonical form: <c>aa:bb:cc:dd:ee:ff</c>.</summary>
    public override string ToString() => ToString(':');

    /// <summary>The address with another separator, e.g. <c>'-'</c> for pxelinux file names.</summary>
    public string ToString(char separator)
    {
        Span<char> chars = stackalloc char[17];
        Format(chars, separator);
        return new string(chars);
    }

    /// <summary>Twelve hex digits with no separator.</summary>
    public string ToHexString()
    {
        return _value.ToString("x12", System.Globalization.CultureInfo.InvariantCulture);
    }

    private void Format(Span<char> destination, char separator)
    {
        const string hex = "0123456789abcdef";
        for (int i = 0; i < 6; i++)
        {
            byte b = (byte)(_value >> (8 * (5 - i)));
            destination[i * 3] = hex[b >> 4];
            destination[(i * 3) + 1] = hex[b & 0xF];
            if (i < 5)
            {
                destination[(i * 3) + 2] = separator;
            }
        }
    }

    public string ToString(string? format, IFormatProvider? formatProvider) => ToString();

    public bool TryFormat(Span<char> destination, out int charsWritten, ReadOnlySpan<char> format, IFormatProvider? provider)
    {
        if (destination.Length < 17)
        {
            charsWritten = 0;
            return false;
        }

        Format(destination, ':');
        charsWritten = 17;
        return true;
    }

    public int CompareTo(MacAddress other) => _value.CompareTo(other._value);

    public static bool operator <(MacAddress left, MacAddress right) => left.CompareTo(right) < 0;

    public static bool operator <=(MacAddress left, MacAddress right) => left.CompareTo(right) <= 0;

    public static bool operator >(MacAddress left, MacAddress right) => left.CompareTo(right) > 0;

    public static bool operator >=(MacAddress left, MacAddress right) => left.CompareTo(right) >= 0;
}

using System.Buffers.Binary;
using System.Text;

namespace Fabric.Tftp.Commands;

/// <summary>Low-level helpers shared by the packet codecs: opcodes and NUL-terminated strings.</summary>
internal static class TftpWire
{
    public const int HeaderLength = 4;

    public static bool TryReadOpcode(ReadOnlySpan<byte> datagram, out TftpOpcode opcode)
    {
        opcode = 0;
        if (datagram.Length < 2)
        {
            return false;
        }

        opcode = (TftpOpcode)BinaryPrimitives.ReadUInt16BigEndian(datagram);
        return true;
    }

    /// <summary>Reads a NUL-terminated string; false when there is no NUL.</summary>
    public static bool TryReadString(ReadOnlySpan<byte> span, out ReadOnlySpan<byte> value, out int consumed)
    {
        int nul = span.IndexOf((byte)0);
        if (nul < 0)
        {
            value = default;
            consumed = 0;
            return false;
        }

        value = span[..nul];
        consumed = nul + 1;
        return true;
    }

    public static bool TryWriteString(Span<byte> destination, string value, ref int offset)
    {
        int count = Encoding.UTF8.GetByteCount(value);
        if (offset + count + 1 > destination.Length)
        {
            return false;
        }

        offset += Encoding.UTF8.GetBytes(value, destination[offset..]);
        destination[offset++] = 0;
        return true;
    }

    /// <summary>True when every byte is printable ASCII (options and modes are netascii).</summary>
    public static bool IsPrintableAscii(ReadOnlySpan<byte> value)
    {
        foreach (byte b in value)
        {
            if (b < 0x20 || b > 0x7E)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Parses the option list that follows a request or fills an OACK (RFC 2347).</summary>
    public static bool TryReadOptions(ReadOnlySpan<byte> span, List<TftpOption> options, out TftpParseError error)
    {
        error = default;
        while (!span.IsEmpty)
        {
            if (!TryReadString(span, out var name, out int used))
            {
                error = new(TftpErrorCode.IllegalOperation, "option name without NUL");
                return false;
            }

            span = span[used..];
            if (!TryReadString(span, out var value, out used))
            {
                error = new(TftpErrorCode.OptionNegotiation, "option without value");
                return false;
            }

            span = span[used..];
            if (name.IsEmpty || !IsPrintableAscii(name) || !IsPrintableAscii(value))
            {
                error = new(TftpErrorCode.OptionNegotiation, "malformed option");
                return false;
            }

            string key = Encoding.ASCII.GetString(name).ToLowerInvariant();
            foreach (var existing in options)
            {
                if (existing.Name == key)
                {
                    error = new(TftpErrorCode.OptionNegotiation, "duplicate option " + key);
                    return false;
                }
            }

            options.Add(new TftpOption(key, Encoding.ASCII.GetString(value)));
        }

        return true;
    }

    public static bool TryWriteOptions(Span<byte> destination, IReadOnlyList<TftpOption> options, ref int offset)
    {
        foreach (var option in options)
        {
            if (!TryWriteString(destination, option.Name, ref offset) || !TryWriteString(destination, option.Value, ref offset))
            {
                return false;
            }
        }

        return true;
    }
}

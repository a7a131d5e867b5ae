using System.Buffers.Binary;
using System.Text;
using System.Text.Unicode;

namespace Fabric.Tftp.Commands;

/// <summary>An RRQ or WRQ (RFC 1350 section 5) with its options (RFC 2347).</summary>
public sealed record TftpRequest(TftpOpcode Opcode, string Filename, TftpMode Mode, IReadOnlyList<TftpOption> Options)
{
    /// <summary>Longest file name accepted, in bytes.</summary>
    public const int MaxFilenameBytes = 512;

    /// <summary>
    /// Parses a request. On failure <paramref name="error"/> holds the error to answer: 4 for a malformed
    /// packet or bogus mode, 8 for a malformed option list, 2 for an unacceptable name.
    /// </summary>
    public static bool TryParse(ReadOnlySpan<byte> datagram, out TftpRequest? request, out TftpParseError error)
    {
        request = null;
        if (!TftpWire.TryReadOpcode(datagram, out var opcode)
            || (opcode != TftpOpcode.ReadRequest && opcode != TftpOpcode.WriteRequest))
        {
            error = new(TftpErrorCode.IllegalOperation, "not a request");
            return false;
        }

        var span = datagram[2..];
        if (!TftpWire.TryReadString(span, out var name, out int used))
        {
            error = new(TftpErrorCode.IllegalOperation, "file name without NUL");
            return false;
        }

        if (name.Length > MaxFilenameBytes)
        {
            error = new(TftpErrorCode.IllegalOperation, "file name too long");
            return false;
        }

        if (name.IsEmpty)
        {
            error = new(TftpErrorCode.IllegalOperation, "empty file name");
            return false;
        }

        if (!Utf8.IsValid(name))
        {
            error = new(TftpErrorCode.AccessViolation, "file name is not valid UTF-8");
            return false;
        }

        span = span[used..];
        if (!TftpWire.TryReadString(span, out var modeBytes, out used))
        {
            error = new(TftpErrorCode.IllegalOperation, "mode without NUL");
            return false;
        }

        TftpMode mode;
        if (Ascii.EqualsIgnoreCase(modeBytes, "octet"u8))
        {
            mode = TftpMode.Octet;
        }
        else if (Ascii.EqualsIgnoreCase(modeBytes, "netascii"u8))
        {
            mode = TftpMode.NetAscii;
        }
        else
        {
            error = new(TftpErrorCode.IllegalOperation, "unsupported mode");
            return false;
        }

        span = span[used..];
        var options = new List<TftpOption>();
        if (!TftpWire.TryReadOptions(span, options, out error))
        {
            return false;
        }

        request = new TftpRequest(opcode, Encoding.UTF8.GetString(name), mode, options);
        error = default;
        return true;
    }

    public bool TryWrite(Span<byte> destination, out int written)
    {
        written = 0;
        if (destination.Length < 2)
        {
            return false;
        }

        BinaryPrimitives.WriteUInt16BigEndian(destination, (ushort)Opcode);
        int offset = 2;
        string mode = Mode == TftpMode.Octet ? "octet" : "netascii";
        if (!TftpWire.TryWriteString(destination, Filename, ref offset)
            || !TftpWire.TryWriteString(destination, mode, ref offset)
            || !TftpWire.TryWriteOptions(destination, Options, ref offset))
        {
            return false;
        }

        written = offset;
        return true;
    }
}

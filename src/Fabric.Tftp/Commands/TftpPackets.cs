using System.Buffers.Binary;
using System.Text;

namespace Fabric.Tftp.Commands;

/// <summary>DATA (RFC 1350): a block number and up to blksize bytes. The payload is a view of the datagram.</summary>
public readonly ref struct TftpData
{
    public TftpData(ushort block, ReadOnlySpan<byte> payload)
    {
        Block = block;
        Payload = payload;
    }

    public ushort Block { get; }

    public ReadOnlySpan<byte> Payload { get; }

    public static bool TryParse(ReadOnlySpan<byte> datagram, out TftpData data)
    {
        data = default;
        if (datagram.Length < TftpWire.HeaderLength
            || BinaryPrimitives.ReadUInt16BigEndian(datagram) != (ushort)TftpOpcode.Data)
        {
            return false;
        }

        data = new TftpData(BinaryPrimitives.ReadUInt16BigEndian(datagram[2..]), datagram[TftpWire.HeaderLength..]);
        return true;
    }

    /// <summary>Writes the 4-byte header; the payload goes right after it in the same buffer.</summary>
    public static void WriteHeader(Span<byte> destination, ushort block)
    {
        BinaryPrimitives.WriteUInt16BigEndian(destination, (ushort)TftpOpcode.Data);
        BinaryPrimitives.WriteUInt16BigEndian(destination[2..], block);
    }

    public bool TryWrite(Span<byte> destination, out int written)
    {
        written = 0;
        if (destination.Length < TftpWire.HeaderLength + Payload.Length)
        {
            return false;
        }

        WriteHeader(destination, Block);
        Payload.CopyTo(destination[TftpWire.HeaderLength..]);
        written = TftpWire.HeaderLength + Payload.Length;
        return true;
    }
}

/// <summary>ACK (RFC 1350): the block number acknowledged; block 0 acknowledges an OACK (RFC 2347).</summary>
public readonly record struct TftpAck(ushort Block)
{
    public const int Length = 4;

    public static bool TryParse(ReadOnlySpan<byte> datagram, out TftpAck ack)
    {
        ack = default;
        if (datagram.Length < Length || BinaryPrimitives.ReadUInt16BigEndian(datagram) != (ushort)TftpOpcode.Ack)
        {
            return false;
        }

        ack = new TftpAck(BinaryPrimitives.ReadUInt16BigEndian(datagram[2..]));
        return true;
    }

    public bool TryWrite(Span<byte> destination, out int written)
    {
        written = 0;
        if (destination.Length < Length)
        {
            return false;
        }

        BinaryPrimitives.WriteUInt16BigEndian(destination, (ushort)TftpOpcode.Ack);
        BinaryPrimitives.WriteUInt16BigEndian(destination[2..], Block);
        written = Length;
        return true;
    }
}

/// <summary>ERROR (RFC 1350): a code and a NUL-terminated message.</summary>
public readonly record struct TftpError(TftpErrorCode Code, string Message)
{
    /// <summary>Longest message written; longer ones are cut so the packet stays small.</summary>
    public const int MaxMessageBytes = 255;

    public static bool TryParse(ReadOnlySpan<byte> datagram, out TftpError error)
    {
        error = default;
        if (datagram.Length < 5 || BinaryPrimitives.ReadUInt16BigEndian(datagram) != (ushort)TftpOpcode.Error)
        {
            return false;
        }

        if (!TftpWire.TryReadString(datagram[4..], out var message, out _))
        {
            return false;
        }

        error = new TftpError((TftpErrorCode)BinaryPrimitives.ReadUInt16BigEndian(datagram[2..]), Encoding.Latin1.GetString(message));
        return true;
    }

    public bool TryWrite(Span<byte> destination, out int written)
    {
        written = 0;
        var message = Message.AsSpan();
        if (message.Length > MaxMessageBytes)
        {
            message = message[..MaxMessageBytes];
        }

        int needed = 4 + message.Length + 1;
        if (destination.Length < needed)
        {
            return false;
        }

        BinaryPrimitives.WriteUInt16BigEndian(destination, (ushort)TftpOpcode.Error);
        BinaryPrimitives.WriteUInt16BigEndian(destination[2..], (ushort)Code);
        int offset = 4;
        foreach (char c in message)
        {
            destination[offset++] = c is >= ' ' and <= '~' ? (byte)c : (byte)'?';
        }

        destination[offset++] = 0;
        written = offset;
        return true;
    }
}

/// <summary>OACK (RFC 2347): the options the server accepted, with their final values.</summary>
public sealed record TftpOptionAck(IReadOnlyList<TftpOption> Options)
{
    public static bool TryParse(ReadOnlySpan<byte> datagram, out TftpOptionAck? oack)
    {
        oack = null;
        if (datagram.Length < 2 || BinaryPrimitives.ReadUInt16BigEndian(datagram) != (ushort)TftpOpcode.OptionAck)
        {
            return false;
        }

        var options = new List<TftpOption>();
        if (!TftpWire.TryReadOptions(datagram[2..], options, out _))
        {
            return false;
        }

        oack = new TftpOptionAck(options);
        return true;
    }

    public bool TryWrite(Span<byte> destination, out int written)
    {
        written = 0;
        if (destination.Length < 2)
        {
            return false;
        }

        BinaryPrimitives.WriteUInt16BigEndian(destination, (ushort)TftpOpcode.OptionAck);
        int offset = 2;
        if (!TftpWire.TryWriteOptions(destination, Options, ref offset))
        {
            return false;
        }

        written = offset;
        return true;
    }
}

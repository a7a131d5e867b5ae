using System.Buffers.Binary;

namespace Fabric.Dhcp.Tests;

/// <summary>Builds raw request datagrams byte by byte, independent of the codec under test.</summary>
internal sealed class Wire
{
    private readonly byte[] _header = new byte[240];
    private readonly List<byte> _options = [];

    public Wire(byte[]? mac = null, uint xid = 0x11223344)
    {
        _header[0] = 1;
        _header[1] = 1;
        _header[2] = 6;
        BinaryPrimitives.WriteUInt32BigEndian(_header.AsSpan(4), xid);
        (mac ?? [0x52, 0x54, 0x00, 0x12, 0x34, 0x56]).CopyTo(_header, 28);
        BinaryPrimitives.WriteUInt32BigEndian(_header.AsSpan(236), 0x63825363);
    }

    public Wire Header(int offset, params byte[] bytes)
    {
        bytes.CopyTo(_header, offset);
        return this;
    }

    public Wire Ciaddr(byte a, byte b, byte c, byte d) => Header(12, a, b, c, d);

    public Wire Giaddr(byte a, byte b, byte c, byte d) => Header(24, a, b, c, d);

    public Wire Flags(ushort flags)
    {
        BinaryPrimitives.WriteUInt16BigEndian(_header.AsSpan(10), flags);
        return this;
    }

    public Wire Opt(byte code, params byte[] value)
    {
        _options.Add(code);
        _options.Add((byte)value.Length);
        _options.AddRange(value);
        return this;
    }

    public Wire Raw(params byte[] bytes)
    {
        _options.AddRange(bytes);
        return this;
    }

    public Wire Type(byte type) => Opt(53, type);

    public byte[] Bytes(bool end = true)
    {
        var all = new List<byte>(_header);
        all.AddRange(_options);
        if (end)
        {
            all.Add(255);
        }

        return [.. all];
    }

    public static byte[] Ascii(string s) => System.Text.Encoding.ASCII.GetBytes(s);
}

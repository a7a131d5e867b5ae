using System.Buffers.Binary;
using System.Net;
using System.Text;

namespace Fabric.Dhcp.Protocol;

/// <summary>One option with its whole value (instances of the same code already concatenated, RFC 3396).</summary>
public readonly record struct DhcpOption(byte Code, byte[] Value);

/// <summary>An immutable, ordered set of DHCP options with typed accessors. A code appears once; its value
/// may be longer than 255 bytes (it is split when written, RFC 3396).</summary>
public sealed class DhcpOptions
{
    public static readonly DhcpOptions Empty = new([]);

    private readonly DhcpOption[] _options;

    internal DhcpOptions(DhcpOption[] options) => _options = options;

    public int Count => _options.Length;

    public IReadOnlyList<DhcpOption> All => _options;

    /// <summary>The options as a span: a loop over it makes no enumerator.</summary>
    internal ReadOnlySpan<DhcpOption> Span => _options;

    public bool Contains(byte code) => Find(code) >= 0;

    public bool TryGet(byte code, out ReadOnlySpan<byte> value)
    {
        int i = Find(code);
        if (i < 0)
        {
            value = default;
            return false;
        }

        value = _options[i].Value;
        return true;
    }

    public byte[]? Get(byte code)
    {
        int i = Find(code);
        return i < 0 ? null : _options[i].Value;
    }

    private int Find(byte code)
    {
        var options = _options;
        for (int i = 0; i < options.Length; i++)
        {
            if (options[i].Code == code)
            {
                return i;
            }
        }

        return -1;
    }

    public DhcpMessageType MessageType =>
        TryGet(DhcpOptionCode.MessageType, out var v) && v.Length == 1 ? (DhcpMessageType)v[0] : DhcpMessageType.None;

    public IPAddress? RequestedAddress => GetAddress(DhcpOptionCode.RequestedIpAddress);

    public IPAddress? ServerIdentifier => GetAddress(DhcpOptionCode.ServerIdentifier);

    /// <summary>Option 57 as sent, or null.</summary>
    public ushort? MaxMessageSize =>
        TryGet(DhcpOptionCode.MaxMessageSize, out var v) && v.Length == 2 ? BinaryPrimitives.ReadUInt16BigEndian(v) : null;

    public byte[]? ClientIdentifier => Get(DhcpOptionCode.ClientIdentifier);

    public string? VendorClass => GetString(DhcpOptionCode.VendorClassIdentifier);

    public string? HostName => GetString(DhcpOptionCode.HostName);

    public byte[]? ParameterRequestList => Get(DhcpOptionCode.ParameterRequestList);

    /// <summary>Option 93 (RFC 4578 2.1): the architecture types the client supports, first preferred.</summary>
    public IReadOnlyList<ushort> ClientArchitectures
    {
        get
        {
            if (!TryGet(DhcpOptionCode.ClientArchitecture, out var v) || v.Length < 2)
            {
                return [];
            }

            var list = new ushort[v.Length / 2];
            for (int i = 0; i < list.Length; i++)
            {
                list[i] = BinaryPrimitives.ReadUInt16BigEndian(v[(i * 2)..]);
            }

            return list;
        }
    }

    /// <summary>Option 97 (RFC 4578 2.3): the 16-byte machine UUID after the type byte 0, or null.</summary>
    public Guid? ClientMachineId =>
        TryGet(DhcpOptionCode.ClientMachineId, out var v) && v.Length == 17 && v[0] == 0 ? new Guid(v[1..], bigEndian: true) : null;

    /// <summary>Option 77: the user classes. RFC 3004 encodes a list of length-prefixed classes; iPXE (and
    /// other early clients) send one raw string, which is returned as a single class.</summary>
    public IReadOnlyList<string> UserClasses
    {
        get
        {
            if (!TryGet(DhcpOptionCode.UserClass, out var v) || v.IsEmpty)
            {
                return [];
            }

            var list = new List<string>();
            int i = 0;
            while (i < v.Length)
            {
                int len = v[i];
                if (len == 0 || i + 1 + len > v.Length)
                {
                    return [Encoding.ASCII.GetString(v)];
                }

                list.Add(Encoding.ASCII.GetString(v.Slice(i + 1, len)));
                i += 1 + len;
            }

            return list;
        }
    }

    /// <summary>Option 82 sub-options (RFC 3046), or null when absent.</summary>
    public IReadOnlyList<DhcpOption>? RelayAgentInformation =>
        TryGet(DhcpOptionCode.RelayAgentInformation, out var v) && DhcpSubOptions.TryParse(v, out var list) ? list : null;

    public IPAddress? GetAddress(byte code) =>
        TryGet(code, out var v) && v.Length == 4 ? new IPAddress(v) : null;

    public uint? GetUInt32(byte code) =>
        TryGet(code, out var v) && v.Length == 4 ? BinaryPrimitives.ReadUInt32BigEndian(v) : null;

    public string? GetString(byte code) =>
        TryGet(code, out var v) ? Encoding.ASCII.GetString(v) : null;
}

/// <summary>Sub-option lists (option 82, RFC 3046; option 175, iPXE; option 43): code, length, value.</summary>
public static class DhcpSubOptions
{
    public static bool TryParse(ReadOnlySpan<byte> data, out IReadOnlyList<DhcpOption> subOptions)
    {
        var list = new List<DhcpOption>();
        int i = 0;
        while (i < data.Length)
        {
            if (i + 2 > data.Length)
            {
                subOptions = [];
                return false;
            }

            byte code = data[i];
            int len = data[i + 1];
            if (i + 2 + len > data.Length)
            {
                subOptions = [];
                return false;
            }

            list.Add(new DhcpOption(code, data.Slice(i + 2, len).ToArray()));
            i += 2 + len;
        }

        subOptions = list;
        return true;
    }

    public static byte[] Write(IEnumerable<DhcpOption> subOptions)
    {
        var bytes = new List<byte>();
        foreach (var s in subOptions)
        {
            if (s.Value.Length > 255)
            {
                throw new ArgumentException("A sub-option value is at most 255 bytes.", nameof(subOptions));
            }

            bytes.Add(s.Code);
            bytes.Add((byte)s.Value.Length);
            bytes.AddRange(s.Value);
        }

        return [.. bytes];
    }
}

/// <summary>Builds a <see cref="DhcpOptions"/>: insertion order is kept, setting a code again replaces it.</summary>
public sealed class DhcpOptionsBuilder
{
    // A reply carries about ten options: room for them from the start.
    private readonly List<DhcpOption> _options = new(16);

    public DhcpOptionsBuilder()
    {
    }

    public DhcpOptionsBuilder(DhcpOptions from) => _options.AddRange(from.All);

    public DhcpOptionsBuilder Set(byte code, byte[] value)
    {
        if (code is DhcpOptionCode.Pad or DhcpOptionCode.End)
        {
            throw new ArgumentOutOfRangeException(nameof(code), "Pad and End are not options with values.");
        }

        for (int i = 0; i < _options.Count; i++)
        {
            if (_options[i].Code == code)
            {
                _options[i] = new DhcpOption(code, value);
                return this;
            }
        }

        _options.Add(new DhcpOption(code, value));
        return this;
    }

    public DhcpOptionsBuilder Remove(byte code)
    {
        _options.RemoveAll(o => o.Code == code);
        return this;
    }

    public bool Contains(byte code)
    {
        foreach (var o in _options)
        {
            if (o.Code == code)
            {
                return true;
            }
        }

        return false;
    }

    public DhcpOptionsBuilder SetMessageType(DhcpMessageType type) => Set(DhcpOptionCode.MessageType, [(byte)type]);

    public DhcpOptionsBuilder SetAddress(byte code, IPAddress address) => Set(code, address.GetAddressBytes());

    public DhcpOptionsBuilder SetAddresses(byte code, IEnumerable<IPAddress> addresses) =>
        Set(code, addresses.SelectMany(a => a.GetAddressBytes()).ToArray());

    public DhcpOptionsBuilder SetUInt32(byte code, uint value)
    {
        var bytes = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(bytes, value);
        return Set(code, bytes);
    }

    public DhcpOptionsBuilder SetUInt16(byte code, ushort value)
    {
        var bytes = new byte[2];
        BinaryPrimitives.WriteUInt16BigEndian(bytes, value);
        return Set(code, bytes);
    }

    public DhcpOptionsBuilder SetString(byte code, string value) => Set(code, Encoding.ASCII.GetBytes(value));

    public DhcpOptions Build() => new([.. _options]);

    /// <summary>The options with <paramref name="first"/> placed first (replacing any option of its code), in one
    /// array.</summary>
    public DhcpOptions BuildWithFirst(DhcpOption first)
    {
        int skip = Contains(first.Code) ? 1 : 0;
        var all = new DhcpOption[_options.Count + 1 - skip];
        all[0] = first;
        int i = 1;
        foreach (var o in _options)
        {
            if (o.Code != first.Code)
            {
                all[i++] = o;
            }
        }

        return new DhcpOptions(all);
    }
}

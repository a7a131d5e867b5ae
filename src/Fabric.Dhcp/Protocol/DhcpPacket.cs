using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Net;
using Fabric.Core;

namespace Fabric.Dhcp.Protocol;

/// <summary>An immutable DHCPv4 message (RFC 2131 section 2): the BOOTP header and its options. Parsing
/// and writing are pure and span-based; the type knows nothing about sockets or leases.</summary>
public sealed class DhcpPacket
{
    public const int HeaderLength = 236;
    public const int MinLength = 240;
    public const uint MagicCookie = 0x63825363;
    public const int DefaultMaxMessageSize = 576;
    public const ushort BroadcastFlag = 0x8000;

    private const int SnameOffset = 44;
    private const int SnameLength = 64;
    private const int FileOffset = 108;
    private const int FileLength = 128;

    private static readonly byte[] NoBytes = [];

    public BootOp Op { get; init; } = BootOp.Request;

    public byte HardwareType { get; init; } = 1;

    public byte HardwareLength { get; init; } = 6;

    public byte Hops { get; init; }

    public uint TransactionId { get; init; }

    public ushort Seconds { get; init; }

    public ushort Flags { get; init; }

    public bool Broadcast => (Flags & BroadcastFlag) != 0;

    /// <summary>ciaddr, as a big-endian value (0 = none).</summary>
    public uint ClientAddress { get; init; }

    /// <summary>yiaddr.</summary>
    public uint YourAddress { get; init; }

    /// <summary>siaddr: next server (TFTP) address.</summary>
    public uint ServerAddress { get; init; }

    /// <summary>giaddr: the relay agent's address (0 = not relayed).</summary>
    public uint GatewayAddress { get; init; }

    /// <summary>chaddr, 16 bytes.</summary>
    public byte[] ClientHardwareAddress { get; init; } = new byte[16];

    /// <summary>sname as bytes (empty when the field carried options).</summary>
    public byte[] ServerName { get; init; } = NoBytes;

    /// <summary>file as bytes (empty when the field carried options).</summary>
    public byte[] BootFile { get; init; } = NoBytes;

    public DhcpOptions Options { get; init; } = DhcpOptions.Empty;

    public DhcpMessageType MessageType => Options.MessageType;

    /// <summary>The Ethernet MAC from chaddr, when htype is Ethernet and hlen is 6.</summary>
    public MacAddress? Mac =>
        HardwareType == 1 && HardwareLength == 6 ? MacAddress.FromBytes(ClientHardwareAddress.AsSpan(0, 6)) : null;

    public string BootFileName => ZeroTerminated(BootFile);

    public string ServerHostName => ZeroTerminated(ServerName);

    public static IPAddress ToAddress(uint value) => Ipv4.FromUInt32(value);

    private static string ZeroTerminated(byte[] bytes)
    {
        int n = Array.IndexOf(bytes, (byte)0);
        return System.Text.Encoding.ASCII.GetString(bytes, 0, n < 0 ? bytes.Length : n);
    }

    /// <summary>Parses a datagram. Returns false with the reason for anything RFC 2131/2132 does not allow.</summary>
    public static bool TryParse(ReadOnlySpan<byte> data, [NotNullWhen(true)] out DhcpPacket? packet, out DhcpParseError error)
    {
        packet = null;
        if (data.Length < MinLength)
        {
            error = DhcpParseError.Truncated;
            return false;
        }

        if (BinaryPrimitives.ReadUInt32BigEndian(data[HeaderLength..]) != MagicCookie)
        {
            error = DhcpParseError.BadMagicCookie;
            return false;
        }

        byte hlen = data[2];
        if (hlen > 16)
        {
            error = DhcpParseError.BadHardwareLength;
            return false;
        }

        var acc = new OptionAccumulator();
        try
        {
            return TryParse(data, hlen, ref acc, out packet, out error);
        }
        finally
        {
            acc.Release();
        }
    }

    private static bool TryParse(ReadOnlySpan<byte> data, byte hlen, ref OptionAccumulator acc, [NotNullWhen(true)] out DhcpPacket? packet, out DhcpParseError error)
    {
        packet = null;
        error = ParseArea(data[MinLength..], ref acc, allowOverload: true);
        if (error != DhcpParseError.None)
        {
            return false;
        }

        bool fileHasOptions = false;
        bool snameHasOptions = false;
        if (acc.Overload is { } overload)
        {
            if (overload is < 1 or > 3)
            {
                error = DhcpParseError.BadOverload;
                return false;
            }

            // RFC 2131 4.1: with overload, options continue in 'file' first, then 'sname'.
            if ((overload & 1) != 0)
            {
                fileHasOptions = true;
                error = ParseArea(data.Slice(FileOffset, FileLength), ref acc, allowOverload: false);
                if (error != DhcpParseError.None)
                {
                    return false;
                }
            }

            if ((overload & 2) != 0)
            {
                snameHasOptions = true;
                error = ParseArea(data.Slice(SnameOffset, SnameLength), ref acc, allowOverload: false);
                if (error != DhcpParseError.None)
                {
                    return false;
                }
            }
        }

        var options = acc.ToArray();
        error = Validate(options, acc);
        if (error != DhcpParseError.None)
        {
            return false;
        }

        packet = new DhcpPacket
        {
            Op = (BootOp)data[0],
            HardwareType = data[1],
            HardwareLength = hlen,
            Hops = data[3],
            TransactionId = BinaryPrimitives.ReadUInt32BigEndian(data[4..]),
            Seconds = BinaryPrimitives.ReadUInt16BigEndian(data[8..]),
            Flags = BinaryPrimitives.ReadUInt16BigEndian(data[10..]),
            ClientAddress = BinaryPrimitives.ReadUInt32BigEndian(data[12..]),
            YourAddress = BinaryPrimitives.ReadUInt32BigEndian(data[16..]),
            ServerAddress = BinaryPrimitives.ReadUInt32BigEndian(data[20..]),
            GatewayAddress = BinaryPrimitives.ReadUInt32BigEndian(data[24..]),
            ClientHardwareAddress = data.Slice(28, 16).ToArray(),
            ServerName = snameHasOptions ? NoBytes : CopyUnlessZero(data.Slice(SnameOffset, SnameLength)),
            BootFile = fileHasOptions ? NoBytes : CopyUnlessZero(data.Slice(FileOffset, FileLength)),
            Options = new DhcpOptions(options),
        };
        return true;
    }

    /// <summary>An unused sname/file field (all zero, as in nearly every request) becomes the shared empty array:
    /// it reads, writes and compares as the zero-filled field does.</summary>
    private static byte[] CopyUnlessZero(ReadOnlySpan<byte> field) => field.IndexOfAnyExcept((byte)0) < 0 ? NoBytes : field.ToArray();

    private static DhcpParseError ParseArea(ReadOnlySpan<byte> area, ref OptionAccumulator acc, bool allowOverload)
    {
        int i = 0;
        while (i < area.Length)
        {
            byte code = area[i];
            if (code == DhcpOptionCode.Pad)
            {
                i++;
                continue;
            }

            if (code == DhcpOptionCode.End)
            {
                return DhcpParseError.None;
            }

            if (i + 1 >= area.Length)
            {
                return DhcpParseError.OptionOverrun;
            }

            int len = area[i + 1];
            if (i + 2 + len > area.Length)
            {
                return DhcpParseError.OptionOverrun;
            }

            var value = area.Slice(i + 2, len);
            if (code == DhcpOptionCode.Overload)
            {
                if (!allowOverload)
                {
                    // An overload option inside file/sname would make the fields point at each other.
                    return DhcpParseError.OverloadLoop;
                }

                if (acc.Overload is not null)
                {
                    return DhcpParseError.DuplicateOption;
                }

                if (len != 1)
                {
                    return len == 0 ? DhcpParseError.ZeroLengthOption : DhcpParseError.BadOptionLength;
                }

                acc.Overload = value[0];
            }

            acc.Add(code, value);
            i += 2 + len;
        }

        // A missing End option is tolerated: the area simply ends (many clients pad to the end).
        return DhcpParseError.None;
    }

    /// <summary>Fixed or minimum lengths, RFC 2132 and the RFCs of each option.</summary>
    private static DhcpParseError Validate(DhcpOption[] options, in OptionAccumulator acc)
    {
        bool hasType = false;
        foreach (var (code, value) in options)
        {
            int len = value.Length;
            (int min, int fixedLen, int multiple) rule = code switch
            {
                DhcpOptionCode.SubnetMask or DhcpOptionCode.RequestedIpAddress or DhcpOptionCode.ServerIdentifier
                    or DhcpOptionCode.LeaseTime or DhcpOptionCode.RenewalTime or DhcpOptionCode.RebindingTime
                    or DhcpOptionCode.BroadcastAddress => (4, 4, 1),
                DhcpOptionCode.MessageType or DhcpOptionCode.Overload => (1, 1, 1),
                DhcpOptionCode.MaxMessageSize => (2, 2, 1),
                DhcpOptionCode.Router or DhcpOptionCode.DomainNameServer => (4, 0, 4),
                DhcpOptionCode.ClientIdentifier => (2, 0, 1),
                DhcpOptionCode.ClientArchitecture => (2, 0, 2),
                DhcpOptionCode.ClientNetworkInterface => (3, 3, 1),
                DhcpOptionCode.ClientMachineId => (17, 17, 1),
                DhcpOptionCode.RelayAgentInformation => (2, 0, 1),
                DhcpOptionCode.HostName or DhcpOptionCode.VendorClassIdentifier or DhcpOptionCode.UserClass
                    or DhcpOptionCode.ParameterRequestList or DhcpOptionCode.DomainName
                    or DhcpOptionCode.TftpServerName or DhcpOptionCode.BootFileName => (1, 0, 1),
                _ => (0, 0, 1),
            };

            if (len == 0 && rule.min > 0)
            {
                return DhcpParseError.ZeroLengthOption;
            }

            if (len < rule.min || (rule.fixedLen > 0 && len != rule.fixedLen) || len % rule.multiple != 0)
            {
                return acc.CountOf(code) > 1 ? DhcpParseError.DuplicateOption : DhcpParseError.BadOptionLength;
            }

            if (code == DhcpOptionCode.MessageType)
            {
                hasType = true;
                if (value[0] is < 1 or > 18)
                {
                    return DhcpParseError.BadMessageType;
                }
            }
            else if (code == DhcpOptionCode.RelayAgentInformation && !DhcpSubOptions.TryParse(value, out _))
            {
                return DhcpParseError.BadRelayAgentInformation;
            }
        }

        return hasType ? DhcpParseError.None : DhcpParseError.MissingMessageType;
    }

    /// <summary>Writes the message. Options longer than 255 bytes are split (RFC 3396); when the options do
    /// not fit in <paramref name="maxLength"/> and sname/file are unused they overload into them (RFC 2131
    /// 4.1, option 52). Returns false when the message does not fit.</summary>
    public bool TryWrite(Span<byte> destination, out int written, int maxLength = 1500)
    {
        written = 0;
        int limit = Math.Min(destination.Length, maxLength);
        if (limit < MinLength + 1 || ClientHardwareAddress.Length > 16 || ServerName.Length > SnameLength
            || BootFile.Length > FileLength)
        {
            return false;
        }

        var d = destination[..limit];
        d[..MinLength].Clear();
        d[0] = (byte)Op;
        d[1] = HardwareType;
        d[2] = HardwareLength;
        d[3] = Hops;
        BinaryPrimitives.WriteUInt32BigEndian(d[4..], TransactionId);
        BinaryPrimitives.WriteUInt16BigEndian(d[8..], Seconds);
        BinaryPrimitives.WriteUInt16BigEndian(d[10..], Flags);
        BinaryPrimitives.WriteUInt32BigEndian(d[12..], ClientAddress);
        BinaryPrimitives.WriteUInt32BigEndian(d[16..], YourAddress);
        BinaryPrimitives.WriteUInt32BigEndian(d[20..], ServerAddress);
        BinaryPrimitives.WriteUInt32BigEndian(d[24..], GatewayAddress);
        ClientHardwareAddress.CopyTo(d[28..]);
        ServerName.CopyTo(d[SnameOffset..]);
        BootFile.CopyTo(d[FileOffset..]);
        BinaryPrimitives.WriteUInt32BigEndian(d[HeaderLength..], MagicCookie);

        // Encoded option fragments in order: each at most 255 bytes of value.
        int total = 0;
        foreach (var o in Options.Span)
        {
            int parts = Math.Max(1, (o.Value.Length + 254) / 255);
            total += (2 * parts) + o.Value.Length;
        }

        int mainCapacity = limit - MinLength - 1;
        if (total <= mainCapacity)
        {
            int pos = MinLength;
            foreach (var o in Options.Span)
            {
                WriteFragments(d, ref pos, o, 0, o.Value.Length);
            }

            d[pos++] = DhcpOptionCode.End;
            written = pos;
            return true;
        }

        bool fileFree = BootFile.Length == 0 || Array.TrueForAll(BootFile, b => b == 0);
        bool snameFree = ServerName.Length == 0 || Array.TrueForAll(ServerName, b => b == 0);
        if (!fileFree)
        {
            return false;
        }

        byte overload = (byte)(snameFree ? 3 : 1);
        var areas = new List<(int Start, int End)> { (MinLength + 3, limit - 1), (FileOffset, FileOffset + FileLength - 1) };
        if (snameFree)
        {
            areas.Add((SnameOffset, SnameOffset + SnameLength - 1));
        }

        d[SnameOffset..(SnameOffset + SnameLength)].Clear();
        d[FileOffset..(FileOffset + FileLength)].Clear();
        d[MinLength] = DhcpOptionCode.Overload;
        d[MinLength + 1] = 1;
        d[MinLength + 2] = overload;

        int area = 0;
        int p = areas[0].Start;
        int mainEnd = p;
        foreach (var o in Options.Span)
        {
            int offset = 0;
            do
            {
                int chunk = Math.Min(255, o.Value.Length - offset);
                while (p + 2 + Math.Min(chunk, 1) > areas[area].End)
                {
                    // Close this area and move to the next one.
                    d[p] = DhcpOptionCode.End;
                    if (area == 0)
                    {
                        mainEnd = p + 1;
                    }

                    area++;
                    if (area >= areas.Count)
                    {
                        return false;
                    }

                    p = areas[area].Start;
                }

                chunk = Math.Min(chunk, areas[area].End - p - 2);
                WriteFragments(d, ref p, o, offset, chunk);
                offset += chunk;
            }
            while (offset < o.Value.Length);
        }

        d[p++] = DhcpOptionCode.End;
        if (area == 0)
        {
            mainEnd = p;
        }

        for (int a = area + 1; a < areas.Count; a++)
        {
            d[areas[a].Start] = DhcpOptionCode.End;
        }

        written = mainEnd;
        return true;
    }

    private static void WriteFragments(Span<byte> d, ref int pos, DhcpOption option, int offset, int count)
    {
        if (count == 0)
        {
            d[pos++] = option.Code;
            d[pos++] = 0;
            return;
        }

        int end = offset + count;
        while (offset < end)
        {
            int chunk = Math.Min(255, end - offset);
            d[pos++] = option.Code;
            d[pos++] = (byte)chunk;
            option.Value.AsSpan(offset, chunk).CopyTo(d[pos..]);
            pos += chunk;
            offset += chunk;
        }
    }

    public byte[] ToArray(int maxLength = 1500)
    {
        var buffer = new byte[Math.Max(maxLength, MinLength + 1)];
        if (!TryWrite(buffer, out int n, maxLength))
        {
            throw new InvalidOperationException("The message does not fit.");
        }

        return buffer[..n];
    }

    /// <summary>Accumulates option instances, concatenating repeated codes (RFC 3396 section 6).</summary>
    private struct OptionAccumulator
    {
        // The options gathered so far live in a per-thread scratch array (parsing never nests), copied out at the
        // exact count: one array per packet instead of a growing one and its copy.
        [ThreadStatic]
        private static DhcpOption[]? t_scratch;

        // Instances per code, only for codes seen more than once (rare): DuplicateOption vs BadOptionLength.
        private Dictionary<byte, int>? _repeats;
        private DhcpOption[]? _options;
        private int _count;

        public byte? Overload;

        /// <summary>Drops the references the scratch array holds (the option values belong to the packet).</summary>
        public readonly void Release()
        {
            if (_options is not null)
            {
                Array.Clear(_options, 0, Math.Min(_count, _options.Length));
            }

            if (t_scratch is { } scratch && !ReferenceEquals(scratch, _options))
            {
                Array.Clear(scratch);
            }
        }

        public void Add(byte code, ReadOnlySpan<byte> value)
        {
            _options ??= t_scratch ??= new DhcpOption[32];
            for (int i = 0; i < _count; i++)
            {
                if (_options[i].Code == code)
                {
                    var old = _options[i].Value;
                    var joined = new byte[old.Length + value.Length];
                    old.CopyTo(joined, 0);
                    value.CopyTo(joined.AsSpan(old.Length));
                    _options[i] = new DhcpOption(code, joined);
                    _repeats ??= [];
                    _repeats[code] = _repeats.GetValueOrDefault(code, 1) + 1;
                    return;
                }
            }

            if (_count == _options.Length)
            {
                Array.Resize(ref _options, _count * 2);
            }

            _options[_count++] = new DhcpOption(code, value.ToArray());
        }

        public readonly int CountOf(byte code)
        {
            for (int i = 0; i < _count; i++)
            {
                if (_options![i].Code == code)
                {
                    return _repeats?.GetValueOrDefault(code, 1) ?? 1;
                }
            }

            return 0;
        }

        public readonly DhcpOption[] ToArray()
        {
            if (_options is null)
            {
                return [];
            }

            return _options.AsSpan(0, _count).ToArray();
        }
    }
}

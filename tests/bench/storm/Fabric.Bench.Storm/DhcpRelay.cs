using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Fabric.Bench.Storm;

/// <summary>What a DHCP server answered one simulated client.</summary>
internal sealed record DhcpReply(byte Type, IPAddress YourAddress, IPAddress? ServerId, string? BootFile, IPAddress? NextServer);

/// <summary>Plays a DHCP relay agent (RFC 2131 4.1, RFC 1542) for every simulated node: one socket on the relay's
/// address, port 67; each client's DISCOVER/REQUEST leaves with giaddr set, and replies are routed back by xid.
/// The packets carry what iPXE sends when it chain-loads: PXE options 60, 93, 94, 97 (RFC 4578) and the iPXE user
/// class (77) and encapsulated options (175).</summary>
internal sealed class DhcpRelay : IDisposable
{
    private readonly Socket socket;
    private readonly IPEndPoint server;
    private readonly IPAddress relay;
    private readonly ConcurrentDictionary<uint, TaskCompletionSource<DhcpReply>> waiting = new();
    private readonly CancellationTokenSource stop = new();
    private readonly Task loop;

    public DhcpRelay(IPAddress relay, IPAddress server)
    {
        this.relay = relay;
        this.server = new IPEndPoint(server, 67);
        socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        socket.ReceiveBufferSize = 8 << 20;
        socket.SendBufferSize = 4 << 20;
        socket.Bind(new IPEndPoint(relay, 67));
        loop = Task.Run(ReceiveLoop);
    }

    public long Unmatched;

    /// <summary>DISCOVER -> OFFER -> REQUEST -> ACK with iPXE's retransmission (1, 2, 4, 8, 16 s).</summary>
    public async Task<DhcpReply> LeaseAsync(byte[] mac, uint xid, CancellationToken cancellationToken)
    {
        var offer = await ExchangeAsync(Build(mac, xid, 1, null, null), xid, 2, cancellationToken);
        var ack = await ExchangeAsync(Build(mac, xid, 3, offer.YourAddress, offer.ServerId), xid, 5, cancellationToken);
        return ack.Type == 5 ? ack : throw new InvalidOperationException($"DHCP answered the REQUEST with type {ack.Type}");
    }

    private async Task<DhcpReply> ExchangeAsync(byte[] packet, uint xid, byte expected, CancellationToken cancellationToken)
    {
        for (int attempt = 0, wait = 1000; attempt < 5; attempt++, wait *= 2)
        {
            var reply = new TaskCompletionSource<DhcpReply>(TaskCreationOptions.RunContinuationsAsynchronously);
            waiting[xid] = reply;
            await socket.SendToAsync(packet, SocketFlags.None, server, cancellationToken);
            var done = await Task.WhenAny(reply.Task, Task.Delay(wait, cancellationToken));
            waiting.TryRemove(xid, out _);
            if (done == reply.Task)
            {
                var answer = await reply.Task;
                if (answer.Type == expected || answer.Type == 6)
                {
                    return answer.Type == 6 ? throw new InvalidOperationException("DHCP NAK") : answer;
                }
            }
        }

        throw new TimeoutException(expected == 2 ? "no DHCPOFFER after 5 DISCOVERs" : "no DHCPACK after 5 REQUESTs");
    }

    private byte[] Build(byte[] mac, uint xid, byte type, IPAddress? requested, IPAddress? serverId)
    {
        var p = new byte[548];
        p[0] = 1; p[1] = 1; p[2] = 6; p[3] = 1; // BOOTREQUEST, Ethernet, hops 1 (relayed)
        BinaryPrimitives.WriteUInt32BigEndian(p.AsSpan(4), xid);
        relay.TryWriteBytes(p.AsSpan(24), out _); // giaddr
        mac.CopyTo(p, 28);
        BinaryPrimitives.WriteUInt32BigEndian(p.AsSpan(236), 0x63825363);
        int o = 240;
        void Option(byte code, ReadOnlySpan<byte> value)
        {
            p[o++] = code; p[o++] = (byte)value.Length;
            value.CopyTo(p.AsSpan(o)); o += value.Length;
        }

        Option(53, [type]);
        Option(57, [0x05, 0xc0]); // max message 1472
        Option(93, [0, 0]); // client architecture: x86 BIOS
        Option(94, [1, 2, 1]); // UNDI 2.1
        Span<byte> guid = stackalloc byte[17];
        mac.CopyTo(guid[11..]);
        Option(97, guid);
        Option(60, "PXEClient:Arch:00000:UNDI:002001"u8);
        Option(77, "iPXE"u8);
        Option(175, [0x13, 1, 1, 0x15, 1, 1, 0x18, 1, 1]); // iPXE: HTTP, iSCSI-free build, bzImage
        if (requested is not null)
        {
            Option(50, requested.GetAddressBytes());
        }

        if (serverId is not null)
        {
            Option(54, serverId.GetAddressBytes());
        }

        Option(55, [1, 3, 6, 12, 15, 17, 43, 60, 66, 67, 119, 128, 129, 130, 131, 132, 133, 134, 135, 175, 203]);
        p[o++] = 255;
        return p;
    }

    private async Task ReceiveLoop()
    {
        var buffer = new byte[2048];
        EndPoint any = new IPEndPoint(IPAddress.Any, 0);
        while (!stop.IsCancellationRequested)
        {
            SocketReceiveFromResult got;
            try
            {
                got = await socket.ReceiveFromAsync(buffer, SocketFlags.None, any, stop.Token);
            }
            catch (Exception) when (stop.IsCancellationRequested)
            {
                return;
            }

            var reply = Parse(buffer.AsSpan(0, got.ReceivedBytes), out uint xid);
            if (reply is not null && waiting.TryGetValue(xid, out var tcs))
            {
                tcs.TrySetResult(reply);
            }
            else
            {
                Interlocked.Increment(ref Unmatched);
            }
        }
    }

    private static DhcpReply? Parse(ReadOnlySpan<byte> p, out uint xid)
    {
        xid = 0;
        if (p.Length < 240 || p[0] != 2 || BinaryPrimitives.ReadUInt32BigEndian(p[236..]) != 0x63825363)
        {
            return null;
        }

        xid = BinaryPrimitives.ReadUInt32BigEndian(p[4..]);
        var yiaddr = new IPAddress(p.Slice(16, 4));
        var siaddr = new IPAddress(p.Slice(20, 4));
        string? file = p[108] != 0 ? Encoding.ASCII.GetString(p.Slice(108, 128)).TrimEnd('\0') : null;
        byte type = 0;
        IPAddress? serverId = null;
        IPAddress? tftp = siaddr.Equals(IPAddress.Any) ? null : siaddr;
        for (int i = 240; i < p.Length && p[i] != 255;)
        {
            if (p[i] == 0)
            {
                i++;
                continue;
            }

            if (i + 1 >= p.Length || i + 2 + p[i + 1] > p.Length)
            {
                return null;
            }

            var value = p.Slice(i + 2, p[i + 1]);
            switch (p[i])
            {
                case 53 when value.Length == 1: type = value[0]; break;
                case 54 when value.Length == 4: serverId = new IPAddress(value); break;
                case 67: file = Encoding.ASCII.GetString(value).TrimEnd('\0'); break;
                case 66 when IPAddress.TryParse(Encoding.ASCII.GetString(value).TrimEnd('\0'), out var a): tftp = a; break;
            }

            i += 2 + value.Length;
        }

        return type == 0 ? null : new DhcpReply(type, yiaddr, serverId, file, tftp);
    }

    public void Dispose()
    {
        stop.Cancel();
        socket.Dispose();
        try
        {
            loop.Wait(TimeSpan.FromSeconds(2));
        }
        catch (AggregateException)
        {
        }

        stop.Dispose();
    }
}

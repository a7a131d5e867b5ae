using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Fabric.Bench.Storm;

/// <summary>Reads one file over TFTP as iPXE does (RFC 1350 with the blksize option of RFC 2348 at 1432, tsize,
/// lock-step ACKs): retransmits its last packet after 1 s of silence, gives up after 8 silent seconds in a row.</summary>
internal static class TftpFetch
{
    private const int BlockSize = 1432;

    public static async Task<long> ReadAsync(IPAddress local, IPAddress server, string file, CancellationToken cancellationToken)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(new IPEndPoint(local, 0));
        var request = Encoding.ASCII.GetBytes($"\0\u0001{file}\0octet\0blksize\0{BlockSize}\0tsize\00\0");
        EndPoint peer = new IPEndPoint(server, 69);
        byte[] last = request;
        var buffer = new byte[BlockSize + 64];
        ushort expected = 1;
        long received = 0;
        int silent = 0;
        int blockSize = 512;
        while (true)
        {
            await socket.SendToAsync(last, SocketFlags.None, peer, cancellationToken);
            using var wait = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            wait.CancelAfter(TimeSpan.FromSeconds(1));
            SocketReceiveFromResult got;
            try
            {
                got = await socket.ReceiveFromAsync(buffer, SocketFlags.None, new IPEndPoint(IPAddress.Any, 0), wait.Token);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                if (++silent >= 8)
                {
                    throw new TimeoutException($"TFTP {file}: no answer for 8 s at block {expected}");
                }

                continue;
            }

            silent = 0;
            var p = buffer.AsSpan(0, got.ReceivedBytes);
            ushort op = p.Length >= 2 ? BinaryPrimitives.ReadUInt16BigEndian(p) : (ushort)0;
            if (op == 5)
            {
                throw new InvalidOperationException($"TFTP {file}: error {Encoding.ASCII.GetString(p[4..]).TrimEnd('\0')}");
            }

            if (expected == 1 && received == 0)
            {
                peer = got.RemoteEndPoint; // the transfer's own port (RFC 1350 4)
            }

            if (op == 6)
            {
                blockSize = OptionBlockSize(p[2..]) ?? 512;
                last = Ack(0);
                continue;
            }

            if (op != 3 || p.Length < 4)
            {
                continue;
            }

            ushort block = BinaryPrimitives.ReadUInt16BigEndian(p[2..]);
            if (block != expected)
            {
                last = Ack((ushort)(expected - 1));
                continue;
            }

            received += p.Length - 4;
            last = Ack(block);
            expected++;
            if (p.Length - 4 < blockSize)
            {
                await socket.SendToAsync(last, SocketFlags.None, peer, cancellationToken);
                return received;
            }
        }
    }

    private static byte[] Ack(ushort block) => [0, 4, (byte)(block >> 8), (byte)block];

    private static int? OptionBlockSize(ReadOnlySpan<byte> options)
    {
        var parts = Encoding.ASCII.GetString(options).Split('\0');
        for (int i = 0; i + 1 < parts.Length; i += 2)
        {
            if (parts[i].Equals("blksize", StringComparison.OrdinalIgnoreCase) && int.TryParse(parts[i + 1], out int size))
            {
                return size;
            }
        }

        return null;
    }
}

using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using Fabric.Tftp.Commands;

namespace Fabric.Tftp.Tests.Channel;

/// <summary>A minimal TFTP read client over a raw UDP socket, for driving the server in tests.</summary>
internal sealed class RawClient : IDisposable
{
    public RawClient(IPAddress? bind = null)
    {
        Socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        Socket.Bind(new IPEndPoint(bind ?? IPAddress.Loopback, 0));
        Socket.ReceiveTimeout = 5000;
    }

    public Socket Socket { get; }

    public IPEndPoint LocalEndPoint => (IPEndPoint)Socket.LocalEndPoint!;

    public void Send(byte[] datagram, IPEndPoint to) => Socket.SendTo(datagram, to);

    /// <summary>Receives one datagram, or null after the timeout.</summary>
    public (byte[] Data, IPEndPoint From)? Receive(int timeoutMs = 5000)
    {
        Socket.ReceiveTimeout = timeoutMs;
        var buffer = new byte[70000];
        EndPoint from = new IPEndPoint(IPAddress.Any, 0);
        try
        {
            int n = Socket.ReceiveFrom(buffer, ref from);
            return (buffer[..n], (IPEndPoint)from);
        }
        catch (SocketException ex) when (ex.SocketErrorCode == SocketError.TimedOut || ex.SocketErrorCode == SocketError.WouldBlock)
        {
            return null;
        }
    }

    public static TftpError? AsError(byte[] datagram) => TftpError.TryParse(datagram, out var error) ? error : null;

    /// <summary>Downloads a file, acknowledging every window; throws on an ERROR or a timeout.</summary>
    public byte[] Get(IPEndPoint server, string file, int blockSize = 512, int windowSize = 1, bool options = true, List<int>? received = null)
    {
        var opts = new List<TftpOption>();
        if (options)
        {
            opts.Add(new("blksize", blockSize.ToString()));
            opts.Add(new("tsize", "0"));
            if (windowSize > 1)
            {
                opts.Add(new("windowsize", windowSize.ToString()));
            }
        }

        var request = new byte[1024];
        new TftpRequest(TftpOpcode.ReadRequest, file, TftpMode.Octet, opts).TryWrite(request, out int length);
        Send(request[..length], server);
        var result = new MemoryStream();
        ushort expected = 1;
        IPEndPoint? tid = null;
        int inWindow = 0;
        while (true)
        {
            var packet = Receive() ?? throw new TimeoutException("no answer from the server");
            if (tid is null)
            {
                tid = packet.From;
            }
            else if (!tid.Equals(packet.From))
            {
                continue;
            }

            if (AsError(packet.Data) is { } error)
            {
                throw new InvalidOperationException($"TFTP error {(int)error.Code}: {error.Message}");
            }

            var opcode = (TftpOpcode)BinaryPrimitives.ReadUInt16BigEndian(packet.Data);
            if (opcode == TftpOpcode.OptionAck)
            {
                Send(Ack(0), tid);
                continue;
            }

            Assert.True(TftpData.TryParse(packet.Data, out var data));
            received?.Add(packet.Data.Length);
            if (data.Block != expected)
            {
                Send(Ack((ushort)(expected - 1)), tid);
                inWindow = 0;
                continue;
            }

            result.Write(data.Payload);
            bool last = data.Payload.Length < blockSize;
            inWindow++;
            if (last || inWindow == windowSize)
            {
                Send(Ack(expected), tid);
                inWindow = 0;
            }

            expected++;
            if (last)
            {
                return result.ToArray();
            }
        }
    }

    public static byte[] Ack(ushort block) => [0, 4, (byte)(block >> 8), (byte)block];

    public void Dispose() => Socket.Dispose();
}

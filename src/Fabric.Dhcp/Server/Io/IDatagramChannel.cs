using System.Net;
using System.Net.Sockets;

namespace Fabric.Dhcp.Server.Io;

/// <summary>Moves batches of UDP datagrams between one bound socket and a <see cref="DatagramBatch"/>. The codec and
/// the handler chain never see it; the server receives a batch, answers what it can, and sends the replies as one.</summary>
internal interface IDatagramChannel : IDisposable
{
    /// <summary>What moves the datagrams (for the start-up log).</summary>
    string Kind { get; }

    /// <summary>Clears <paramref name="batch"/>, waits for at least one datagram and fills the batch with those
    /// queued. Returns how many, or 0 when nothing came for a while (the caller checks whether to stop).
    /// Throws <see cref="ObjectDisposedException"/> once the socket is closed.</summary>
    int Receive(DatagramBatch batch);

    /// <summary>Sends every datagram in the batch to its address and port. A datagram the kernel refuses is marked
    /// (<see cref="DatagramBatch.Error"/>) and the rest still go. Returns how many were sent.</summary>
    int Send(DatagramBatch batch);
}

/// <summary>Chooses the channel for a socket.</summary>
internal static class DatagramChannel
{
    /// <summary>recvmmsg/sendmmsg on Linux (x86-64, arm64), one datagram per call elsewhere or when
    /// <paramref name="portable"/> is set.</summary>
    public static IDatagramChannel Create(Socket socket, bool portable = false) =>
        !portable && LinuxDatagramChannel.IsSupported ? new LinuxDatagramChannel(socket) : new SocketDatagramChannel(socket);
}

/// <summary>The portable channel: Socket.ReceiveFrom/SendTo, one datagram per system call, with a reused
/// <see cref="SocketAddress"/> so no endpoint object is made per datagram. A receive still returns every datagram
/// already queued (up to the batch), so the server's batch logic is the same on every OS.</summary>
internal sealed class SocketDatagramChannel(Socket socket) : IDatagramChannel
{
    private const int PollMicroseconds = 250_000;

    private readonly SocketAddress _from = new(AddressFamily.InterNetwork);
    private readonly SocketAddress _to = new(AddressFamily.InterNetwork);

    public string Kind => "ReceiveFrom/SendTo";

    public int Receive(DatagramBatch batch)
    {
        batch.Clear();
        if (!socket.Poll(PollMicroseconds, SelectMode.SelectRead))
        {
            return 0;
        }

        while (!batch.IsFull)
        {
            var slot = batch.Next();
            int n;
            try
            {
                n = socket.ReceiveFrom(slot, SocketFlags.None, _from);
            }
            catch (SocketException ex) when (ex.SocketErrorCode == SocketError.MessageSize)
            {
                n = slot.Length;
            }

            // Linux returns a truncated datagram's head without an error: a full slot is taken as truncated (a
            // DHCP message never fills a receive slot).
            batch.Received(n, Address(_from), Port(_from), truncated: n == slot.Length);

            if (socket.Available == 0)
            {
                break;
            }
        }

        return batch.Count;
    }

    public int Send(DatagramBatch batch)
    {
        int sent = 0;
        for (int i = 0; i < batch.Count; i++)
        {
            Write(_to, batch.Address(i), batch.Port(i));
            try
            {
                socket.SendTo(batch.Datagram(i), SocketFlags.None, _to);
                sent++;
            }
            catch (SocketException ex)
            {
                batch.SetError(i, (int)ex.SocketErrorCode);
            }
        }

        return sent;
    }

    public void Dispose() => socket.Dispose();

    // sockaddr_in as .NET lays it out in SocketAddress.Buffer: family (2 bytes), port (big-endian), address (big-endian).
    private static uint Address(SocketAddress a) => System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(a.Buffer.Span[4..]);

    private static int Port(SocketAddress a) => System.Buffers.Binary.BinaryPrimitives.ReadUInt16BigEndian(a.Buffer.Span[2..]);

    private static void Write(SocketAddress a, uint address, int port)
    {
        var b = a.Buffer.Span;
        System.Buffers.Binary.BinaryPrimitives.WriteUInt16BigEndian(b[2..], (ushort)port);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(b[4..], address);
    }
}

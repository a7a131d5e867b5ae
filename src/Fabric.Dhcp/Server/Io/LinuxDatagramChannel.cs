using System.Buffers.Binary;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Fabric.Dhcp.Server.Io;

/// <summary>Batched UDP on Linux: one recvmmsg(2) takes every datagram already queued on the socket (up to a
/// batch), one sendmmsg(2) sends a batch of replies. The socket's fd comes from <see cref="Socket.SafeHandle"/>,
/// held with AddRef for each call so a concurrent Dispose cannot close it under the kernel.</summary>
internal sealed unsafe class LinuxDatagramChannel : IDatagramChannel
{
    private const int PollTimeoutMs = 250;

    private readonly Socket _socket;
    private readonly LinuxSocketCalls.SendManyFn _sendMany;

    /// <param name="sendMany">sendmmsg, or a stand-in for tests (e.g. one that takes only part of a batch).</param>
    public LinuxDatagramChannel(Socket socket, LinuxSocketCalls.SendManyFn? sendMany = null)
    {
        _socket = socket;
        _sendMany = sendMany ?? LinuxSocketCalls.SendMany;

        // SO_RCVTIMEO (struct timeval): a blocked recvmmsg returns now and then, so a stopping server is noticed.
        Span<byte> timeval = stackalloc byte[16];
        timeval.Clear();
        BinaryPrimitives.WriteInt64LittleEndian(timeval[8..], PollTimeoutMs * 1000L);
        socket.SetRawSocketOption(LinuxSocketCalls.SolSocket, LinuxSocketCalls.SoReceiveTimeout, timeval);
    }

    public static bool IsSupported => OperatingSystem.IsLinux() && (RuntimeInformation.ProcessArchitecture is Architecture.X64 or Architecture.Arm64);

    public string Kind => "recvmmsg/sendmmsg";

    /// <summary>Blocks until at least one datagram is queued (MSG_WAITFORONE: a lone datagram is returned at once,
    /// never held back to fill a batch), then takes all that are queued up to the batch's capacity. Returns 0 after
    /// about a quarter second without traffic, so the caller can look at its cancellation token.</summary>
    public int Receive(DatagramBatch batch)
    {
        batch.Clear();
        var headers = batch.Headers;
        headers.PrepareReceive(batch.Capacity);
        bool added = false;
        var handle = _socket.SafeHandle;
        handle.DangerousAddRef(ref added);
        try
        {
            int fd = (int)handle.DangerousGetHandle();
            while (true)
            {
                int n = LinuxSocketCalls.ReceiveMany(fd, headers.Messages, (uint)batch.Capacity, LinuxSocketCalls.MsgWaitForOne, null);
                if (n > 0)
                {
                    return Collect(batch, n);
                }

                int errno = Marshal.GetLastPInvokeError();
                if (n == 0 || errno == LinuxSocketCalls.EINTR)
                {
                    continue;
                }

                if (errno is LinuxSocketCalls.EAGAIN)
                {
                    // Non-blocking fd or SO_RCVTIMEO: wait for readability a while, then give the caller a turn.
                    return LinuxSocketCalls.Poll(fd, LinuxSocketCalls.PollIn, PollTimeoutMs) > 0 ? ReceiveQueued(batch, fd) : 0;
                }

                throw new SocketException(errno);
            }
        }
        finally
        {
            if (added)
            {
                handle.DangerousRelease();
            }
        }
    }

    private static int ReceiveQueued(DatagramBatch batch, int fd)
    {
        int n = LinuxSocketCalls.ReceiveMany(fd, batch.Headers.Messages, (uint)batch.Capacity, LinuxSocketCalls.MsgDontWait, null);
        return n > 0 ? Collect(batch, n) : 0;
    }

    private static int Collect(DatagramBatch batch, int n)
    {
        var headers = batch.Headers;
        for (int i = 0; i < n; i++)
        {
            var m = headers.Messages + i;
            if (m->Length == 0 && m->Header.NameLength == 0)
            {
                // No datagram and no sender: the socket was shut down under the call (Socket.Dispose does that to
                // wake a blocked receive). What came before it is still served; the next receive finds it closed.
                ObjectDisposedException.ThrowIf(i == 0, typeof(Socket));
                return i;
            }

            var from = headers.Addresses + i;
            bool truncated = (m->Header.Flags & LinuxSocketCalls.MsgTrunc) != 0;
            batch.Received((int)Math.Min(m->Length, (uint)batch.SlotSize), LinuxSocketCalls.FromNetwork(from->Address), LinuxSocketCalls.FromNetwork(from->Port), truncated);
        }

        return n;
    }

    /// <summary>Sends every datagram of the batch with as few sendmmsg calls as the kernel allows: when it takes
    /// only part, the rest follows in the next call; a datagram it refuses (an errno for the first of a call) is
    /// marked with its error and skipped. Returns the number sent.</summary>
    public int Send(DatagramBatch batch)
    {
        int count = batch.Count;
        if (count == 0)
        {
            return 0;
        }

        var headers = batch.Headers;
        for (int i = 0; i < count; i++)
        {
            headers.PrepareSend(i, batch.SlotPointer(i), batch.Datagram(i).Length, batch.Address(i), batch.Port(i));
        }

        bool added = false;
        var handle = _socket.SafeHandle;
        handle.DangerousAddRef(ref added);
        int sent = 0;
        try
        {
            int fd = (int)handle.DangerousGetHandle();
            int at = 0;
            while (at < count)
            {
                int n = _sendMany(fd, headers.Messages + at, (uint)(count - at), 0);
                if (n > 0)
                {
                    at += n;
                    sent += n;
                    continue;
                }

                int errno = n == 0 ? LinuxSocketCalls.EAGAIN : Marshal.GetLastPInvokeError();
                if (errno == LinuxSocketCalls.EINTR)
                {
                    continue;
                }

                if (errno == LinuxSocketCalls.EAGAIN)
                {
                    // The send buffer is full: wait until it drains, then go on where the kernel stopped.
                    if (LinuxSocketCalls.Poll(fd, LinuxSocketCalls.PollOut, PollTimeoutMs * 4) > 0)
                    {
                        continue;
                    }
                }

                // This datagram is refused (e.g. no route): mark it and send the ones after it.
                batch.SetError(at, errno);
                at++;
            }
        }
        finally
        {
            if (added)
            {
                handle.DangerousRelease();
            }
        }

        return sent;
    }

    public void Dispose() => _socket.Dispose();
}

/// <summary>The native recvmmsg/sendmmsg headers for one batch: mmsghdr[], iovec[] and sockaddr_in[] in one
/// native block, each header pointing at its slot and its address.</summary>
internal sealed unsafe class MessageHeaders : IDisposable
{
    private readonly void* _block;
    private readonly int _slotSize;
    private readonly byte* _data;
    private bool _disposed;

    public MessageHeaders(int capacity, byte* data, int slotSize)
    {
        nuint size = (nuint)capacity * (nuint)(sizeof(LinuxSocketCalls.MMsgHdr) + sizeof(LinuxSocketCalls.IoVec) + sizeof(LinuxSocketCalls.SockAddrIn));
        _block = NativeMemory.AlignedAlloc(size, 64);
        NativeMemory.Clear(_block, size);
        Messages = (LinuxSocketCalls.MMsgHdr*)_block;
        Vectors = (LinuxSocketCalls.IoVec*)(Messages + capacity);
        Addresses = (LinuxSocketCalls.SockAddrIn*)(Vectors + capacity);
        _data = data;
        _slotSize = slotSize;
        for (int i = 0; i < capacity; i++)
        {
            Messages[i].Header.Name = Addresses + i;
            Messages[i].Header.IoVec = Vectors + i;
            Messages[i].Header.IoVecLength = 1;
        }
    }

    public LinuxSocketCalls.MMsgHdr* Messages { get; }

    public LinuxSocketCalls.IoVec* Vectors { get; }

    public LinuxSocketCalls.SockAddrIn* Addresses { get; }

    public void PrepareReceive(int count)
    {
        for (int i = 0; i < count; i++)
        {
            Vectors[i].Base = _data + ((nint)i * _slotSize);
            Vectors[i].Length = (nuint)_slotSize;
            Messages[i].Header.NameLength = (uint)sizeof(LinuxSocketCalls.SockAddrIn);
            Messages[i].Header.Flags = 0;
            Messages[i].Length = 0;
        }
    }

    public void PrepareSend(int index, byte* data, int length, uint address, int port)
    {
        Vectors[index].Base = data;
        Vectors[index].Length = (nuint)length;
        Addresses[index] = new LinuxSocketCalls.SockAddrIn
        {
            Family = LinuxSocketCalls.AfInet,
            Port = LinuxSocketCalls.ToNetwork((ushort)port),
            Address = LinuxSocketCalls.ToNetwork(address),
        };
        Messages[index].Header.NameLength = (uint)sizeof(LinuxSocketCalls.SockAddrIn);
        Messages[index].Header.Flags = 0;
        Messages[index].Length = 0;
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        NativeMemory.AlignedFree(_block);
    }
}

using System.Buffers;
using System.Net;
using System.Net.Sockets;
using Fabric.Tftp.Commands;
using Fabric.Tftp.Transfer;

namespace Fabric.Tftp.Channel;

/// <summary>
/// One transfer on its own ephemeral port (its TID), held by two sockets: one connected to the client, which
/// carries the transfer (the kernel keeps its route, and only the client's datagrams reach it), and one
/// unconnected on the same port (SO_REUSEPORT), which receives everything else, so other senders get error 5
/// without disturbing the transfer. The session drives the state machine's retransmission timer; the timer is not
/// moved on every ACK: when it fires early it re-arms itself for the transfer's deadline.
/// </summary>
internal sealed class TransferSession : ITransferChannel, IDisposable
{
    private const int ReceiveBufferSize = 1024;

    // SOL_UDP and UDP_SEGMENT from <linux/udp.h>.
    private const int UdpLevel = 17;
    private const int UdpSegment = 103;

    private static readonly byte[] UnknownTransferIdError = Encode(new TftpError(TftpErrorCode.UnknownTransferId, "unknown transfer id"));

    private readonly Socket _socket;
    private readonly Socket _strangers;
    private readonly ReadTransfer _transfer;
    private readonly Lock _lock = new();
    private int _aborted;
    private int _disposed;

    // 0: this session holds a transfer slot; 1: the slot went to another request; 2: released.
    private int _slot;

    private bool _begun;

    // The UDP_SEGMENT size set on the socket: 0 until the first run, -1 once segmentation is off for this session.
    private int _segmentSize;

    /// <param name="socket">Bound to the transfer's port and connected to the client.</param>
    /// <param name="strangers">Bound to the same port, unconnected: receives datagrams from anyone else.</param>
    public TransferSession(Socket socket, Socket strangers, IPEndPoint client, TimeProvider clock, string file, Func<ITransferChannel, ReadTransfer> createTransfer)
    {
        _socket = socket;
        _strangers = strangers;
        Client = client;
        _transfer = createTransfer(this);
        File = file;
        StartTimestamp = clock.GetTimestamp();
    }

    public IPEndPoint Client { get; }

    /// <summary>The requested file name as logs show it (escaped).</summary>
    public string File { get; }

    public long StartTimestamp { get; }

    public ReadTransfer Transfer => _transfer;

    public bool Confirmed => _transfer.Confirmed;

    public long SendErrors { get; private set; }

    /// <summary>Runs of datagrams handed to the kernel in one segmented send.</summary>
    public long SegmentedRuns { get; private set; }

    /// <summary>Hands this session's slot to a new request (eviction); false when already released.</summary>
    public bool TryTransferSlot() => Interlocked.CompareExchange(ref _slot, 1, 0) == 0;

    /// <summary>True exactly once, when the session still holds its slot and must release it.</summary>
    public bool TryReleaseSlot() => Interlocked.CompareExchange(ref _slot, 2, 0) == 0;

    public event Action<TransferSession, IPEndPoint>? UnknownTransferId;

    /// <summary>
    /// Runs the transfer on a dedicated thread blocked in recvfrom: each ACK wakes exactly the thread that
    /// answers it, with no hop through the thread pool (the lowest latency per block, as in a process-per-client
    /// server). The socket's receive timeout is a fraction of the retransmission timeout, so the same thread
    /// also fires retransmissions. The task completes when the thread ends.
    /// </summary>
    public Task RunAsync(CancellationToken cancellationToken)
    {
        _ = AnswerStrangersAsync();
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(
            () =>
            {
                try
                {
                    Run(cancellationToken);
                }
                finally
                {
                    done.TrySetResult();
                }
            },
            256 * 1024)
        {
            IsBackground = true,
            Name = "tftp transfer",
        };
        thread.Start();
        return done.Task;
    }

    /// <summary>Sends the transfer's first packet (OACK or DATA 1) from the caller's thread, so a client hears
    /// back at once even when starting the transfer's own thread is slow (hundreds of transfers starting on a busy
    /// machine). The client's answer waits in the socket until the thread runs. Idempotent.</summary>
    public void Begin()
    {
        lock (_lock)
        {
            if (!_begun)
            {
                _begun = true;
                _transfer.Start();
            }
        }
    }

    private void Run(CancellationToken cancellationToken)
    {
        using var registration = cancellationToken.Register(static s => ((TransferSession)s!).Abort(TransferFailure.Stopped), this);
        var buffer = ArrayPool<byte>.Shared.Rent(ReceiveBufferSize);
        try
        {
            Begin();
            var slice = _transfer.TimeUntilDeadline() / 4;
            _socket.ReceiveTimeout = (int)Math.Clamp(slice.TotalMilliseconds, 10, 250);
            while (_transfer.State == TransferState.Running)
            {
                int received;
                try
                {
                    received = _socket.Receive(buffer.AsSpan(0, ReceiveBufferSize), SocketFlags.None);
                }
                catch (SocketException ex) when (ex.SocketErrorCode is SocketError.TimedOut or SocketError.WouldBlock)
                {
                    lock (_lock)
                    {
                        _transfer.OnTimer();
                    }

                    continue;
                }
                catch (SocketException ex) when (SocketErrors.Classify(ex.SocketErrorCode) != SocketErrorKind.Fatal)
                {
                    continue;
                }

                if (Volatile.Read(ref _aborted) != 0)
                {
                    break;
                }

                lock (_lock)
                {
                    _transfer.OnDatagram(buffer.AsSpan(0, received));
                    _transfer.OnTimer();
                }
            }
        }
        catch (ObjectDisposedException)
        {
        }
        catch (SocketException)
        {
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
            lock (_lock)
            {
                _transfer.Abort(TransferFailure.Stopped);
            }
        }
    }

    /// <summary>Ends the transfer from outside (eviction, shutdown): the blocked receive is woken at once.</summary>
    public void Abort(TransferFailure reason)
    {
        lock (_lock)
        {
            _transfer.Abort(reason);
        }

        if (Interlocked.Exchange(ref _aborted, 1) == 0)
        {
            try
            {
                // On Linux shutdown() wakes a thread blocked in recvfrom on a UDP socket.
                _socket.Shutdown(SocketShutdown.Both);
            }
            catch (SocketException)
            {
            }
            catch (ObjectDisposedException)
            {
            }
        }
    }

    public void Send(ReadOnlySpan<byte> datagram)
    {
        try
        {
            _socket.Send(datagram, SocketFlags.None);
        }
        catch (SocketException)
        {
            // A datagram that could not be sent (buffer full, unreachable, refused by a firewall) is lost like any
            // other and the retransmission timer covers it; a socket that is really broken fails its receive.
            SendErrors++;
        }
        catch (ObjectDisposedException)
        {
        }
    }

    /// <summary>
    /// Sends a window's run of DATA packets with one system call where the kernel supports UDP segmentation
    /// offload (UDP_SEGMENT, Linux 4.18): the kernel cuts the buffer into datagrams of <paramref name="size"/>
    /// bytes (the last may be shorter), so each packet is one TFTP block with its own header, and the run takes one
    /// route lookup and one trip through the stack instead of one per block. Where a segment does not fit the
    /// path's MTU (a block size above it, sent as IP fragments) or the kernel refuses, the session falls back to
    /// one datagram per block for good.
    /// </summary>
    public void SendRun(ReadOnlySpan<byte> datagrams, int size)
    {
        if (UseSegmentSize(size))
        {
            try
            {
                _socket.Send(datagrams, SocketFlags.None);
                SegmentedRuns++;
                return;
            }
            catch (SocketException ex) when (ex.SocketErrorCode is SocketError.MessageSize or SocketError.InvalidArgument or SocketError.OperationNotSupported)
            {
                TurnSegmentationOff();
            }
            catch (SocketException)
            {
                SendErrors++;
                return;
            }
            catch (ObjectDisposedException)
            {
                return;
            }
        }

        ITransferChannel.SendEach(this, datagrams, size);
    }

    private bool UseSegmentSize(int size)
    {
        if (_segmentSize != 0)
        {
            return _segmentSize == size;
        }

        try
        {
            // Set once per session: sends no longer than the size (OACK, errors, single blocks) go out unchanged.
            _socket.SetRawSocketOption(UdpLevel, UdpSegment, BitConverter.GetBytes(size));
            _segmentSize = size;
            return true;
        }
        catch (SocketException)
        {
            _segmentSize = -1;
            return false;
        }
    }

    private void TurnSegmentationOff()
    {
        _segmentSize = -1;
        try
        {
            _socket.SetRawSocketOption(UdpLevel, UdpSegment, BitConverter.GetBytes(0));
        }
        catch (SocketException)
        {
        }
    }

    /// <summary>
    /// Answers datagrams from other senders on the transfer's port with error 5 (RFC 1350); the transfer goes on.
    /// The receive waits in the runtime's socket engine, costing nothing until a stranger writes.
    /// </summary>
    private async Task AnswerStrangersAsync()
    {
        var buffer = new byte[ReceiveBufferSize];
        var anyone = new IPEndPoint(Client.AddressFamily == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any, 0);
        while (true)
        {
            IPEndPoint stranger;
            try
            {
                var result = await _strangers.ReceiveFromAsync(buffer, SocketFlags.None, anyone).ConfigureAwait(false);
                stranger = (IPEndPoint)result.RemoteEndPoint;
                _strangers.SendTo(UnknownTransferIdError, SocketFlags.None, stranger);
            }
            catch (ObjectDisposedException)
            {
                return;
            }
            catch (SocketException ex) when (SocketErrors.Classify(ex.SocketErrorCode) != SocketErrorKind.Fatal)
            {
                continue;
            }
            catch (SocketException)
            {
                return;
            }

            if (UnknownTransferId is { } handler)
            {
                handler(this, stranger);
            }
        }
    }

    private static byte[] Encode(TftpError error)
    {
        Span<byte> packet = stackalloc byte[64];
        error.TryWrite(packet, out int written);
        return packet[..written].ToArray();
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        lock (_lock)
        {
            _transfer.Dispose();
        }

        _socket.Dispose();
        _strangers.Dispose();
    }
}

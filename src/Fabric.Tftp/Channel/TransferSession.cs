using System.Buffers;
using System.Net;
using System.Net.Sockets;
using Fabric.Tftp.Commands;
using Fabric.Tftp.Transfer;

namespace Fabric.Tftp.Channel;

/// <summary>
/// One transfer on its own ephemeral socket (its TID): receives the client's datagrams, answers other
/// senders with error 5 without disturbing the transfer, and drives the state machine's retransmission timer.
/// The timer is not moved on every ACK: when it fires early it re-arms itself for the transfer's deadline.
/// </summary>
internal sealed class TransferSession : ITransferChannel, IDisposable
{
    private const int ReceiveBufferSize = 1024;

    // SOL_UDP and UDP_SEGMENT from <linux/udp.h>.
    private const int UdpLevel = 17;
    private const int UdpSegment = 103;

    private readonly Socket _socket;
    private readonly SocketAddress _client;
    private readonly ReadTransfer _transfer;
    private readonly Lock _lock = new();
    private int _aborted;
    private int _disposed;

    // 0: this session holds a transfer slot; 1: the slot went to another request; 2: released.
    private int _slot;

    private bool _begun;

    // The UDP_SEGMENT size set on the socket (0: none), and whether segmentation offload is still to be used.
    private int _segmentSize;
    private bool _segmentationOff;

    public TransferSession(Socket socket, IPEndPoint client, TimeProvider clock, string file, Func<ITransferChannel, ReadTransfer> createTransfer)
    {
        _socket = socket;
        Client = client;
        _client = client.Serialize();
        _transfer = createTransfer(this);
        File = file;
        StartTimestamp = clock.GetTimestamp();
    }

    public IPEndPoint Client { get; }

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

    public int StrangerPackets { get; private set; }

    public event Action<TransferSession, IPEndPoint>? UnknownTransferId;

    /// <summary>
    /// Runs the transfer on a dedicated thread blocked in recvfrom: each ACK wakes exactly the thread that
    /// answers it, with no hop through the thread pool (the lowest latency per block, as in a process-per-client
    /// server). The socket's receive timeout is a fraction of the retransmission timeout, so the same thread
    /// also fires retransmissions. The task completes when the thread ends.
    /// </summary>
    public Task RunAsync(CancellationToken cancellationToken)
    {
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
            var from = new SocketAddress(_socket.AddressFamily);
            while (_transfer.State == TransferState.Running)
            {
                int received;
                try
                {
                    received = _socket.ReceiveFrom(buffer.AsSpan(0, ReceiveBufferSize), SocketFlags.None, from);
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

                if (!from.Equals(_client))
                {
                    AnswerStranger(from);
                }
                else
                {
                    lock (_lock)
                    {
                        _transfer.OnDatagram(buffer.AsSpan(0, received));
                    }
                }

                lock (_lock)
                {
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
            _socket.SendTo(datagram, SocketFlags.None, _client);
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
        if (!_segmentationOff && UseSegmentSize(size))
        {
            try
            {
                _socket.SendTo(datagrams, SocketFlags.None, _client);
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

        for (int offset = 0; offset < datagrams.Length; offset += size)
        {
            Send(datagrams.Slice(offset, Math.Min(size, datagrams.Length - offset)));
        }
    }

    private bool UseSegmentSize(int size)
    {
        if (_segmentSize == size)
        {
            return true;
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
            _segmentationOff = true;
            return false;
        }
    }

    private void TurnSegmentationOff()
    {
        _segmentationOff = true;
        try
        {
            _socket.SetRawSocketOption(UdpLevel, UdpSegment, BitConverter.GetBytes(0));
            _segmentSize = 0;
        }
        catch (SocketException)
        {
        }
    }

    private void AnswerStranger(SocketAddress from)
    {
        // RFC 1350: a packet from a wrong TID gets error 5 and the transfer goes on.
        StrangerPackets++;
        Span<byte> packet = stackalloc byte[32];
        new TftpError(TftpErrorCode.UnknownTransferId, "unknown transfer id").TryWrite(packet, out int written);
        try
        {
            _socket.SendTo(packet[..written], SocketFlags.None, from);
        }
        catch (SocketException)
        {
        }

        if (UnknownTransferId is { } handler)
        {
            var endpoint = (IPEndPoint)Client.Create(from);
            handler(this, endpoint);
        }
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
    }
}

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

    private readonly Socket _socket;
    private readonly SocketAddress _client;
    private readonly ReadTransfer _transfer;
    private readonly TimeProvider _clock;
    private readonly Lock _lock = new();
    private readonly CancellationTokenSource _stop = new();
    private ITimer? _timer;
    private int _disposed;

    // 0: this session holds a transfer slot; 1: the slot went to another request; 2: released.
    private int _slot;

    public TransferSession(Socket socket, IPEndPoint client, TimeProvider clock, string file, Func<ITransferChannel, ReadTransfer> createTransfer)
    {
        _socket = socket;
        Client = client;
        _client = client.Serialize();
        _transfer = createTransfer(this);
        _clock = clock;
        File = file;
        StartTimestamp = clock.GetTimestamp();
    }

    public IPEndPoint Client { get; }

    public string File { get; }

    public long StartTimestamp { get; }

    public ReadTransfer Transfer => _transfer;

    public bool Confirmed => _transfer.Confirmed;

    public long SendErrors { get; private set; }

    /// <summary>Hands this session's slot to a new request (eviction); false when already released.</summary>
    public bool TryTransferSlot() => Interlocked.CompareExchange(ref _slot, 1, 0) == 0;

    /// <summary>True exactly once, when the session still holds its slot and must release it.</summary>
    public bool TryReleaseSlot() => Interlocked.CompareExchange(ref _slot, 2, 0) == 0;

    public int StrangerPackets { get; private set; }

    public event Action<TransferSession, IPEndPoint>? UnknownTransferId;

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _stop.Token);
        var buffer = ArrayPool<byte>.Shared.Rent(ReceiveBufferSize);
        try
        {
            lock (_lock)
            {
                _transfer.Start();
                if (_transfer.State == TransferState.Running)
                {
                    _timer = _clock.CreateTimer(static s => ((TransferSession)s!).OnTimer(), this, _transfer.TimeUntilDeadline(), Timeout.InfiniteTimeSpan);
                }
            }

            var from = new SocketAddress(_socket.AddressFamily);
            while (_transfer.State == TransferState.Running)
            {
                int received;
                try
                {
                    received = await _socket.ReceiveFromAsync(buffer.AsMemory(0, ReceiveBufferSize), SocketFlags.None, from, linked.Token).ConfigureAwait(false);
                }
                catch (SocketException ex) when (SocketErrors.Classify(ex.SocketErrorCode) != SocketErrorKind.Fatal)
                {
                    continue;
                }

                if (!from.Equals(_client))
                {
                    AnswerStranger(from);
                    continue;
                }

                lock (_lock)
                {
                    _transfer.OnDatagram(buffer.AsSpan(0, received));
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (ObjectDisposedException)
        {
        }
        catch (SocketException)
        {
            lock (_lock)
            {
                _transfer.Abort(TransferFailure.Stopped);
            }
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

    /// <summary>Ends the transfer from outside (eviction, shutdown); the receive loop then returns.</summary>
    public void Abort(TransferFailure reason)
    {
        lock (_lock)
        {
            _transfer.Abort(reason);
        }

        Cancel();
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

    private void OnTimer()
    {
        lock (_lock)
        {
            if (Volatile.Read(ref _disposed) != 0)
            {
                return;
            }

            _transfer.OnTimer();
            if (_transfer.State == TransferState.Running)
            {
                _timer?.Change(_transfer.TimeUntilDeadline(), Timeout.InfiniteTimeSpan);
                return;
            }
        }

        Cancel();
    }

    private void Cancel()
    {
        try
        {
            _stop.Cancel();
        }
        catch (ObjectDisposedException)
        {
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
            _timer?.Dispose();
            _transfer.Dispose();
        }

        _socket.Dispose();
        _stop.Dispose();
    }
}

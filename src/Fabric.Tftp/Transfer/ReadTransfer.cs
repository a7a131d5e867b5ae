using System.Buffers;
using System.Buffers.Binary;
using Fabric.Tftp.Commands;
using Fabric.Tftp.Files;

namespace Fabric.Tftp.Transfer;

/// <summary>Where a transfer sends its datagrams (the transfer's own socket, or a test double).</summary>
internal interface ITransferChannel
{
    void Send(ReadOnlySpan<byte> datagram);

    /// <summary>
    /// Sends a run of datagrams laid end to end: each <paramref name="size"/> bytes long, except the last, which
    /// may be shorter. A socket channel hands the whole run to the kernel at once (UDP segmentation offload).
    /// </summary>
    void SendRun(ReadOnlySpan<byte> datagrams, int size) => SendEach(this, datagrams, size);

    /// <summary>Sends a run one datagram at a time.</summary>
    static void SendEach(ITransferChannel channel, ReadOnlySpan<byte> datagrams, int size)
    {
        for (int offset = 0; offset < datagrams.Length; offset += size)
        {
            channel.Send(datagrams.Slice(offset, Math.Min(size, datagrams.Length - offset)));
        }
    }
}

internal enum TransferState
{
    Running,
    Completed,
    Failed,
}

internal enum TransferFailure
{
    None,
    Timeout,
    ClientError,
    ReadError,
    Evicted,
    Stopped,

    /// <summary>The client acknowledged nothing new for longer than the server's idle cap.</summary>
    Idle,
}

/// <summary>
/// One read transfer as a state machine, free of sockets and threads: it is fed the client's datagrams
/// and timer ticks and sends through an <see cref="ITransferChannel"/>.
/// States: awaiting the ACK of the OACK (RFC 2347), then sending windows of blocks (RFC 7440; a window of
/// one block is RFC 1350 lock-step). An ACK for block n (the last of the window, or an earlier one when the
/// client lost a block) acknowledges every block up to n and the next window starts at n + 1. An ACK of a
/// block already acknowledged is ignored, so duplicates never cause a resend (Sorcerer's Apprentice, RFC 1123
/// 4.2.3.1); only the retransmission timer resends, at most <c>maxRetries</c> times in a row.
/// Block numbers are 16 bits on the wire and wrap from 65535 to 0; the machine counts them in 64 bits.
/// </summary>
internal sealed class ReadTransfer : IDisposable
{
    /// <summary>The longest wait between retransmissions (unless the negotiated timeout is longer).</summary>
    internal static readonly TimeSpan BackoffCeiling = TimeSpan.FromSeconds(8);

    /// <summary>The most bytes a run of blocks handed to the channel at once may hold: under UDP's 65,507-byte
    /// payload limit, which also bounds one segmented send.</summary>
    internal const int MaxRunBytes = 65_000;

    /// <summary>The most datagrams in one run (the kernel's limit for one segmented UDP send is 64).</summary>
    internal const int MaxRunBlocks = 64;

    private readonly ITftpContent _content;
    private readonly ITransferChannel _channel;
    private readonly TimeProvider _clock;
    private readonly int _blockSize;
    private readonly int _windowSize;
    private readonly long _timeoutTicks;
    private readonly long _maxIdleTicks;
    private readonly int _maxRetries;
    private readonly long _lastBlock;
    private readonly byte[]? _oack;

    // Blocks of a window are written end to end into _buffer, each a DATA datagram of _segment bytes (the file's last
    // block may be shorter), and sent as runs of up to _runBlocks datagrams.
    private readonly int _segment;
    private readonly int _runBlocks;
    private byte[]? _buffer;

    // Next block the client has not acknowledged (0 while the OACK is unacknowledged), and next block to send.
    private long _windowStart;
    private long _nextToSend;
    private int _retries;

    // When the transfer started or last moved forward (an ACK of something new).
    private long _lastProgress;

    public ReadTransfer(
        ITftpContent content,
        TftpNegotiatedOptions options,
        ITransferChannel channel,
        TimeProvider clock,
        TimeSpan retransmitTimeout,
        int maxRetries,
        TimeSpan? maxIdle = null)
    {
        _content = content;
        _channel = channel;
        _clock = clock;
        _blockSize = options.BlockSize;
        _windowSize = options.WindowSize;
        var timeout = options.Timeout ?? retransmitTimeout;
        _timeoutTicks = (long)(timeout.TotalSeconds * clock.TimestampFrequency);
        _maxRetries = maxRetries;
        _maxIdleTicks = maxIdle is { } idle ? (long)(idle.TotalSeconds * clock.TimestampFrequency) : long.MaxValue;
        _lastBlock = (content.Length / _blockSize) + 1;
        _segment = _blockSize + TftpWire.HeaderLength;
        _runBlocks = Math.Clamp(MaxRunBytes / _segment, 1, Math.Min(_windowSize, MaxRunBlocks));
        _buffer = ArrayPool<byte>.Shared.Rent(_runBlocks * _segment);
        if (options.Accepted.Count > 0)
        {
            var oack = new TftpOptionAck(options.Accepted);
            var scratch = new byte[512];
            oack.TryWrite(scratch, out int written);
            _oack = scratch[..written];
        }
    }

    public TransferState State { get; private set; }

    public TransferFailure Failure { get; private set; }

    /// <summary>True once the client acknowledged anything: it is a real client, not a spoofed or silent one.</summary>
    public bool Confirmed { get; private set; }

    public long DeadlineTimestamp { get; private set; }

    public long BytesSent { get; private set; }

    public long Retransmits { get; private set; }

    public int BlockSize => _blockSize;

    public int WindowSize => _windowSize;

    public long Length => _content.Length;

    /// <summary>Sends the OACK, or the first window when there is nothing to acknowledge.</summary>
    public void Start()
    {
        _lastProgress = _clock.GetTimestamp();
        if (_oack is not null)
        {
            _windowStart = 0;
            _channel.Send(_oack);
            Arm();
        }
        else
        {
            _windowStart = 1;
            SendWindow(1);
        }
    }

    public void OnDatagram(ReadOnlySpan<byte> datagram)
    {
        if (State != TransferState.Running || datagram.Length < 4)
        {
            return;
        }

        var opcode = (TftpOpcode)BinaryPrimitives.ReadUInt16BigEndian(datagram);
        if (opcode == TftpOpcode.Error)
        {
            if (TftpError.TryParse(datagram, out _))
            {
                Finish(TransferState.Failed, TransferFailure.ClientError);
            }

            return;
        }

        if (opcode != TftpOpcode.Ack || !TftpAck.TryParse(datagram, out var ack))
        {
            return;
        }

        // The acknowledged block, widened to 64 bits relative to the last block already acknowledged.
        long acknowledged = _windowStart - 1;
        ushort delta = (ushort)(ack.Block - (ushort)acknowledged);
        long block = acknowledged + delta;
        if (_windowStart == 0)
        {
            // Awaiting ACK 0 for the OACK.
            if (ack.Block != 0)
            {
                return;
            }

            Confirmed = true;
            _windowStart = 1;
            _retries = 0;
            _lastProgress = _clock.GetTimestamp();
            SendWindow(1);
            return;
        }

        if (delta == 0 || block >= _nextToSend)
        {
            // A duplicate, or a block never sent: never answered (Sorcerer's Apprentice).
            return;
        }

        Confirmed = true;
        _retries = 0;
        _lastProgress = _clock.GetTimestamp();
        if (block >= _lastBlock)
        {
            Finish(TransferState.Completed, TransferFailure.None);
            return;
        }

        _windowStart = block + 1;
        SendWindow(_windowStart);
    }

    /// <summary>Called when the clock may have passed the deadline: resends the window, or gives up (too many
    /// retries, or idle past the server's cap whatever timeout the client asked for).</summary>
    public void OnTimer()
    {
        long now = _clock.GetTimestamp();
        if (State != TransferState.Running || now < DeadlineTimestamp)
        {
            return;
        }

        if (now - _lastProgress >= _maxIdleTicks)
        {
            Finish(TransferState.Failed, TransferFailure.Idle);
            return;
        }

        if (++_retries > _maxRetries)
        {
            Finish(TransferState.Failed, TransferFailure.Timeout);
            return;
        }

        if (_windowStart == 0)
        {
            Retransmits++;
            _channel.Send(_oack);
            Arm();
        }
        else
        {
            long before = BytesSent;
            long sent = SendWindow(_windowStart);
            Retransmits += sent;
            BytesSent = before;
        }
    }

    /// <summary>Stops the transfer from outside (eviction, shutdown).</summary>
    public void Abort(TransferFailure reason)
    {
        if (State == TransferState.Running)
        {
            Finish(TransferState.Failed, reason);
        }
    }

    public TimeSpan TimeUntilDeadline() =>
        TimeSpan.FromSeconds(Math.Max(0, DeadlineTimestamp - _clock.GetTimestamp()) / (double)_clock.TimestampFrequency);

    private long SendWindow(long first)
    {
        long end = Math.Min(first + _windowSize - 1, _lastBlock);
        long count = 0;
        for (long block = first; block <= end; block += _runBlocks)
        {
            int blocks = (int)Math.Min(_runBlocks, end - block + 1);
            if (!SendRun(block, blocks))
            {
                return count;
            }

            count += blocks;
        }

        _nextToSend = end + 1;
        Arm();
        return count;
    }

    /// <summary>Reads <paramref name="blocks"/> blocks from <paramref name="first"/> into the buffer, each behind
    /// its DATA header, and sends them as one run (only the file's last block can be short, and it is last).</summary>
    private bool SendRun(long first, int blocks)
    {
        var buffer = _buffer!;
        int used = 0;
        long payload = 0;
        for (long block = first; block < first + blocks; block++)
        {
            long offset = (block - 1) * _blockSize;
            int length = (int)Math.Clamp(_content.Length - offset, 0, _blockSize);
            TftpData.WriteHeader(buffer.AsSpan(used), (ushort)block);
            int read;
            try
            {
                read = _content.Read(offset, buffer.AsSpan(used + TftpWire.HeaderLength, length));
            }
            catch (IOException)
            {
                read = -1;
            }

            if (read != length)
            {
                SendError(TftpErrorCode.NotDefined, "read error");
                Finish(TransferState.Failed, TransferFailure.ReadError);
                return false;
            }

            used += TftpWire.HeaderLength + length;
            payload += length;
        }

        if (blocks == 1)
        {
            _channel.Send(buffer.AsSpan(0, used));
        }
        else
        {
            _channel.SendRun(buffer.AsSpan(0, used), _segment);
        }

        BytesSent += payload;
        return true;
    }

    private void SendError(TftpErrorCode code, string message)
    {
        Span<byte> packet = stackalloc byte[300];
        if (new TftpError(code, message).TryWrite(packet, out int written))
        {
            _channel.Send(packet[..written]);
        }
    }

    // Exponential backoff (RFC 1123 4.2.3.2): each consecutive timeout doubles the wait, up to a ceiling of
    // BackoffCeiling (or the timeout itself when that is longer). The ceiling is above common clients' own
    // timeouts (atftp and tftp-hpa wait 5 s) on purpose: atftp answers a duplicate DATA block with one extra
    // ACK only and then ignores duplicates, restarting its timer on each one; if that one ACK is lost, only a
    // silence longer than the client's timeout makes it acknowledge again. With the default 1 s timeout and
    // 5 retries the waits are 1, 2, 4, 8, 8 s.
    // The deadline never lies beyond the idle cap, so a client that asked for a 255 s timeout still loses the transfer
    // once it has been silent for the cap.
    private void Arm()
    {
        long ceiling = Math.Max(_timeoutTicks, (long)(BackoffCeiling.TotalSeconds * _clock.TimestampFrequency));
        long deadline = _clock.GetTimestamp() + Math.Min(_timeoutTicks << Math.Min(_retries, 16), ceiling);
        long idleDeadline = _maxIdleTicks == long.MaxValue ? long.MaxValue : _lastProgress + _maxIdleTicks;
        DeadlineTimestamp = Math.Min(deadline, idleDeadline);
    }

    private void Finish(TransferState state, TransferFailure failure)
    {
        State = state;
        Failure = failure;
    }

    public void Dispose()
    {
        if (State == TransferState.Running)
        {
            Finish(TransferState.Failed, TransferFailure.Stopped);
        }

        _content.Dispose();
        var buffer = Interlocked.Exchange(ref _buffer, null);
        if (buffer is not null)
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}

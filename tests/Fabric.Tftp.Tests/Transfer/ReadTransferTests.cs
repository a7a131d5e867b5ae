using System.Buffers.Binary;
using Fabric.Tftp.Commands;
using Fabric.Tftp.Files;
using Fabric.Tftp.Tests.Commands;
using Fabric.Tftp.Transfer;
using Microsoft.Extensions.Time.Testing;

namespace Fabric.Tftp.Tests.Transfer;

public class ReadTransferTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(1);

    private sealed class RecordingChannel : ITransferChannel
    {
        public List<byte[]> Sent { get; } = [];

        /// <summary>Each run handed over at once: its length in bytes and its datagram size.</summary>
        public List<(int Bytes, int Size)> Runs { get; } = [];

        public void Send(ReadOnlySpan<byte> datagram) => Sent.Add(datagram.ToArray());

        public void SendRun(ReadOnlySpan<byte> datagrams, int size)
        {
            Runs.Add((datagrams.Length, size));
            ITransferChannel.SendEach(this, datagrams, size);
        }

        public byte[] Take()
        {
            var all = Sent.ToArray();
            Sent.Clear();
            return all.Length == 1 ? all[0] : throw new InvalidOperationException($"expected one datagram, got {all.Length}");
        }
    }

    private sealed class FailingContent(long length) : ITftpContent
    {
        public long Length => length;

        public int Read(long offset, Span<byte> destination) => throw new IOException("disk gone");

        public void Dispose()
        {
        }
    }

    private static byte[] Bytes(int length) => [.. Enumerable.Range(0, length).Select(i => (byte)(i * 7 + 3))];

    private static (ReadTransfer Transfer, RecordingChannel Channel, FakeTimeProvider Clock) Create(
        byte[] content, TftpNegotiatedOptions? options = null, int maxRetries = 3)
    {
        var channel = new RecordingChannel();
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var transfer = new ReadTransfer(new MemoryContent(content), options ?? TftpNegotiatedOptions.Default, channel, clock, Timeout, maxRetries);
        return (transfer, channel, clock);
    }

    private static TftpNegotiatedOptions Options(int blockSize, int windowSize = 1, params TftpOption[] accepted) =>
        new(blockSize, windowSize, null, accepted.Length > 0 ? accepted : [new("blksize", blockSize.ToString())]);

    private static (ushort Block, byte[] Payload) Data(byte[] datagram)
    {
        Assert.True(TftpData.TryParse(datagram, out var data));
        return (data.Block, data.Payload.ToArray());
    }

    [Fact]
    public void Start_NoOptions_SendsFirst512ByteBlockWithoutOack()
    {
        var (transfer, channel, _) = Create(Bytes(1000));
        transfer.Start();

        var (block, payload) = Data(channel.Take());
        Assert.Equal(1, block);
        Assert.Equal(Bytes(1000)[..512], payload);
    }

    [Theory]
    [InlineData(1468, 16, new[] { 16 })]
    [InlineData(1468, 64, new[] { 44, 20 })]
    [InlineData(512, 64, new[] { 64 })]
    [InlineData(32768, 8, new[] { 1, 1, 1, 1, 1, 1, 1, 1 })]
    public void Window_SentAsRunsWithinTheKernelLimits(int blockSize, int windowSize, int[] runBlocks)
    {
        var (transfer, channel, _) = Create(Bytes(blockSize * 200), Options(blockSize, windowSize));
        transfer.Start();
        channel.Take();
        transfer.OnDatagram(Packets.Ack(0));

        // One window: blocks 1..windowSize in order, as runs of at most 64 datagrams and 65,000 bytes;
        // a single block goes out as a plain datagram.
        Assert.Equal(Enumerable.Range(1, windowSize).Select(b => (ushort)b), channel.Sent.Select(d => Data(d).Block));
        Assert.All(channel.Sent, d => Assert.Equal(4 + blockSize, d.Length));
        var runs = runBlocks.Where(n => n > 1).Select(n => (n * (4 + blockSize), 4 + blockSize));
        Assert.Equal(runs, channel.Runs);
        Assert.All(channel.Runs, r => Assert.True(r.Bytes <= ReadTransfer.MaxRunBytes));
    }

    [Fact]
    public void Window_LastRunEndsWithTheShortLastBlock()
    {
        var (transfer, channel, _) = Create(Bytes((1468 * 5) + 100), Options(1468, 16));
        transfer.Start();
        channel.Take();
        transfer.OnDatagram(Packets.Ack(0));

        Assert.Equal([((1472 * 5) + 104, 1472)], channel.Runs);
        Assert.Equal(Bytes((1468 * 5) + 100), channel.Sent.SelectMany(d => Data(d).Payload));
    }

    [Fact]
    public void OnDatagram_ExactMultipleOfBlockSize_EndsWithEmptyBlock()
    {
        var (transfer, channel, _) = Create(Bytes(1024));
        transfer.Start();
        Assert.Equal(512, Data(channel.Take()).Payload.Length);
        transfer.OnDatagram(Packets.Ack(1));
        Assert.Equal(512, Data(channel.Take()).Payload.Length);
        transfer.OnDatagram(Packets.Ack(2));
        var last = Data(channel.Take());
        Assert.Equal((3, 0), (last.Block, last.Payload.Length));
        Assert.Equal(TransferState.Running, transfer.State);

        transfer.OnDatagram(Packets.Ack(3));
        Assert.Equal(TransferState.Completed, transfer.State);
        Assert.Equal(1024, transfer.BytesSent);
    }

    [Fact]
    public void OnDatagram_ZeroByteFile_SendsOneEmptyBlock()
    {
        var (transfer, channel, _) = Create([]);
        transfer.Start();
        Assert.Equal((ushort)1, Data(channel.Take()).Block);
        transfer.OnDatagram(Packets.Ack(1));
        Assert.Equal(TransferState.Completed, transfer.State);
    }

    [Fact]
    public void OnDatagram_MoreThan65535Blocks_WrapsBlockNumberToZero()
    {
        var content = Bytes((8 * 65540) + 3);
        var (transfer, channel, _) = Create(content, Options(8));
        transfer.Start();
        channel.Take();
        transfer.OnDatagram(Packets.Ack(0));
        var received = new List<byte>();
        var seen = new List<ushort>();
        while (transfer.State == TransferState.Running)
        {
            var (block, payload) = Data(channel.Take());
            seen.Add(block);
            received.AddRange(payload);
            transfer.OnDatagram(Packets.Ack(block));
        }

        Assert.Equal(TransferState.Completed, transfer.State);
        Assert.Equal(content, received.ToArray());
        Assert.Equal(65541, seen.Count);
        Assert.Equal([65534, 65535, 0, 1, 2], seen.Skip(65533).Take(5));
    }

    [Fact]
    public void Start_WithOptions_SendsOackAndWaitsForAckZero()
    {
        var (transfer, channel, _) = Create(Bytes(3000), Options(1468, 1, new("blksize", "1468"), new("tsize", "3000")));
        transfer.Start();
        Assert.True(TftpOptionAck.TryParse(channel.Take(), out var oack));
        Assert.Equal([new TftpOption("blksize", "1468"), new TftpOption("tsize", "3000")], oack!.Options);

        transfer.OnDatagram(Packets.Ack(1));
        Assert.Empty(channel.Sent);
        Assert.False(transfer.Confirmed);

        transfer.OnDatagram(Packets.Ack(0));
        Assert.True(transfer.Confirmed);
        var (block, payload) = Data(channel.Take());
        Assert.Equal((1, 1468), (block, payload.Length));
    }

    [Fact]
    public void OnDatagram_Windowsize_SendsWholeWindowAndAdvancesOnLastAck()
    {
        var (transfer, channel, _) = Create(Bytes(100), Options(8, 4));
        transfer.Start();
        channel.Sent.Clear();

        transfer.OnDatagram(Packets.Ack(0));
        Assert.Equal([1, 2, 3, 4], channel.Sent.Select(d => Data(d).Block));
        channel.Sent.Clear();

        transfer.OnDatagram(Packets.Ack(4));
        Assert.Equal([5, 6, 7, 8], channel.Sent.Select(d => Data(d).Block));
        channel.Sent.Clear();

        // The client lost block 7: it acknowledges 6 and the window restarts at 7.
        transfer.OnDatagram(Packets.Ack(6));
        Assert.Equal([7, 8, 9, 10], channel.Sent.Select(d => Data(d).Block));
    }

    [Fact]
    public void OnDatagram_FinalWindowIsShort_CompletesOnLastBlockAck()
    {
        var (transfer, channel, _) = Create(Bytes(20), Options(8, 16));
        transfer.Start();
        channel.Sent.Clear();
        transfer.OnDatagram(Packets.Ack(0));
        Assert.Equal([1, 2, 3], channel.Sent.Select(d => Data(d).Block));
        transfer.OnDatagram(Packets.Ack(3));
        Assert.Equal(TransferState.Completed, transfer.State);
    }

    [Fact]
    public void OnDatagram_DuplicateAck_SendsNothing()
    {
        var (transfer, channel, _) = Create(Bytes(2000));
        transfer.Start();
        channel.Take();
        transfer.OnDatagram(Packets.Ack(1));
        channel.Take();

        transfer.OnDatagram(Packets.Ack(1));
        transfer.OnDatagram(Packets.Ack(1));
        transfer.OnDatagram(Packets.Ack(0));
        transfer.OnDatagram(Packets.Ack(9));
        Assert.Empty(channel.Sent);
    }

    [Fact]
    public void OnTimer_DeadlinePassed_ResendsWindowThenGivesUpAfterRetryLimit()
    {
        var (transfer, channel, clock) = Create(Bytes(2000), Options(512, 2), maxRetries: 2);
        transfer.Start();
        transfer.OnDatagram(Packets.Ack(0));
        channel.Sent.Clear();

        clock.Advance(TimeSpan.FromMilliseconds(999));
        transfer.OnTimer();
        Assert.Empty(channel.Sent);

        clock.Advance(TimeSpan.FromMilliseconds(1));
        transfer.OnTimer();
        Assert.Equal([1, 2], channel.Sent.Select(d => Data(d).Block));
        Assert.Equal(2, transfer.Retransmits);
        channel.Sent.Clear();

        // Backoff: the next wait is twice as long.
        clock.Advance(Timeout);
        transfer.OnTimer();
        Assert.Empty(channel.Sent);
        clock.Advance(Timeout);
        transfer.OnTimer();
        Assert.Equal(2, channel.Sent.Count);
        channel.Sent.Clear();

        clock.Advance(4 * Timeout);
        transfer.OnTimer();
        Assert.Empty(channel.Sent);
        Assert.Equal(TransferState.Failed, transfer.State);
        Assert.Equal(TransferFailure.Timeout, transfer.Failure);
    }

    [Fact]
    public void OnTimer_RepeatedTimeouts_WaitsDoubleUpToCeilingAboveClientTimeouts()
    {
        // Waits of 1, 2, 4, 8, 8 s: one silence is longer than atftp's and tftp-hpa's 5 s timeout, so a client
        // that stopped re-acknowledging duplicates times out and acknowledges again before the server gives up.
        var (transfer, channel, clock) = Create(Bytes(5000), maxRetries: 5);
        transfer.Start();
        channel.Sent.Clear();
        var resentAt = new List<int>();
        for (int second = 1; second <= 40 && transfer.State == TransferState.Running; second++)
        {
            clock.Advance(TimeSpan.FromSeconds(1));
            transfer.OnTimer();
            if (channel.Sent.Count > 0)
            {
                resentAt.Add(second);
                channel.Sent.Clear();
            }
        }

        Assert.Equal([1, 3, 7, 15, 23], resentAt);
        Assert.Equal(TransferFailure.Timeout, transfer.Failure);
    }

    [Fact]
    public void OnTimer_OackUnacknowledged_ResendsOack()
    {
        var (transfer, channel, clock) = Create(Bytes(10), Options(8));
        transfer.Start();
        var oack = channel.Take();
        clock.Advance(Timeout);
        transfer.OnTimer();
        Assert.Equal(oack, channel.Take());
    }

    [Fact]
    public void OnTimer_ProgressResetsRetryCount()
    {
        var (transfer, channel, clock) = Create(Bytes(5000), maxRetries: 1);
        transfer.Start();
        clock.Advance(Timeout);
        transfer.OnTimer();
        transfer.OnDatagram(Packets.Ack(1));
        channel.Sent.Clear();
        clock.Advance(Timeout);
        transfer.OnTimer();
        Assert.Equal(TransferState.Running, transfer.State);
        Assert.Single(channel.Sent);
    }

    [Fact]
    public void OnTimer_ClientTimeoutOption_UsesIt()
    {
        var channel = new RecordingChannel();
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var options = new TftpNegotiatedOptions(512, 1, TimeSpan.FromSeconds(5), [new("timeout", "5")]);
        using var transfer = new ReadTransfer(new MemoryContent(Bytes(10)), options, channel, clock, Timeout, 3);
        transfer.Start();
        channel.Sent.Clear();
        clock.Advance(TimeSpan.FromSeconds(4));
        transfer.OnTimer();
        Assert.Empty(channel.Sent);
        clock.Advance(TimeSpan.FromSeconds(1));
        transfer.OnTimer();
        Assert.Single(channel.Sent);
    }

    [Fact]
    public void OnDatagram_ClientError_FailsWithoutReply()
    {
        var (transfer, channel, _) = Create(Bytes(2000));
        transfer.Start();
        channel.Take();
        transfer.OnDatagram(Packets.Error(8, "options refused"));
        Assert.Equal(TransferFailure.ClientError, transfer.Failure);
        Assert.Empty(channel.Sent);
    }

    [Theory]
    [InlineData(new byte[] { 0, 5, 0 })]
    [InlineData(new byte[] { 0, 5, 0, 1, (byte)'x' })]
    [InlineData(new byte[] { 0, 3, 0, 1, 9 })]
    [InlineData(new byte[] { 0, 1, (byte)'a', 0, (byte)'o', 0 })]
    [InlineData(new byte[] { 0, 4, 0 })]
    [InlineData(new byte[] { 0x99, 0x99, 0, 0 })]
    public void OnDatagram_MalformedOrUnexpected_IsIgnored(byte[] datagram)
    {
        var (transfer, channel, _) = Create(Bytes(2000));
        transfer.Start();
        channel.Take();
        transfer.OnDatagram(datagram);
        Assert.Equal(TransferState.Running, transfer.State);
        Assert.Empty(channel.Sent);
    }

    [Fact]
    public void Start_ReadFails_SendsErrorZeroAndFails()
    {
        var channel = new RecordingChannel();
        using var transfer = new ReadTransfer(new FailingContent(100), TftpNegotiatedOptions.Default, channel, new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero)), Timeout, 3);
        transfer.Start();
        Assert.True(TftpError.TryParse(channel.Take(), out var error));
        Assert.Equal(TftpErrorCode.NotDefined, error.Code);
        Assert.Equal(TransferFailure.ReadError, transfer.Failure);
    }

    [Fact]
    public void Encode_NetAscii_ConvertsLineEnds()
    {
        Assert.Equal("a\r\nb\r\0c\r\0\r\n"u8.ToArray(), NetAscii.Encode("a\nb\rc\r\n"u8));
    }

    [Fact]
    public void Dispose_ReturnsAndFailsRunningTransfer()
    {
        var (transfer, _, _) = Create(Bytes(10));
        transfer.Start();
        transfer.Dispose();
        Assert.Equal(TransferFailure.Stopped, transfer.Failure);
        transfer.OnDatagram(Packets.Ack(1));
        _ = BinaryPrimitives.ReadUInt16BigEndian(Packets.Ack(1));
    }

    [Fact]
    public void OnTimer_ClientAskedTimeout255AndFellSilent_FailsIdleAtTheServersCap()
    {
        var channel = new RecordingChannel();
        var clock = new FakeTimeProvider();
        var options = new TftpNegotiatedOptions(512, 1, TimeSpan.FromSeconds(255), [new("timeout", "255")]);
        using var transfer = new ReadTransfer(new MemoryContent(Bytes(2000)), options, channel, clock, Timeout, maxRetries: 5, maxIdle: TimeSpan.FromSeconds(30));
        transfer.Start();

        clock.Advance(TimeSpan.FromSeconds(29));
        transfer.OnTimer();
        Assert.Equal(TransferState.Running, transfer.State);
        Assert.True(transfer.TimeUntilDeadline() <= TimeSpan.FromSeconds(1));

        clock.Advance(TimeSpan.FromSeconds(1));
        transfer.OnTimer();
        Assert.Equal(TransferState.Failed, transfer.State);
        Assert.Equal(TransferFailure.Idle, transfer.Failure);
    }

    [Fact]
    public void OnTimer_ClientAcknowledgesEvery20Seconds_NeverIdle()
    {
        var channel = new RecordingChannel();
        var clock = new FakeTimeProvider();
        using var transfer = new ReadTransfer(new MemoryContent(Bytes(512 * 6)), TftpNegotiatedOptions.Default, channel, clock, TimeSpan.FromSeconds(25), maxRetries: 5, maxIdle: TimeSpan.FromSeconds(30));
        transfer.Start();
        for (ushort block = 1; block <= 6; block++)
        {
            clock.Advance(TimeSpan.FromSeconds(20));
            transfer.OnTimer();
            Assert.Equal(TransferState.Running, transfer.State);
            transfer.OnDatagram(Packets.Ack(block));
        }

        transfer.OnDatagram(Packets.Ack(7));
        Assert.Equal(TransferState.Completed, transfer.State);
    }
}

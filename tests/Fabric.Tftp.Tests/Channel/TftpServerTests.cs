using System.Diagnostics.Metrics;
using System.Net;
using Fabric.Tftp.Commands;
using Fabric.Tftp.Tests.Commands;
using Fabric.Tftp.Tests.Files;
using Microsoft.Extensions.Logging.Abstractions;

namespace Fabric.Tftp.Tests.Channel;

public sealed class TftpServerTests : IAsyncLifetime
{
    private readonly TempRoot _root = new();
    private TftpServer _server = null!;
    private IPEndPoint Endpoint => _server.LocalEndPoint!;

    private async Task StartAsync(TftpServerOptions? options = null, Fabric.Tftp.Files.ITftpVirtualFiles? files = null)
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }

        options ??= new TftpServerOptions();
        options = options with { Endpoint = new IPEndPoint(IPAddress.Loopback, 0), Root = _root.Path };
        _server = new TftpServer(options, NullLogger<TftpServer>.Instance, files);
        await _server.StartAsync();
    }

    public Task InitializeAsync() => StartAsync();

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        _root.Dispose();
    }

    private static byte[] Bytes(int length) => [.. Enumerable.Range(0, length).Select(i => (byte)(i * 13 + i / 256))];

    private static async Task WaitFor(Func<bool> condition, int timeoutMs = 10000)
    {
        var until = DateTime.UtcNow.AddMilliseconds(timeoutMs);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < until, "condition not reached in time");
            await Task.Delay(20);
        }
    }

    [Theory]
    [InlineData(0, 512, 1)]
    [InlineData(512, 512, 1)]
    [InlineData(1468 * 3, 1468, 1)]
    [InlineData(100_000, 1468, 16)]
    [InlineData(70_000, 8192, 4)]
    public void Get_File_ReturnsSameBytes(int length, int blockSize, int windowSize)
    {
        var content = Bytes(length);
        _root.Write("f.bin", content);
        using var client = new RawClient();
        Assert.Equal(content, client.Get(Endpoint, "f.bin", blockSize, windowSize));
    }

    [Fact]
    public void Get_NoOptions_PlainRfc1350Blocks()
    {
        _root.Write("f.bin", Bytes(1500));
        using var client = new RawClient();
        client.Send(Packets.Rrq("f.bin"), Endpoint);
        var first = client.Receive()!.Value;
        Assert.Equal(4 + 512, first.Data.Length);
        Assert.Equal(new byte[] { 0, 3, 0, 1 }, first.Data[..4]);
    }

    [Fact]
    public void Get_RunsOnEphemeralPortNotTheListenPort()
    {
        _root.Write("f.bin", Bytes(10));
        using var client = new RawClient();
        client.Send(Packets.Rrq("f.bin"), Endpoint);
        var first = client.Receive()!.Value;
        Assert.NotEqual(Endpoint.Port, first.From.Port);
        Assert.Equal(IPAddress.Loopback, first.From.Address);
    }

    [Fact]
    public void WriteRequest_AnsweredAccessViolation_NothingWritten()
    {
        using var client = new RawClient();
        client.Send(Packets.Request(2, "new.bin", "octet"), Endpoint);
        var error = RawClient.AsError(client.Receive()!.Value.Data);
        Assert.Equal(TftpErrorCode.AccessViolation, error!.Value.Code);
        Assert.False(File.Exists(Path.Combine(_root.Path, "new.bin")));
        Assert.Empty(Directory.EnumerateFileSystemEntries(_root.Path));
    }

    [Fact]
    public void ReadRequest_MissingFile_FileNotFound()
    {
        using var client = new RawClient();
        client.Send(Packets.Rrq("missing"), Endpoint);
        Assert.Equal(TftpErrorCode.FileNotFound, RawClient.AsError(client.Receive()!.Value.Data)!.Value.Code);
    }

    [Fact]
    public void ReadRequest_Traversal_AccessViolation()
    {
        using var client = new RawClient();
        client.Send(Packets.Rrq("../../../../etc/passwd"), Endpoint);
        Assert.Equal(TftpErrorCode.AccessViolation, RawClient.AsError(client.Receive()!.Value.Data)!.Value.Code);
    }

    [Fact]
    public void Ack_FromWrongTransferId_AnsweredErrorFiveTransferContinues()
    {
        var content = Bytes(2000);
        _root.Write("f.bin", content);
        using var client = new RawClient();
        using var stranger = new RawClient();
        client.Send(Packets.Rrq("f.bin"), Endpoint);
        var first = client.Receive()!.Value;

        stranger.Send(Packets.Ack(1), first.From);
        Assert.Equal(TftpErrorCode.UnknownTransferId, RawClient.AsError(stranger.Receive()!.Value.Data)!.Value.Code);

        client.Send(Packets.Ack(1), first.From);
        var second = client.Receive()!.Value;
        Assert.Equal(new byte[] { 0, 3, 0, 2 }, second.Data[..4]);
    }

    [Fact]
    public async Task SilentClient_DroppedAndSlotFreed()
    {
        await StartAsync(new TftpServerOptions { RetransmitTimeout = TimeSpan.FromMilliseconds(50), MaxRetries = 2 });
        _root.Write("f.bin", Bytes(2000));
        using var client = new RawClient();
        client.Send(Packets.Rrq("f.bin"), Endpoint);
        Assert.NotNull(client.Receive());
        Assert.Equal(1, _server.ActiveTransfers);

        // The server resends twice, then gives up.
        Assert.NotNull(client.Receive());
        Assert.NotNull(client.Receive());
        await WaitFor(() => _server.ActiveTransfers == 0);
        Assert.Null(client.Receive(300));
    }

    [Fact]
    public async Task RepeatedRequest_BeforeFirstAck_AnsweredByTheSameTransferOnly()
    {
        await StartAsync(new TftpServerOptions { RetransmitTimeout = TimeSpan.FromSeconds(5) });
        var content = Bytes(3000);
        _root.Write("f.bin", content);
        using var client = new RawClient();

        // The client's timer ran out before it saw DATA 1: it asks again, twice.
        client.Send(Packets.Rrq("f.bin"), Endpoint);
        var first = client.Receive()!.Value;
        client.Send(Packets.Rrq("f.bin"), Endpoint);
        client.Send(Packets.Rrq("f.bin"), Endpoint);

        // No second transfer: nothing arrives from another port, and one transfer is active.
        Assert.Null(client.Receive(500));
        Assert.Equal(1, _server.ActiveTransfers);

        // The first transfer carries on as usual.
        var received = new List<byte>(first.Data[4..]);
        client.Send(Packets.Ack(1), first.From);
        for (ushort block = 2; received.Count < content.Length || block == 2; block++)
        {
            var next = client.Receive()!.Value;
            Assert.Equal(first.From, next.From);
            received.AddRange(next.Data[4..]);
            client.Send(Packets.Ack(block), first.From);
            if (next.Data.Length < 4 + 512)
            {
                break;
            }
        }

        Assert.Equal(content, received);
        await WaitFor(() => _server.ActiveTransfers == 0);

        // Once that transfer is over, the same request from the same port is a new transfer.
        client.Send(Packets.Rrq("f.bin"), Endpoint);
        Assert.NotNull(client.Receive());
    }

    [Fact]
    public async Task DuplicateAcks_DoNotCauseResends()
    {
        await StartAsync(new TftpServerOptions { RetransmitTimeout = TimeSpan.FromSeconds(5) });
        _root.Write("f.bin", Bytes(5000));
        using var client = new RawClient();
        client.Send(Packets.Rrq("f.bin"), Endpoint);
        var first = client.Receive()!.Value;
        client.Send(Packets.Ack(1), first.From);
        Assert.Equal(new byte[] { 0, 3, 0, 2 }, client.Receive()!.Value.Data[..4]);
        for (int i = 0; i < 5; i++)
        {
            client.Send(Packets.Ack(1), first.From);
        }

        Assert.Null(client.Receive(300));
    }

    [Fact]
    public async Task Limit_ConfirmedTransfersFull_NewRequestGetsServerBusy()
    {
        await StartAsync(new TftpServerOptions { MaxTransfers = 1 });
        _root.Write("f.bin", Bytes(5000));
        using var first = new RawClient();
        first.Send(Packets.Rrq("f.bin"), Endpoint);
        var data = first.Receive()!.Value;
        first.Send(Packets.Ack(1), data.From);
        first.Receive();

        using var second = new RawClient();
        second.Send(Packets.Rrq("f.bin"), Endpoint);
        var error = RawClient.AsError(second.Receive()!.Value.Data);
        Assert.Equal(TftpErrorCode.NotDefined, error!.Value.Code);
        Assert.Contains("busy", error.Value.Message);
    }

    [Fact]
    public async Task Limit_UnacknowledgedTransferEvictedForNewRequest()
    {
        await StartAsync(new TftpServerOptions { MaxTransfers = 1 });
        var content = Bytes(3000);
        _root.Write("f.bin", content);
        using var silent = new RawClient();
        silent.Send(Packets.Rrq("f.bin"), Endpoint);
        Assert.NotNull(silent.Receive());

        using var good = new RawClient();
        Assert.Equal(content, good.Get(Endpoint, "f.bin"));
        await WaitFor(() => _server.ActiveTransfers == 0);
    }

    [Fact]
    public void Get_Netascii_ConvertsLineEnds()
    {
        _root.Write("cfg", "a\nb\r"u8.ToArray());
        using var client = new RawClient();
        client.Send(Packets.Request(1, "cfg", "netascii"), Endpoint);
        var data = client.Receive()!.Value.Data;
        Assert.Equal("a\r\nb\r\0"u8.ToArray(), data[4..]);
    }

    [Fact]
    public async Task Get_VirtualFile_RenderedForItsOwnerOnly()
    {
        var files = new TestVirtualFiles(new() { ["aa-bb-cc-dd-ee-ff"] = IPAddress.Parse("127.0.0.1") });
        await StartAsync(files: files);
        using var owner = new RawClient();
        var text = System.Text.Encoding.ASCII.GetString(owner.Get(Endpoint, "pxelinux.cfg/01-aa-bb-cc-dd-ee-ff"));
        Assert.Contains("secret-aa-bb-cc-dd-ee-ff", text);

        using var other = new RawClient(IPAddress.Parse("127.0.0.2"));
        other.Send(Packets.Rrq("pxelinux.cfg/01-aa-bb-cc-dd-ee-ff"), Endpoint);
        Assert.Equal(TftpErrorCode.AccessViolation, RawClient.AsError(other.Receive()!.Value.Data)!.Value.Code);
    }

    [Fact]
    public async Task Metrics_CountTransfersBytesAndErrors()
    {
        var seen = new Dictionary<string, long>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == "Fabric.Tftp")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, _, _) =>
        {
            lock (seen)
            {
                seen[instrument.Name] = seen.GetValueOrDefault(instrument.Name) + value;
            }
        });
        listener.Start();
        await StartAsync();
        _root.Write("f.bin", Bytes(1000));
        using var client = new RawClient();
        client.Get(Endpoint, "f.bin");
        client.Send(Packets.Rrq("missing"), Endpoint);
        client.Receive();
        await WaitFor(() =>
        {
            lock (seen)
            {
                return seen.GetValueOrDefault("tftp.transfers.completed") == 1 && seen.GetValueOrDefault("tftp.errors") >= 1;
            }
        });
        lock (seen)
        {
            Assert.Equal(1, seen["tftp.transfers.started"]);
            Assert.Equal(1000, seen["tftp.bytes.sent"]);
        }
    }

    [Theory]
    [InlineData(100_000, 1468, 16)]
    [InlineData(1468 * 32, 1468, 16)]
    [InlineData(200_000, 512, 64)]
    [InlineData(70_000, 8192, 4)]
    public async Task Get_Windowed_RunsSentSegmented_EachBlockItsOwnDatagram(int length, int blockSize, int windowSize)
    {
        using var seen = new CounterTotal("tftp.sends.segmented");
        await StartAsync();
        var content = Bytes(length);
        _root.Write("f.bin", content);
        using var client = new RawClient();
        var sizes = new List<int>();
        Assert.Equal(content, client.Get(Endpoint, "f.bin", blockSize, windowSize, received: sizes));

        // The kernel cut each run into one datagram per block: full blocks, then the short last one.
        Assert.All(sizes[..^1], size => Assert.Equal(4 + blockSize, size));
        Assert.Equal(4 + (length % blockSize), sizes[^1]);
        await WaitFor(() => seen.Value > 0);
    }

    /// <summary>The running total of one of the server's counters.</summary>
    private sealed class CounterTotal : IDisposable
    {
        private readonly MeterListener _listener = new();
        private long _value;

        public CounterTotal(string name)
        {
            _listener.InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Name == "Fabric.Tftp" && instrument.Name == name)
                {
                    l.EnableMeasurementEvents(instrument);
                }
            };
            _listener.SetMeasurementEventCallback<long>((_, value, _, _) => Interlocked.Add(ref _value, value));
            _listener.Start();
        }

        public long Value => Interlocked.Read(ref _value);

        public void Dispose() => _listener.Dispose();
    }

    [Fact]
    public void Constructor_InvalidOptions_ReportsEveryError()
    {
        var ex = Assert.Throws<ArgumentException>(() => new TftpServer(
            new TftpServerOptions { Root = "/nonexistent-root", MaxTransfers = 0, MaxBlockSize = 4, MaxWindowSize = 0 },
            NullLogger<TftpServer>.Instance));
        Assert.Contains("Endpoint", ex.Message);
        Assert.Contains("does not exist", ex.Message);
        Assert.Contains("MaxTransfers", ex.Message);
        Assert.Contains("MaxBlockSize", ex.Message);
        Assert.Contains("MaxWindowSize", ex.Message);
    }

    [Fact]
    public void Constructor_PerClientAndIdleLimitsOutOfRange_ReportsBoth()
    {
        var ex = Assert.Throws<ArgumentException>(() => new TftpServer(
            new TftpServerOptions { Endpoint = new IPEndPoint(IPAddress.Loopback, 0), Root = _root.Path, MaxTransfersPerClient = 0, MaxIdleSeconds = 0 },
            NullLogger<TftpServer>.Instance));
        Assert.Contains("MaxTransfersPerClient", ex.Message);
        Assert.Contains("MaxIdleSeconds", ex.Message);
    }

    [Fact]
    public void Options_Defaults_32TransfersPerClientAnd30SecondsIdle()
    {
        var options = new TftpServerOptions();
        Assert.Equal(32, options.MaxTransfersPerClient);
        Assert.Equal(30, options.MaxIdleSeconds);
    }
}

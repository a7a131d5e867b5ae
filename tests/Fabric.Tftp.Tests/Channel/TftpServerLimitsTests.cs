using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Fabric.Tftp.Commands;
using Fabric.Tftp.Tests.Commands;
using Fabric.Tftp.Tests.Files;
using Microsoft.Extensions.Logging.Abstractions;
using Xunit.Abstractions;

namespace Fabric.Tftp.Tests.Channel;

/// <summary>What one client address can take from the server: transfer slots, memory, and time.
/// Alone in its collection, so the heap it measures holds nothing from other tests running beside it.</summary>
[Collection(nameof(TftpServerLimitsTests))]
public sealed class TftpServerLimitsTests(ITestOutputHelper output) : IAsyncLifetime
{
    private static readonly IPAddress OtherHost = IPAddress.Parse("127.0.0.2");
    private readonly TempRoot _root = new();
    private TftpServer _server = null!;

    private IPEndPoint Endpoint => _server.LocalEndPoint!;

    private async Task StartAsync(TftpServerOptions options)
    {
        options = options with { Endpoint = new IPEndPoint(IPAddress.Loopback, 0), Root = _root.Path };
        _server = new TftpServer(options, NullLogger<TftpServer>.Instance);
        await _server.StartAsync();
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }

        _root.Dispose();
    }

    private static async Task WaitFor(Func<bool> condition, int timeoutMs = 20000)
    {
        var until = DateTime.UtcNow.AddMilliseconds(timeoutMs);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < until, "condition not reached in time");
            await Task.Delay(20);
        }
    }

    private static byte[] NetasciiRrq(string file) => Packets.Request(1, file, "netascii");

    [Fact]
    public async Task ReadRequest_BeyondMaxTransfersPerClient_ErrorPacketCountedOtherHostServed()
    {
        long limited = 0;
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == "Fabric.Tftp" && instrument.Name == "tftp.requests.client_limited")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((_, value, _, _) => Interlocked.Add(ref limited, value));
        listener.Start();
        await StartAsync(new TftpServerOptions { MaxTransfersPerClient = 2, RetransmitTimeout = TimeSpan.FromSeconds(5) });
        var content = Encoding.ASCII.GetBytes(new string('x', 3000));
        _root.Write("f.bin", content);

        using var first = new RawClient();
        using var second = new RawClient();
        using var third = new RawClient();
        first.Send(Packets.Rrq("f.bin"), Endpoint);
        Assert.Null(RawClient.AsError(first.Receive()!.Value.Data));
        second.Send(Packets.Rrq("f.bin"), Endpoint);
        Assert.Null(RawClient.AsError(second.Receive()!.Value.Data));
        third.Send(Packets.Rrq("f.bin"), Endpoint);
        var refused = third.Receive()!.Value;
        using var other = new RawClient(OtherHost);
        var downloaded = other.Get(Endpoint, "f.bin");

        var error = RawClient.AsError(refused.Data);
        Assert.NotNull(error);
        Assert.Equal(TftpErrorCode.NotDefined, error.Value.Code);
        Assert.Contains("too many transfers", error.Value.Message, StringComparison.Ordinal);
        Assert.Equal(Endpoint, refused.From);
        Assert.Equal(content, downloaded);
        Assert.Equal(1, Interlocked.Read(ref limited));
    }

    [Fact]
    public async Task SilentClient_AskedTimeout255_DroppedAfterMaxIdleSeconds()
    {
        await StartAsync(new TftpServerOptions { MaxIdleSeconds = 1, MaxTransfersPerClient = 1 });
        _root.Write("f.bin", new byte[2000]);
        using var client = new RawClient();
        client.Send(Packets.Rrq("f.bin", "timeout", "255"), Endpoint);
        var oack = client.Receive()!.Value;
        Assert.Equal((byte)TftpOpcode.OptionAck, oack.Data[1]);
        Assert.Equal(1, _server.ActiveTransfers);

        // The client asked the server to wait 255 s between retransmissions; the server lets go after 1 s of silence.
        await WaitFor(() => _server.ActiveTransfers == 0, timeoutMs: 15000);

        // Its slot is free again: the same address can start a new transfer.
        using var again = new RawClient();
        Assert.Equal(new byte[2000], again.Get(Endpoint, "f.bin"));
    }

    [Fact]
    public async Task NetasciiFlood_ThousandRequestsFor10MiB_HeapBoundedAndOtherHostStartsWithinOneSecond()
    {
        var line = Encoding.ASCII.GetBytes(new string('a', 63) + "\n");
        var text = new byte[10 << 20];
        for (int i = 0; i < text.Length; i += line.Length)
        {
            line.CopyTo(text, i);
        }

        _root.Write("big.txt", text);
        _root.Write("small.bin", new byte[100]);
        text = null!;
        await StartAsync(new TftpServerOptions());
        long before = GC.GetTotalMemory(forceFullCollection: true);

        var flood = new List<Socket>(1000);
        try
        {
            for (int i = 0; i < 1000; i++)
            {
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
                flood.Add(socket);
                socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
                socket.SendTo(NetasciiRrq("big.txt"), Endpoint);
            }

            // Another host asks for a file while the server works through the flood.
            using var other = new RawClient(OtherHost);
            var clock = Stopwatch.StartNew();
            other.Send(Packets.Rrq("small.bin"), Endpoint);
            var first = other.Receive(10_000);
            var startedIn = clock.Elapsed;

            int data = 0, refused = 0;
            var buffer = new byte[2048];
            foreach (var socket in flood)
            {
                socket.ReceiveTimeout = 20_000;
                int n = socket.Receive(buffer);
                if (RawClient.AsError(buffer[..n]) is { } error)
                {
                    Assert.Contains("too many transfers", error.Message, StringComparison.Ordinal);
                    refused++;
                }
                else
                {
                    Assert.Equal((byte)TftpOpcode.Data, buffer[1]);
                    data++;
                }
            }

            long grown = GC.GetTotalMemory(forceFullCollection: true) - before;
            output.WriteLine($"other host's first DATA after {startedIn.TotalMilliseconds:F0} ms; heap grew {grown >> 20} MiB; {data} transfers, {refused} refused");

            Assert.NotNull(first);
            Assert.Equal((byte)TftpOpcode.Data, first.Value.Data[1]);
            Assert.True(startedIn < TimeSpan.FromSeconds(1), $"the other host's download started after {startedIn.TotalMilliseconds:F0} ms");
            Assert.Equal(32, data);
            Assert.Equal(968, refused);
            Assert.True(grown < 100L << 20, $"the managed heap grew by {grown >> 20} MiB");
        }
        finally
        {
            foreach (var socket in flood)
            {
                socket.Dispose();
            }
        }
    }
}

[CollectionDefinition(nameof(TftpServerLimitsTests), DisableParallelization = true)]
public sealed class TftpServerLimitsCollection;

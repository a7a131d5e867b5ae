using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Fabric.Core;
using Fabric.Dhcp.Server.Io;

namespace Fabric.Dhcp.Tests.Server.Io;

/// <summary>Both channels against real UDP sockets on 127.0.0.1 (port 0): batches in, batches out, a kernel that
/// takes only part of a send batch, a datagram it refuses, a datagram larger than a slot.</summary>
public sealed class DatagramChannelTests : IDisposable
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(20);
    private readonly Socket _server = Bound();
    private readonly Socket _peer = Bound();

    private static Socket Bound()
    {
        var s = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        s.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return s;
    }

    private static int PortOf(Socket s) => ((IPEndPoint)s.LocalEndPoint!).Port;

    private static readonly int[] AllButFourth = [0, 1, 2, 3, 5, 6, 7];

    private static readonly uint Loopback = Ipv4.ToUInt32(IPAddress.Loopback);

    public static TheoryData<bool> Channels => new() { false, true };

    private IDatagramChannel Channel(bool portable, LinuxSocketCalls.SendManyFn? sendMany = null)
    {
        if (portable || !LinuxDatagramChannel.IsSupported)
        {
            return new SocketDatagramChannel(_server);
        }

        return new LinuxDatagramChannel(_server, sendMany);
    }

    private void SendFromPeer(int count, int size = 300)
    {
        for (int i = 0; i < count; i++)
        {
            var bytes = new byte[size];
            bytes[0] = (byte)i;
            _peer.SendTo(bytes, new IPEndPoint(IPAddress.Loopback, PortOf(_server)));
        }
    }

    // Loopback delivers within the send call, unless the kernel defers it to ksoftirqd on a busy machine: a short pause
    // lets those land too before the channel is asked for them.
    private void Settle() => Assert.True(SpinWait.SpinUntil(() => _server.Poll(0, SelectMode.SelectRead), Wait) && Pause());

    private static bool Pause()
    {
        Thread.Sleep(200);
        return true;
    }

    private static int ReceiveAtLeast(IDatagramChannel channel, DatagramBatch batch, int count, List<byte> firsts, List<int> batchSizes)
    {
        var until = DateTime.UtcNow + Wait;
        int total = 0;
        while (total < count && DateTime.UtcNow < until)
        {
            int n = channel.Receive(batch);
            if (n > 0)
            {
                batchSizes.Add(n);
            }

            for (int i = 0; i < n; i++)
            {
                firsts.Add(batch.Datagram(i)[0]);
            }

            total += n;
        }

        return total;
    }

    [Theory]
    [MemberData(nameof(Channels))]
    public void Receive_SeveralQueued_TakenTogetherInOrderWithTheirSource(bool portable)
    {
        using var channel = Channel(portable);
        using var batch = new DatagramBatch(64, 4096);
        SendFromPeer(10);
        Settle();

        int n = channel.Receive(batch);

        // On loopback the datagrams are queued by the time the sends return, so one call takes several.
        Assert.InRange(n, 2, 10);
        var firsts = new List<byte>();
        for (int i = 0; i < n; i++)
        {
            Assert.Equal(300, batch.Datagram(i).Length);
            Assert.Equal(Loopback, batch.Address(i));
            Assert.Equal(PortOf(_peer), batch.Port(i));
            Assert.False(batch.Truncated(i));
            firsts.Add(batch.Datagram(i)[0]);
        }

        Assert.Equal(10, n + ReceiveAtLeast(channel, batch, 10 - n, firsts, []));
        Assert.Equal(Enumerable.Range(0, 10).Select(i => (byte)i), firsts);
    }

    [Theory]
    [MemberData(nameof(Channels))]
    public void Receive_MoreQueuedThanCapacity_NextReceivesTakeTheRest(bool portable)
    {
        using var channel = Channel(portable);
        using var batch = new DatagramBatch(4, 4096);
        SendFromPeer(10);
        Settle();

        var firsts = new List<byte>();
        var sizes = new List<int>();
        int total = ReceiveAtLeast(channel, batch, 10, firsts, sizes);

        Assert.Equal(10, total);
        Assert.Equal(4, sizes[0]);
        Assert.All(sizes, s => Assert.InRange(s, 1, 4));
        Assert.Equal(Enumerable.Range(0, 10).Select(i => (byte)i), firsts);
    }

    [Theory]
    [MemberData(nameof(Channels))]
    public void Receive_NothingQueued_ReturnsZero(bool portable)
    {
        using var channel = Channel(portable);
        using var batch = new DatagramBatch(8, 4096);

        Assert.Equal(0, channel.Receive(batch));
        Assert.Equal(0, batch.Count);
    }

    [Fact]
    public async Task Receive_SocketShutDownWhileWaiting_DisposedNotAnEmptyDatagram()
    {
        Assert.True(LinuxDatagramChannel.IsSupported, "recvmmsg/sendmmsg are Linux (x86-64, arm64) calls");
        using var channel = Channel(portable: false);
        using var batch = new DatagramBatch(8, 4096);
        // As the server does: a receive that saw no traffic for a while returns 0 and is called again, so the shutdown
        // below is seen however late it comes on a busy machine.
        var receiving = Task.Run(() =>
        {
            while (channel.Receive(batch) == 0)
            {
            }
        });
        await Task.Delay(100);

        // What Socket.Dispose does to wake a blocked receive; the kernel then reports a zero-length read with no sender.
        // Linux shuts an unconnected UDP socket down and still answers ENOTCONN.
        var error = Record.Exception(() => _server.Shutdown(SocketShutdown.Both));
        Assert.True(error is null or SocketException { SocketErrorCode: SocketError.NotConnected }, error?.ToString());

        await Assert.ThrowsAsync<ObjectDisposedException>(() => receiving.WaitAsync(Wait));
        Assert.Equal(0, batch.Count);
    }

    [Theory]
    [MemberData(nameof(Channels))]
    public void Receive_DatagramLargerThanSlot_MarkedTruncated(bool portable)
    {
        using var channel = Channel(portable);
        using var batch = new DatagramBatch(8, 1024);
        SendFromPeer(1, size: 2000);
        Settle();

        Assert.Equal(1, channel.Receive(batch));
        Assert.True(batch.Truncated(0));
    }

    [Theory]
    [MemberData(nameof(Channels))]
    public void Send_Batch_EveryDatagramArrivesInOrder(bool portable)
    {
        using var channel = Channel(portable);
        using var batch = Fill(12);

        Assert.Equal(12, channel.Send(batch));

        Assert.Equal(Enumerable.Range(0, 12).Select(i => (byte)i), ReceiveAtPeer(12));
    }

    [Fact]
    public unsafe void Send_KernelTakesOnlyPart_RestSentInLaterCalls()
    {
        Assert.True(LinuxDatagramChannel.IsSupported, "recvmmsg/sendmmsg are Linux (x86-64, arm64) calls");
        var offered = new List<uint>();
        // The real sendmmsg, but taking at most 3 datagrams a call, as a kernel with a nearly full buffer does.
        using var channel = Channel(portable: false, (fd, messages, count, flags) =>
        {
            offered.Add(count);
            return LinuxSocketCalls.SendMany(fd, messages, Math.Min(count, 3u), flags);
        });
        using var batch = Fill(10);

        Assert.Equal(10, channel.Send(batch));

        Assert.Equal([10u, 7u, 4u, 1u], offered);
        Assert.Equal(Enumerable.Range(0, 10).Select(i => (byte)i), ReceiveAtPeer(10));
        Assert.All(Enumerable.Range(0, 10), i => Assert.Equal(0, batch.Error(i)));
    }

    [Fact]
    public unsafe void Send_KernelRefusesOne_MarkedAndTheOthersSent()
    {
        Assert.True(LinuxDatagramChannel.IsSupported, "recvmmsg/sendmmsg are Linux (x86-64, arm64) calls");
        const int ENETUNREACH = 101;
        int calls = 0;
        // Takes 4, then refuses the 5th (errno for the first message of a call), then takes the rest.
        using var channel = Channel(portable: false, (fd, messages, count, flags) =>
        {
            calls++;
            if (calls == 2)
            {
                Marshal.SetLastPInvokeError(ENETUNREACH);
                return -1;
            }

            return LinuxSocketCalls.SendMany(fd, messages, calls == 1 ? 4u : count, flags);
        });
        using var batch = Fill(8);

        Assert.Equal(7, channel.Send(batch));

        Assert.Equal(ENETUNREACH, batch.Error(4));
        Assert.All(AllButFourth, i => Assert.Equal(0, batch.Error(i)));
        Assert.Equal(AllButFourth.Select(i => (byte)i), ReceiveAtPeer(7));
    }

    private DatagramBatch Fill(int count)
    {
        var batch = new DatagramBatch(64, 1500);
        for (int i = 0; i < count; i++)
        {
            var slot = batch.Next();
            slot[..250].Fill(0xab);
            slot[0] = (byte)i;
            batch.Commit(250, Loopback, PortOf(_peer));
        }

        return batch;
    }

    private List<byte> ReceiveAtPeer(int count)
    {
        _peer.ReceiveTimeout = (int)Wait.TotalMilliseconds;
        var got = new List<byte>();
        var buffer = new byte[2048];
        for (int i = 0; i < count; i++)
        {
            int n = _peer.Receive(buffer);
            Assert.Equal(250, n);
            got.Add(buffer[0]);
        }

        return got;
    }

    public void Dispose()
    {
        _server.Dispose();
        _peer.Dispose();
    }
}

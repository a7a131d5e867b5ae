using System.Buffers.Binary;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Fabric.Tftp;
using Microsoft.Extensions.Logging.Abstractions;

namespace Fabric.Integration.Tftp;

/// <summary>Hostile and malformed datagrams from a raw UDP socket: each gets an error or is ignored, and the server keeps serving.</summary>
[Collection("tftp")]
public sealed class TftpBadInputTests(TftpServerFixture fixture)
{
    private static byte[] Datagram(ushort opcode, params string[] fields)
    {
        var bytes = new List<byte> { (byte)(opcode >> 8), (byte)opcode };
        foreach (var field in fields)
        {
            bytes.AddRange(Encoding.ASCII.GetBytes(field));
            bytes.Add(0);
        }

        return [.. bytes];
    }

    private static byte[] Rrq(params string[] options) => Datagram(1, ["m1.bin", "octet", .. options]);

    // expect: "error N", "data512" (options ignored: plain RFC 1350), "oack:<text>", or "none".
    public static TheoryData<string, byte[], string> Cases() => new()
    {
        { "filename over 512 bytes", Datagram(1, new string('a', 600), "octet"), "error 4" },
        { "no NUL after filename", [0, 1, (byte)'m', (byte)'1'], "error 4" },
        { "no NUL after mode", [0, 1, (byte)'a', 0, (byte)'o', (byte)'c', (byte)'t', (byte)'e', (byte)'t'], "error 4" },
        { "bogus mode", Datagram(1, "m1.bin", "mail"), "error 4" },
        { "blksize 0", Rrq("blksize", "0"), "data512" },
        { "blksize 7", Rrq("blksize", "7"), "data512" },
        { "blksize 65465", Rrq("blksize", "65465"), "data512" },
        { "blksize 65536", Rrq("blksize", "65536"), "data512" },
        { "blksize text", Rrq("blksize", "big"), "data512" },
        { "tsize negative", Rrq("tsize", "-1"), "data512" },
        { "timeout 0", Rrq("timeout", "0"), "data512" },
        { "timeout 256", Rrq("timeout", "256"), "data512" },
        { "windowsize beyond 65535", Rrq("windowsize", "99999999"), "data512" },
        { "huge windowsize", Rrq("windowsize", "60000"), "oack:windowsize\064" },
        { "duplicate option", Rrq("blksize", "1468", "blksize", "512"), "error 8" },
        { "valueless option", Rrq("blksize"), "error 8" },
        { "write request", Datagram(2, "new.bin", "octet"), "error 2" },
        { "traversal", Datagram(1, "../../../etc/passwd", "octet"), "error 2" },
        { "missing file", Datagram(1, "nope", "octet"), "error 1" },
        { "ERROR of 3 bytes", [0, 5, 0], "none" },
        { "ERROR without NUL", [0, 5, 0, 1, (byte)'x'], "none" },
        { "ACK to the request port", [0, 4, 0, 1], "none" },
        { "DATA to the request port", [0, 3, 0, 1, 1, 2, 3], "none" },
        { "OACK to the request port", Datagram(6, "blksize", "8"), "none" },
        { "unknown opcode", [0, 99, 1, 2, 3], "none" },
        { "empty datagram", [], "none" },
        { "one byte", [1], "none" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task BadInput_AnsweredOrIgnored_ServerKeepsServing(string name, byte[] datagram, string expect)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        socket.ReceiveTimeout = expect == "none" ? 300 : 3000;
        socket.SendTo(datagram, new IPEndPoint(IPAddress.Loopback, fixture.Port));
        var buffer = new byte[2048];
        int n;
        try
        {
            n = socket.Receive(buffer);
        }
        catch (SocketException ex) when (ex.SocketErrorCode is SocketError.TimedOut or SocketError.WouldBlock)
        {
            n = -1;
        }

        var reply = n < 0 ? null : buffer[..n];
        if (expect == "none")
        {
            Assert.True(reply is null, $"{name}: expected no reply");
        }
        else
        {
            Assert.True(reply is not null, $"{name}: expected a reply");
            ushort opcode = BinaryPrimitives.ReadUInt16BigEndian(reply);
            if (expect.StartsWith("error ", StringComparison.Ordinal))
            {
                Assert.Equal(5, opcode);
                Assert.Equal(int.Parse(expect[6..]), BinaryPrimitives.ReadUInt16BigEndian(reply.AsSpan(2)));
            }
            else if (expect == "data512")
            {
                Assert.Equal(3, opcode);
                Assert.Equal(516, reply.Length);
            }
            else
            {
                Assert.Equal(6, opcode);
                Assert.Contains(expect[5..], Encoding.ASCII.GetString(reply));
            }
        }

        await fixture.AssertGoodTransferAsync();
    }

    [Fact]
    public async Task MalformedErrorToTransferId_TransferCompletes()
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        socket.ReceiveTimeout = 3000;
        socket.SendTo(Datagram(1, "b1468x3.bin", "octet"), new IPEndPoint(IPAddress.Loopback, fixture.Port));
        var buffer = new byte[2048];
        EndPoint from = new IPEndPoint(IPAddress.Any, 0);
        var received = new MemoryStream();
        ushort block = 1;
        while (true)
        {
            int n = socket.ReceiveFrom(buffer, ref from);
            Assert.Equal(3, BinaryPrimitives.ReadUInt16BigEndian(buffer));
            Assert.Equal(block, BinaryPrimitives.ReadUInt16BigEndian(buffer.AsSpan(2)));
            received.Write(buffer, 4, n - 4);
            socket.SendTo(new byte[] { 0, 5, 0 }, from);
            socket.SendTo(new byte[] { 0, 5, 0, 1, (byte)'x' }, from);
            socket.SendTo(new byte[] { 0, 4, (byte)(block >> 8), (byte)block }, from);
            if (n - 4 < 512)
            {
                break;
            }

            block++;
        }

        Assert.Equal(fixture.Files.Hash("b1468x3.bin"), Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(received.ToArray())));
    }

    [Fact]
    public async Task Flood_10000RequestsThatNeverAck_StaysBoundedAndServesGoodClient()
    {
        const int limit = 64;
        await using var server = new TftpServer(
            new TftpServerOptions
            {
                Endpoint = new IPEndPoint(IPAddress.Loopback, 0),
                Root = fixture.Files.Root,
                MaxTransfers = limit,
                RetransmitTimeout = TimeSpan.FromMilliseconds(500),
                MaxRetries = 2,
            },
            NullLogger<TftpServer>.Instance);
        await server.StartAsync();
        int fdsBefore = Directory.GetFiles("/proc/self/fd").Length;
        long memoryBefore = Process.GetCurrentProcess().WorkingSet64;
        int maxActive = 0;
        using var sampling = new CancellationTokenSource();
        var sampler = Task.Run(async () =>
        {
            while (!sampling.IsCancellationRequested)
            {
                maxActive = Math.Max(maxActive, server.ActiveTransfers);
                await Task.Delay(1);
            }
        });

        using (var flood = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp))
        {
            flood.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            var rrq = Datagram(1, "m1.bin", "octet", "blksize", "1468");
            var to = new IPEndPoint(IPAddress.Loopback, server.LocalEndPoint!.Port);
            for (int i = 0; i < 10_000; i++)
            {
                flood.SendTo(rrq, to);
                if (i % 500 == 0)
                {
                    await Task.Yield();
                }
            }

            int fdsDuring = Directory.GetFiles("/proc/self/fd").Length;
            Assert.True(fdsDuring - fdsBefore <= limit + 16, $"file descriptors grew by {fdsDuring - fdsBefore}");
            await fixture.AssertGoodTransferAsync(server.LocalEndPoint.Port, "m1.bin");
        }

        var until = DateTime.UtcNow.AddSeconds(15);
        while (server.ActiveTransfers > 0 && DateTime.UtcNow < until)
        {
            await Task.Delay(50);
        }

        await sampling.CancelAsync();
        await sampler;
        Assert.True(maxActive <= limit, $"{maxActive} transfers at once");
        Assert.Equal(0, server.ActiveTransfers);
        long grown = Process.GetCurrentProcess().WorkingSet64 - memoryBefore;
        Assert.True(grown < 200L << 20, $"working set grew by {grown >> 20} MiB");
        await fixture.AssertGoodTransferAsync(server.LocalEndPoint.Port, "m1.bin");
    }
}

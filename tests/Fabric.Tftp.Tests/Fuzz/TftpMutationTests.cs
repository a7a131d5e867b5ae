using System.Diagnostics;
using Fabric.Tftp.Commands;
using Fabric.Tftp.Files;
using Fabric.Tftp.Tests.Commands;
using Fabric.Tftp.Tests.Transfer;
using Fabric.Tftp.Transfer;
using Microsoft.Extensions.Time.Testing;

namespace Fabric.Tftp.Tests.Fuzz;

/// <summary>
/// Seeded mutation testing: valid datagrams are mutated (bit flips, byte changes, insertions, deletions,
/// truncation, splices, random bytes) and pushed through every parser, option negotiation, path
/// normalisation and live transfer state machines. Any exception is a bug; an input that once threw is kept
/// below as a regression case.
/// </summary>
public class TftpMutationTests
{
    private const int Packets = 1_000_000;
    private static readonly TimeSpan TimeLimit = TimeSpan.FromMinutes(2);

    private sealed class NullChannel : ITransferChannel
    {
        public long Sent;

        public void Send(ReadOnlySpan<byte> datagram) => Sent += datagram.Length;
    }

    private static readonly byte[][] Seeds =
    [
        Commands.Packets.Rrq("pxelinux.0"),
        Commands.Packets.Rrq("boot/vmlinuz", "blksize", "1468", "tsize", "0", "timeout", "3", "windowsize", "16"),
        Commands.Packets.Request(1, "pxelinux.cfg/01-aa-bb-cc-dd-ee-ff", "netascii", "blksize", "65464"),
        Commands.Packets.Request(2, "upload.bin", "octet", "tsize", "1234"),
        Commands.Packets.Rrq("..\\..\\etc/passwd", "windowsize", "64"),
        Commands.Packets.Ack(0),
        Commands.Packets.Ack(1),
        Commands.Packets.Ack(65535),
        Commands.Packets.Error(8, "option refused"),
        [0, 3, 0, 1, 1, 2, 3, 4],
        [0, 6, .. "blksize"u8, 0, .. "1468"u8, 0],
    ];

    /// <summary>Runs one datagram through everything that parses or reacts to datagrams.</summary>
    private static void Exercise(byte[] datagram, ReadTransfer transfer, Random random)
    {
        if (TftpRequest.TryParse(datagram, out var request, out _))
        {
            TftpOptionNegotiator.Negotiate(request!.Options, random.Next(-1, 100_000), new TftpNegotiationLimits(random.Next(8, 65465), random.Next(1, 65536)));
            TftpPathNormalizer.TryNormalize(request.Filename, out _, out _);
            Span<byte> buffer = stackalloc byte[700];
            request.TryWrite(buffer, out _);
        }

        // Only that parsing does not throw matters here; whether the datagram parses is the mutation's business.
        _ = TftpAck.TryParse(datagram, out _);
        _ = TftpData.TryParse(datagram, out _);
        if (TftpError.TryParse(datagram, out var error))
        {
            Span<byte> buffer = stackalloc byte[300];
            error.TryWrite(buffer, out _);
        }

        _ = TftpOptionAck.TryParse(datagram, out _);
        transfer.OnDatagram(datagram);
    }

    private static byte[] Mutate(Random random)
    {
        var seed = Seeds[random.Next(Seeds.Length)];
        var bytes = new List<byte>(seed);
        int rounds = random.Next(1, 5);
        for (int r = 0; r < rounds; r++)
        {
            switch (random.Next(9))
            {
                case 0 when bytes.Count > 0:
                    bytes[random.Next(bytes.Count)] ^= (byte)(1 << random.Next(8));
                    break;
                case 1 when bytes.Count > 0:
                    bytes[random.Next(bytes.Count)] = (byte)random.Next(256);
                    break;
                case 2:
                    bytes.Insert(random.Next(bytes.Count + 1), (byte)random.Next(256));
                    break;
                case 3 when bytes.Count > 0:
                    bytes.RemoveAt(random.Next(bytes.Count));
                    break;
                case 4:
                    bytes.RemoveRange(random.Next(bytes.Count + 1) is var at ? at : 0, bytes.Count - at);
                    break;
                case 5:
                    bytes.Insert(random.Next(bytes.Count + 1), 0);
                    break;
                case 6:
                    var other = Seeds[random.Next(Seeds.Length)];
                    int from = random.Next(other.Length);
                    bytes.InsertRange(random.Next(bytes.Count + 1), other[from..]);
                    break;
                case 7:
                    var noise = new byte[random.Next(0, 600)];
                    random.NextBytes(noise);
                    bytes = [.. noise];
                    break;
                default:
                    bytes.InsertRange(random.Next(bytes.Count + 1), System.Text.Encoding.ASCII.GetBytes(random.Next().ToString()));
                    break;
            }
        }

        return [.. bytes];
    }

    private static ReadTransfer NewTransfer(Random random, FakeTimeProvider clock, NullChannel channel)
    {
        var content = new byte[random.Next(0, 6000)];
        var options = random.Next(3) == 0
            ? TftpNegotiatedOptions.Default
            : new TftpNegotiatedOptions(random.Next(8, 1469), random.Next(1, 9), null, [new("blksize", "x")]);
        var transfer = new ReadTransfer(new MemoryContent(content), options, channel, clock, TimeSpan.FromSeconds(1), 3);
        transfer.Start();
        return transfer;
    }

    [Fact]
    public void Mutations_OneMillionPackets_NoUnhandledException()
    {
        var random = new Random(20261121);
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var channel = new NullChannel();
        var transfer = NewTransfer(random, clock, channel);
        ushort nextAck = 0;
        var stopwatch = Stopwatch.StartNew();
        int count = 0;
        for (; count < Packets && stopwatch.Elapsed < TimeLimit; count++)
        {
            // Mostly mutated datagrams; sometimes a correct ACK so transfers make progress and finish.
            byte[] datagram = random.Next(4) == 0 ? Commands.Packets.Ack(nextAck++) : Mutate(random);
            try
            {
                Exercise(datagram, transfer, random);
                if (random.Next(50) == 0)
                {
                    clock.Advance(TimeSpan.FromMilliseconds(random.Next(0, 1500)));
                    transfer.OnTimer();
                }
            }
            catch (Exception ex)
            {
                Assert.Fail($"packet {count} threw {ex.GetType().Name}: {ex.Message}\ninput: {Convert.ToHexString(datagram)}\n{ex.StackTrace}");
            }

            if (transfer.State != TransferState.Running)
            {
                transfer.Dispose();
                transfer = NewTransfer(random, clock, channel);
                nextAck = 0;
            }
        }

        transfer.Dispose();
        Assert.True(count >= Packets, $"only {count} packets in {TimeLimit}");
        Assert.True(channel.Sent > 0);
    }

    /// <summary>Inputs kept from mutation runs and from hand review: none may throw.</summary>
    [Theory]
    [InlineData("0001")]
    [InlineData("000100")]
    [InlineData("00010000")]
    [InlineData("0001610000")]
    [InlineData("000161006F6374657400626C6B73697A65")]
    [InlineData("000161006F6374657400626C6B73697A6500")]
    [InlineData("000161006F6374657400626C6B73697A650039393939393939393939393900")]
    [InlineData("000161006F6374657400000000")]
    [InlineData("0005")]
    [InlineData("000500")]
    [InlineData("00050001")]
    [InlineData("0006")]
    [InlineData("000600")]
    [InlineData("0004")]
    [InlineData("0003FFFF")]
    [InlineData("FFFF0000")]
    public void Regression_KnownHostileInputs_DoNotThrow(string hex)
    {
        var random = new Random(1);
        var channel = new NullChannel();
        using var transfer = NewTransfer(random, new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero)), channel);
        Exercise(Convert.FromHexString(hex), transfer, random);
    }
}

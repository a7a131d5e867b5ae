using System.Diagnostics;
using Fabric.Dhcp.Handlers;
using Fabric.Dhcp.Protocol;

namespace Fabric.Dhcp.Tests.Handlers;

/// <summary>Seeded mutation testing of the parser and the whole handler chain: every datagram must be
/// either rejected with a reason or handled, never throw. Any crash found is kept below as a byte-array
/// regression test.</summary>
public class MutationTests
{
    private const int Packets = 1_000_000;
    private static readonly TimeSpan Budget = TimeSpan.FromSeconds(150);

    private static byte[][] Corpus()
    {
        byte[] node = ChainHarness.NodeMac.ToBytes();
        byte[] server = [10, 9, 0, 1];
        var overload = new Wire().Type(1).Opt(52, 3);
        overload.Header(108, [12, 3, (byte)'a', (byte)'b', (byte)'c', 255]);
        overload.Header(44, [60, 2, (byte)'v', (byte)'c', 255]);
        return
        [
            new Wire(node).Type(1).Opt(55, 1, 3, 6, 66, 67).Opt(57, 5, 0xdc).Opt(61, 1, 0x52, 0x54, 0, 0, 0, 1).Bytes(),
            new Wire(node).Type(3).Opt(50, 10, 9, 0, 20).Opt(54, server).Opt(12, Wire.Ascii("hnode01")).Bytes(),
            new Wire().Type(1).Opt(60, Wire.Ascii("PXEClient:Arch:00007:UNDI:003016")).Opt(93, 0, 7).Opt(94, 1, 3, 16).Bytes(),
            new Wire().Type(1).Opt(77, Wire.Ascii("iPXE")).Opt(175, 177, 5, 1, 0, 0, 0, 1).Bytes(),
            new Wire().Giaddr(10, 50, 0, 1).Type(1).Opt(82, 1, 3, (byte)'e', (byte)'t', (byte)'h', 2, 1, 9).Bytes(),
            new Wire().Type(3).Ciaddr(10, 9, 0, 100).Bytes(),
            new Wire().Type(3).Opt(50, 10, 9, 0, 101).Bytes(),
            new Wire().Type(4).Opt(50, 10, 9, 0, 100).Opt(54, server).Bytes(),
            new Wire().Type(7).Ciaddr(10, 9, 0, 100).Opt(54, server).Bytes(),
            new Wire().Type(8).Ciaddr(10, 9, 0, 150).Bytes(),
            overload.Bytes(),
            new Wire().Type(1).Opt(43, Enumerable.Repeat((byte)1, 255).ToArray()).Opt(43, 1, 2, 3).Bytes(),
            new Wire().Type(1).Opt(60, Wire.Ascii("HTTPClient:Arch:00016:UNDI:003001")).Opt(93, 0, 16).Opt(97, new byte[17]).Bytes(),
        ];
    }

    private static byte[] Mutate(byte[] seed, Random rng)
    {
        var data = new List<byte>(seed);
        int count = 1 + rng.Next(4);
        for (int m = 0; m < count; m++)
        {
            // Mostly the options and the addresses, sometimes anywhere.
            int Pos() => data.Count == 0 ? 0 : (rng.Next(4) == 0 ? rng.Next(data.Count) : Math.Min(data.Count - 1, 236 + rng.Next(Math.Max(1, data.Count - 236))));
            switch (rng.Next(10))
            {
                case 0:
                    if (data.Count > 0)
                    {
                        int p = Pos();
                        data[p] ^= (byte)(1 << rng.Next(8));
                    }

                    break;
                case 1:
                    if (data.Count > 0)
                    {
                        data[Pos()] = (byte)rng.Next(256);
                    }

                    break;
                case 2:
                    if (data.Count > 0)
                    {
                        data[Pos()] = rng.Next(3) switch { 0 => 0, 1 => 255, _ => (byte)rng.Next(1, 20) };
                    }

                    break;
                case 3:
                    {
                        int cut = rng.Next(data.Count + 1);
                        data.RemoveRange(cut, data.Count - cut);
                        break;
                    }
                case 4:
                    {
                        int p = Math.Min(Pos(), data.Count);
                        var opt = new byte[2 + rng.Next(8)];
                        rng.NextBytes(opt);
                        opt[0] = (byte)new[] { 12, 50, 51, 52, 53, 54, 55, 57, 60, 61, 77, 82, 93, 97, 175, 0, 255 }[rng.Next(17)];
                        opt[1] = (byte)rng.Next(opt.Length);
                        data.InsertRange(p, opt);
                        break;
                    }

                case 5:
                    if (data.Count > 250)
                    {
                        int p = 240 + rng.Next(data.Count - 240);
                        int len = Math.Min(data.Count - p, 1 + rng.Next(12));
                        data.InsertRange(p, data.GetRange(p, len));
                    }

                    break;
                case 6:
                    {
                        var extra = new byte[rng.Next(64)];
                        rng.NextBytes(extra);
                        data.AddRange(extra);
                        break;
                    }

                case 7:
                    if (data.Count >= 34)
                    {
                        // Header fields: op, htype, hlen, hops, flags, addresses, chaddr.
                        int[] interesting = [0, 1, 2, 3, 10, 12, 15, 16, 20, 24, 27, 28, 33];
                        data[interesting[rng.Next(interesting.Length)]] = (byte)rng.Next(256);
                    }

                    break;
                case 8:
                    if (data.Count > 240)
                    {
                        data.RemoveAt(240 + rng.Next(data.Count - 240));
                    }

                    break;
                default:
                    if (data.Count >= 240 && rng.Next(2) == 0)
                    {
                        // The magic cookie stays valid most of the time so that options are exercised.
                        data[236] = 99;
                        data[237] = 130;
                        data[238] = 83;
                        data[239] = 99;
                    }

                    break;
            }
        }

        return [.. data];
    }

    private static int Feed(ChainHarness h, byte[] datagram, byte[] output)
    {
        if (!DhcpPacket.TryParse(datagram, out var request, out _))
        {
            return 0;
        }

        var pending = h.Pipeline.RunAsync(request, ChainHarness.Iface, ChainHarness.ClientSource, CancellationToken.None);
        var context = pending.IsCompletedSuccessfully ? pending.Result : pending.AsTask().GetAwaiter().GetResult();
        var reply = DhcpPipeline.BuildReply(context);
        if (reply is not null)
        {
            reply.TryWrite(output, out _, DhcpPipeline.MaxReplySize(request));
            return 2;
        }

        return 1;
    }

    [Fact]
    public void ParserAndChain_MillionMutatedPackets_NoUnhandledException()
    {
        var rng = new Random(20261121);
        var corpus = Corpus();
        var h = new ChainHarness();
        var output = new byte[1500];
        var clock = Stopwatch.StartNew();
        int done = 0;
        var outcomes = new int[3];
        for (; done < Packets && clock.Elapsed < Budget; done++)
        {
            var datagram = Mutate(corpus[rng.Next(corpus.Length)], rng);
            try
            {
                outcomes[Feed(h, datagram, output)]++;
            }
            catch (Exception ex)
            {
                Assert.Fail($"packet {done} crashed: {ex.GetType().Name}: {ex.Message}\nbytes: {Convert.ToHexString(datagram)}\n{ex.StackTrace}");
            }

            if (done % 5000 == 0)
            {
                h.Time.Advance(TimeSpan.FromSeconds(7));
            }
        }

        Assert.True(done >= Packets, $"only {done} packets within {Budget}");

        // The mutations must reach the chain, not just the parser's first checks.
        Assert.True(outcomes[1] + outcomes[2] > Packets / 5, $"parsed {outcomes[1] + outcomes[2]}");
        Assert.True(outcomes[2] > Packets / 20, $"answered {outcomes[2]}");
    }

    /// <summary>Datagrams that once crashed the parser or the chain.</summary>
    public static TheoryData<string> Regressions() => new()
    {
        // Placeholder kept in the form every future finding takes: a hex datagram.
        { Convert.ToHexString(new Wire().Type(1).Opt(52, 3).Header(108, 52, 1, 1, 255).Bytes()) },
    };

    [Theory]
    [MemberData(nameof(Regressions))]
    public void ParserAndChain_Regression_NoException(string hex)
    {
        Feed(new ChainHarness(), Convert.FromHexString(hex), new byte[1500]);
    }
}

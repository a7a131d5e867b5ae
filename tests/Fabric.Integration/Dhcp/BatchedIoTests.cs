using System.Text.RegularExpressions;

namespace Fabric.Integration.Dhcp;

/// <summary>Many clients at once against the server's two I/O paths (Fabric:Dhcp:BatchedIo: recvmmsg/sendmmsg, or
/// the portable ReceiveFrom/SendTo forced): perfdhcp's avalanche of relayed clients and a crowd of busybox udhcpc
/// clients, each on its own macvlan in the client namespace.</summary>
[Collection("dhcp-lab")]
public sealed partial class BatchedIoTests
{
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(90);

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Perfdhcp_AvalancheOf500Clients_EveryClientBoundOnceAndOnDisk(bool batched)
    {
        await using var lab = new DhcpLab("avalanche") { BatchedIo = batched };
        await lab.SetUpAsync();
        DhcpLab.Sh($"ip -n {lab.ClientNs} addr add 10.78.0.2/16 dev {DhcpLab.ClientIf}");
        await lab.StartServerAsync();
        await AssertIoPathAsync(lab, batched);

        // 500 relayed clients start at once; perfdhcp retransmits what is lost until every one has its lease.
        var (exit, output, err) = await DhcpLab.RunAsync(lab.ClientNs, Long, "perfdhcp",
            "-4", "-l", "10.78.0.2", "--scenario", "avalanche", "-R", "500", "-s", "11", "10.78.0.1");
        Assert.True(exit == 0, $"perfdhcp exit {exit}\n{output}{err}");
        Assert.Matches(TookRegex(), output);

        var rows = lab.ReadLeases();
        Assert.Equal(500, rows.Count(r => r.Value.State == "Bound"));
        Assert.Equal(rows.Count, rows.Values.Select(r => r.Mac).Distinct().Count());
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Udhcpc_TwentyClientsAtOnce_EachBoundToItsOwnAddress(bool batched)
    {
        const int clients = 20;
        await using var lab = new DhcpLab("crowd") { BatchedIo = batched };
        await lab.SetUpAsync();
        var macs = Enumerable.Range(1, clients).Select(i => $"52:54:00:aa:00:{i:x2}").ToList();
        for (int i = 0; i < clients; i++)
        {
            DhcpLab.Sh($"ip -n {lab.ClientNs} link add mv{i} link {DhcpLab.ClientIf} address {macs[i]} type macvlan mode bridge");
            DhcpLab.Sh($"ip -n {lab.ClientNs} link set mv{i} up");
        }

        await lab.StartServerAsync();
        var script = lab.WriteScript("udhcpc.sh", $$"""
            [ "$1" = bound ] && echo "$interface $ip" >> {{lab.Dir}}/bound.txt
            exit 0
            """);
        var runs = Enumerable.Range(0, clients).Select(i => DhcpLab.RunAsync(lab.ClientNs, Long, "udhcpc",
            "-i", $"mv{i}", "-f", "-q", "-n", "-s", script, "-t", "20", "-T", "1")).ToList();
        var results = await Task.WhenAll(runs);

        Assert.All(results, r => Assert.True(r.Exit == 0, r.Out + r.Err));
        var bound = File.ReadAllLines(Path.Combine(lab.Dir, "bound.txt")).Select(l => l.Split(' ')).ToDictionary(p => p[0], p => p[1]);
        Assert.Equal(clients, bound.Count);
        Assert.Equal(clients, bound.Values.Distinct().Count());
        var rows = lab.ReadLeases();
        for (int i = 0; i < clients; i++)
        {
            Assert.Equal((macs[i], "Bound"), rows[bound[$"mv{i}"]]);
        }
    }

    /// <summary>The server logs which I/O path it listens with; its logger writes in the background, so the line may
    /// come a moment after the host said it is ready.</summary>
    private static async Task AssertIoPathAsync(DhcpLab lab, bool batched)
    {
        var io = batched ? "(recvmmsg/sendmmsg)" : "(ReceiveFrom/SendTo)";
        bool Logged()
        {
            lock (lab.ServerLog)
            {
                return lab.ServerLog.ToString().Contains(io, StringComparison.Ordinal);
            }
        }

        Assert.True(await DhcpLab.WaitForAsync(Logged, TimeSpan.FromSeconds(10)), $"the server did not log {io}:\n{lab.ServerLog}");
    }

    [GeneratedRegex(@"took \d+:\d+:\d+", RegexOptions.CultureInvariant)]
    private static partial Regex TookRegex();
}

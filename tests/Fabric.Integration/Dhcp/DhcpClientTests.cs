using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;

namespace Fabric.Integration.Dhcp;

/// <summary>Fabric's DHCP server against real clients (busybox udhcpc, ISC dhclient, Kea's perfdhcp) in
/// namespaces the tests create. Needs root (CI runs as root).</summary>
[Collection("dhcp-lab")]
public sealed partial class DhcpClientTests
{
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(40);

    private static Dictionary<string, string> Section(string envFile, string evt)
    {
        var lines = File.ReadAllLines(envFile);
        int start = Array.FindLastIndex(lines, l => l == "== " + evt);
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        for (int i = start + 1; start >= 0 && i < lines.Length && !lines[i].StartsWith("== ", StringComparison.Ordinal); i++)
        {
            int eq = lines[i].IndexOf('=', StringComparison.Ordinal);
            if (eq > 0)
            {
                result[lines[i][..eq]] = lines[i][(eq + 1)..];
            }
        }

        return result;
    }

    private static void Signal(Process p, string signal) => DhcpLab.Sh($"kill -{signal} {p.Id}");

    [Fact]
    public async Task Udhcpc_ReservedMac_ReservedIpBootFileRenewReleaseAndReplyAddressing()
    {
        await using var lab = new DhcpLab("udhcpc");
        await lab.SetUpAsync();
        await lab.StartServerAsync();
        var capture = Path.Combine(lab.Dir, "cap.pcapng");
        var tshark = lab.Start(lab.ServerNs, "tshark", "-i", DhcpLab.ServerIf, "-f", "udp port 67 or udp port 68", "-w", capture, "-q");
        var capturing = new TaskCompletionSource();
        tshark.ErrorDataReceived += (_, e) =>
        {
            if (e.Data?.Contains("Capturing on", StringComparison.Ordinal) == true)
            {
                capturing.TrySetResult();
            }
        };
        tshark.BeginErrorReadLine();
        Assert.Same(capturing.Task, await Task.WhenAny(capturing.Task, Task.Delay(Long)));

        var env = Path.Combine(lab.Dir, "env.txt");
        var script = lab.WriteScript("udhcpc.sh", $$"""
            echo "== $1" >> {{env}}
            env | sort >> {{env}}
            case "$1" in
              bound|renew) ip addr replace "$ip/$subnet" dev "$interface" ;;
              deconfig) ip addr flush dev "$interface" ;;
            esac
            exit 0
            """);
        var udhcpc = lab.Start(lab.ClientNs, "udhcpc", "-i", DhcpLab.ClientIf, "-f", "-s", script, "-t", "10", "-T", "1",
            "-V", "PXEClient:Arch:00000:UNDI:002001", "-x", "0x5d:0000");
        Assert.True(await DhcpLab.WaitForAsync(() => File.Exists(env) && File.ReadAllText(env).Contains("== bound", StringComparison.Ordinal), Long), "no lease");

        var bound = Section(env, "bound");
        Assert.Equal("10.78.0.20", bound["ip"]);
        Assert.Equal("undionly.kpxe", bound["boot_file"]);
        Assert.Equal("10.78.0.1", bound["siaddr"]);
        Assert.Equal("10.78.0.1", bound["serverid"]);
        Assert.Equal("hnode01", bound["hostname"]);
        Assert.Equal("10.78.0.1", bound["router"]);
        Assert.Equal("3600", bound["lease"]);
        Assert.Equal(("52:54:00:00:00:01", "Bound"), lab.ReadLeases()["10.78.0.20"]);

        // Renew (SIGUSR1): a unicast REQUEST from ciaddr, answered by unicast.
        Signal(udhcpc, "USR1");
        Assert.True(await DhcpLab.WaitForAsync(() => File.ReadAllText(env).Contains("== renew", StringComparison.Ordinal), Long), "no renew");
        Assert.Equal("10.78.0.20", Section(env, "renew")["ip"]);

        // Release (SIGUSR2).
        Signal(udhcpc, "USR2");
        Assert.True(await DhcpLab.WaitForAsync(() => lab.ReadLeases()["10.78.0.20"].State == "Released", Long), "lease not released");

        await Task.Delay(500);
        Signal(tshark, "INT");
        await tshark.WaitForExitAsync();
        var (_, fields, err) = await RunInHostAsync("tshark", "-r", capture, "-Y", "dhcp", "-T", "fields", "-E", "separator=,",
            "-e", "ip.src", "-e", "ip.dst", "-e", "udp.dstport", "-e", "dhcp.option.dhcp", "-e", "dhcp.ip.client");
        var packets = fields.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split(',')).ToList();
        Assert.True(packets.Count >= 6, fields + err);
        var replies = packets.Where(p => p[0] == "10.78.0.1").ToList();

        // RFC 2131 4.1: OFFER and the first ACK (no ciaddr) broadcast; the renewal ACK (ciaddr set) unicast to ciaddr.
        Assert.All(replies.Where(p => p[3] == "2"), p => Assert.Equal(["255.255.255.255", "68"], p[1..3]));
        var acks = replies.Where(p => p[3] == "5").ToList();
        Assert.Equal(["255.255.255.255", "68"], acks[0][1..3]);
        Assert.Contains(acks, p => p[1] == "10.78.0.20" && p[2] == "68");
        Assert.Contains(packets, p => p[3] == "7" && p[2] == "67");
    }

    [Fact]
    public async Task Dhclient_ReservedPxeClient_LeaseFileReleaseAndInitReboot()
    {
        await using var lab = new DhcpLab("dhclient");
        await lab.SetUpAsync();
        await lab.StartServerAsync();
        var conf = Path.Combine(lab.Dir, "dhclient.conf");
        File.WriteAllText(conf, """
            option pxe-arch code 93 = unsigned integer 16;
            send vendor-class-identifier "PXEClient:Arch:00007:UNDI:003016";
            send pxe-arch 7;
            request subnet-mask, broadcast-address, routers, domain-name-servers, host-name;
            """);
        var leases = Path.Combine(lab.Dir, "dhclient.leases");
        var env = Path.Combine(lab.Dir, "denv.txt");
        var script = lab.WriteScript("dhclient.sh", $$"""
            echo "== $reason" >> {{env}}
            env | sort >> {{env}}
            case "$reason" in
              BOUND|RENEW|REBIND|REBOOT) ip addr replace "$new_ip_address/$new_subnet_mask" dev "$interface" ;;
              RELEASE|EXPIRE|STOP) ip addr flush dev "$interface" ;;
            esac
            exit 0
            """);
        string[] common = ["-4", "-cf", conf, "-sf", script, "-lf", leases, "-pf", Path.Combine(lab.Dir, "dhclient.pid"), DhcpLab.ClientIf];
        var (exit, _, err) = await DhcpLab.RunAsync(lab.ClientNs, Long, "dhclient", ["-1", "-v", .. common]);
        Assert.True(exit == 0, err);
        var leaseText = File.ReadAllText(leases);
        Assert.Contains("fixed-address 10.78.0.20;", leaseText, StringComparison.Ordinal);
        Assert.Contains("filename \"ipxe.efi\";", leaseText, StringComparison.Ordinal);
        Assert.Contains("option host-name \"hnode01\";", leaseText, StringComparison.Ordinal);
        Assert.Contains("option vendor-class-identifier \"PXEClient\";", leaseText, StringComparison.Ordinal);
        Assert.Equal("10.78.0.1", Section(env, "BOUND")["new_next_server"]);

        // Stopped without release and started again with its lease file, dhclient asks for its old address
        // straight away (INIT-REBOOT) and gets it.
        (exit, _, err) = await DhcpLab.RunAsync(lab.ClientNs, Long, "dhclient", ["-x", .. common]);
        Assert.True(exit == 0, err);
        (exit, _, err) = await DhcpLab.RunAsync(lab.ClientNs, Long, "dhclient", ["-1", "-v", .. common]);
        Assert.True(exit == 0, err);
        Assert.Contains("DHCPACK of 10.78.0.20", err, StringComparison.Ordinal);
        Assert.DoesNotContain("DHCPDISCOVER", err, StringComparison.Ordinal);
        Assert.Equal("REBOOT", File.ReadAllLines(env).Last(l => l.StartsWith("== ", StringComparison.Ordinal))[3..]);

        (exit, _, err) = await DhcpLab.RunAsync(lab.ClientNs, Long, "dhclient", ["-r", "-v", .. common]);
        Assert.True(exit == 0, err);
        Assert.True(await DhcpLab.WaitForAsync(() => lab.ReadLeases()["10.78.0.20"].State == "Released", Long), "not released");
    }

    [Fact]
    public async Task Dhclient_InitRebootWithLeaseFromElsewhere_ServerSilentThenDiscover()
    {
        // dhclient remembers 10.78.5.5 from a lease this server never gave: it asks for it in INIT-REBOOT.
        // RFC 2131 4.3.2: with no record of the client the server stays silent; the client then falls back to
        // DISCOVER, and nothing is bound without the server's own OFFER.
        await using var lab = new DhcpLab("initreboot");
        await lab.SetUpAsync(clientMac: "52:54:00:77:00:01");
        await lab.StartServerAsync();
        var conf = Path.Combine(lab.Dir, "dhclient.conf");
        File.WriteAllText(conf, """
            reboot 3;
            request subnet-mask, broadcast-address, routers;
            """);
        var leases = Path.Combine(lab.Dir, "dhclient.leases");
        File.WriteAllText(leases, $$"""
            lease {
              interface "{{DhcpLab.ClientIf}}";
              fixed-address 10.78.5.5;
              option subnet-mask 255.255.0.0;
              option dhcp-server-identifier 10.78.0.1;
              renew 4 2037/01/01 00:00:00;
              rebind 4 2037/01/01 00:00:00;
              expire 4 2037/01/01 00:00:00;
            }

            """);
        var script = lab.WriteScript("dhclient.sh", """
            case "$reason" in
              BOUND|RENEW|REBIND|REBOOT) ip addr replace "$new_ip_address/$new_subnet_mask" dev "$interface" ;;
            esac
            exit 0
            """);
        string[] common = ["-4", "-cf", conf, "-sf", script, "-lf", leases, "-pf", Path.Combine(lab.Dir, "dhclient.pid"), DhcpLab.ClientIf];

        var (exit, _, err) = await DhcpLab.RunAsync(lab.ClientNs, TimeSpan.FromSeconds(60), "dhclient", ["-1", "-v", .. common]);
        await DhcpLab.RunAsync(lab.ClientNs, Long, "dhclient", ["-x", .. common]);

        Assert.True(exit == 0, err);
        var lines = err.Split('\n').Select(l => l.Trim()).Where(l => l.StartsWith("DHCP", StringComparison.Ordinal)).ToList();
        // No answer to the INIT-REBOOT REQUEST (sent once or more): the next thing the client does is DISCOVER, and
        // it is bound only after an OFFER and a REQUEST in SELECTING state (it may still get the address it asked for).
        int discover = lines.FindIndex(l => l.StartsWith("DHCPDISCOVER", StringComparison.Ordinal));
        Assert.True(discover > 0, err + lab.ServerLog);
        Assert.All(lines[..discover], l => Assert.StartsWith("DHCPREQUEST for 10.78.5.5", l, StringComparison.Ordinal));
        Assert.DoesNotContain(lines, l => l.StartsWith("DHCPNAK", StringComparison.Ordinal));
        Assert.True(lines.FindIndex(l => l.StartsWith("DHCPOFFER", StringComparison.Ordinal)) < lines.FindIndex(l => l.StartsWith("DHCPACK", StringComparison.Ordinal)), err);
        Assert.Equal("52:54:00:77:00:01", Assert.Single(lab.ReadLeases(), r => r.Value.State == "Bound").Value.Mac);
        Assert.Contains("init-reboot from a client with no record", lab.ServerLog.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Udhcpc_UnknownMacServeUnknownFalse_NoLease()
    {
        await using var lab = new DhcpLab("unknown", serveUnknown: false);
        await lab.SetUpAsync(clientMac: "52:54:00:99:99:99");
        await lab.StartServerAsync();
        var (exit, _, err) = await DhcpLab.RunAsync(lab.ClientNs, Long, "udhcpc", "-i", DhcpLab.ClientIf, "-f", "-q", "-n", "-t", "3", "-T", "1", "-s", "/bin/true");
        Assert.NotEqual(0, exit);
        Assert.DoesNotContain("obtained", err, StringComparison.Ordinal);
        Assert.Empty(lab.ReadLeases());
        Assert.Contains("unknown client not served", lab.ServerLog.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Perfdhcp_RelayMode_UnicastRepliesNoDropsNoDuplicates()
    {
        await using var lab = new DhcpLab("perf");
        await lab.SetUpAsync();
        DhcpLab.Sh($"ip -n {lab.ClientNs} addr add 10.78.0.2/16 dev {DhcpLab.ClientIf}");
        await lab.StartServerAsync();

        // perfdhcp acts as a relay: giaddr = 10.78.0.2, sent from and answered to port 67.
        var (exit, output, err) = await DhcpLab.RunAsync(lab.ClientNs, TimeSpan.FromSeconds(30), "perfdhcp",
            "-4", "-l", "10.78.0.2", "-r", "100", "-R", "1000", "-p", "5", "-d", "2", "-u", "10.78.0.1");
        Assert.True(exit == 0, output + err);
        var stats = PerfStats(output);
        Assert.True(stats.Sent[0] >= 400, output);
        Assert.Equal(stats.Sent, stats.Received);
        Assert.Equal([0, 0], stats.NonUnique);
        Assert.Equal([0, 0], stats.Rejected);
        var rows = lab.ReadLeases();
        Assert.Equal(stats.Received[1], rows.Count(r => r.Value.State == "Bound"));
        Assert.Equal(rows.Count, rows.Values.Select(r => r.Mac).Distinct().Count());
    }

    [Fact]
    public async Task KillMinus9_DuringPerfdhcp_EveryAckedLeaseSurvivesNoAddressReused()
    {
        await using var lab = new DhcpLab("kill");
        await lab.SetUpAsync();
        DhcpLab.Sh($"ip -n {lab.ClientNs} addr add 10.78.0.2/16 dev {DhcpLab.ClientIf}");
        await lab.StartServerAsync();
        var capture = Path.Combine(lab.Dir, "acks.pcapng");
        var tshark = lab.Start(lab.ClientNs, "tshark", "-i", DhcpLab.ClientIf, "-f", "udp src port 67 and src host 10.78.0.1", "-w", capture, "-q");
        var capturing = new TaskCompletionSource();
        tshark.ErrorDataReceived += (_, e) =>
        {
            if (e.Data?.Contains("Capturing on", StringComparison.Ordinal) == true)
            {
                capturing.TrySetResult();
            }
        };
        tshark.BeginErrorReadLine();
        Assert.Same(capturing.Task, await Task.WhenAny(capturing.Task, Task.Delay(Long)));

        var perf = DhcpLab.RunAsync(lab.ClientNs, TimeSpan.FromSeconds(30), "perfdhcp",
            "-4", "-l", "10.78.0.2", "-r", "300", "-R", "5000", "-p", "6", "-s", "7", "10.78.0.1");
        await Task.Delay(TimeSpan.FromSeconds(3));
        await lab.KillServerAsync();
        await perf;

        await lab.StartServerAsync();
        var (exit, output, err) = await DhcpLab.RunAsync(lab.ClientNs, TimeSpan.FromSeconds(30), "perfdhcp",
            "-4", "-l", "10.78.0.2", "-r", "300", "-R", "5000", "-p", "3", "-s", "8", "10.78.0.1");
        // perfdhcp exits 3 when an exchange was not completed in its wait time (1 s), which a loaded 2-core CI machine
        // can cause without any fault in the server (one late ACK of ~900 was seen). What this test is about is below:
        // every ACK on the wire is on disk and no address went to two MACs. Lateness is allowed for at most 1% of
        // the packets; anything else (exit 1, 2, or real losses) still fails.
        var (sent, received, _, _) = PerfStats(output);
        Assert.True(exit == 0 || (exit == 3 && sent.Sum() > 0 && received.Sum() >= sent.Sum() * 0.99), $"perfdhcp exit {exit}\n{output}{err}");
        await Task.Delay(500);
        Signal(tshark, "INT");
        await tshark.WaitForExitAsync();

        var (_, fields, _) = await RunInHostAsync("tshark", "-r", capture, "-Y", "dhcp.option.dhcp == 5", "-T", "fields", "-E", "separator=,", "-E", "occurrence=f",
            "-e", "dhcp.hw.mac_addr", "-e", "dhcp.ip.your");
        var acks = fields.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split(',')).Select(p => (Mac: p[0], Ip: p[1])).ToList();
        Assert.True(acks.Count > 300, $"only {acks.Count} ACKs captured");

        var rows = lab.ReadLeases();
        foreach (var ack in acks)
        {
            Assert.True(rows.TryGetValue(ack.Ip, out var row), $"ACKed {ack.Ip} to {ack.Mac} is not in leases.db");
            Assert.Equal(ack.Mac, row.Mac);
        }

        Assert.All(acks.GroupBy(a => a.Ip), g => Assert.Single(g.Select(a => a.Mac).Distinct()));
        Assert.Equal(rows.Count, rows.Values.Select(r => r.Mac).Distinct().Count());
    }

    private static async Task<(int, string, string)> RunInHostAsync(string file, params string[] args)
    {
        using var p = Process.Start(new ProcessStartInfo(file, args) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        var o = p.StandardOutput.ReadToEndAsync();
        var e = p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync();
        return (p.ExitCode, await o, await e);
    }

    private static (int[] Sent, int[] Received, int[] NonUnique, int[] Rejected) PerfStats(string output)
    {
        static int[] All(string text, string label) =>
            Regex.Matches(text, "^" + Regex.Escape(label) + @": (\d+)", RegexOptions.Multiline)
                .Select(m => int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture)).ToArray();
        return (All(output, "sent packets"), All(output, "received packets"), All(output, "non unique addresses"), All(output, "rejected leases"));
    }
}

[CollectionDefinition("dhcp-lab", DisableParallelization = true)]
public sealed class DhcpLabCollection;

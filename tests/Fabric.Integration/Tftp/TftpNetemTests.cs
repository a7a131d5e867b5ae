using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using Xunit.Abstractions;

namespace Fabric.Integration.Tftp;

/// <summary>
/// The server (in its own process) in network namespace S, the clients in namespace C, and between them a namespace M
/// without addresses that joins a veth pair to S and one to C and delays every frame 2 ms each way: with a bridge and
/// netem where the kernel has sch_netem, otherwise with delaybridge.py, a userspace forwarder. S and C each drop 5% of
/// incoming UDP (nftables). All three namespaces are made and removed by the test; nothing touches the host's interfaces.
/// </summary>
public sealed class TftpNetemFixture : IAsyncLifetime
{
    private readonly string _suffix = Guid.NewGuid().ToString("N")[..6];
    private Process? _server;
    private Process? _bridge;

    public TftpFiles Files { get; } = new();

    public string ServerNs => "tftp-s-" + _suffix;

    public string ClientNs => "tftp-c-" + _suffix;

    public string MiddleNs => "tftp-m-" + _suffix;

    public string ServerAddress { get; private set; } = "";

    public string Impairment { get; private set; } = "";

    public async Task InitializeAsync()
    {
        int net = Random.Shared.Next(1, 250);
        ServerAddress = $"10.213.{net}.1";
        string vs = "tfs" + _suffix, vc = "tfc" + _suffix, ms = "tfms" + _suffix, mc = "tfmc" + _suffix;
        await Proc.CheckAsync("ip", "netns", "add", ServerNs);
        await Proc.CheckAsync("ip", "netns", "add", ClientNs);
        await Proc.CheckAsync("ip", "netns", "add", MiddleNs);
        await Proc.CheckAsync("ip", "link", "add", vs, "netns", ServerNs, "type", "veth", "peer", "name", ms, "netns", MiddleNs);
        await Proc.CheckAsync("ip", "link", "add", vc, "netns", ClientNs, "type", "veth", "peer", "name", mc, "netns", MiddleNs);
        await Proc.CheckAsync("ip", "-n", ServerNs, "addr", "add", ServerAddress + "/24", "dev", vs);
        await Proc.CheckAsync("ip", "-n", ClientNs, "addr", "add", $"10.213.{net}.2/24", "dev", vc);
        await Proc.CheckAsync("ip", "-n", MiddleNs, "link", "set", ms, "up");
        await Proc.CheckAsync("ip", "-n", MiddleNs, "link", "set", mc, "up");
        foreach (var (ns, dev) in new[] { (ServerNs, vs), (ClientNs, vc) })
        {
            await Proc.CheckAsync("ip", "-n", ns, "link", "set", "lo", "up");
            await Proc.CheckAsync("ip", "-n", ns, "link", "set", dev, "up");

            // Loss: 5% of incoming UDP in each namespace, except the client's ACK of the option acknowledgement (block 0).
            // atftp's client aborts on a second OACK ("tftp: unexpected OACK"), so a lost ACK 0 followed by the
            // retransmitted OACK that RFC 2347 asks of the server ends an atftp transfer with any server; the server side
            // of that exchange is covered by ReadTransferTests.OnTimer_OackUnacknowledged_ResendsOack.
            // @th,64,32 is the first four bytes of the UDP payload: opcode 4 (ACK), block 0.
            await Proc.CheckAsync("ip", "netns", "exec", ns, "nft", "add", "table", "inet", "lossy");
            await Proc.CheckAsync("ip", "netns", "exec", ns, "nft", "add", "chain", "inet", "lossy", "in", "{ type filter hook input priority 0; }");
            await Proc.CheckAsync("ip", "netns", "exec", ns, "nft", "add", "rule", "inet", "lossy", "in", "meta", "l4proto", "udp", "@th,64,32", "0x00040000", "accept");
            await Proc.CheckAsync("ip", "netns", "exec", ns, "nft", "add", "rule", "inet", "lossy", "in", "meta", "l4proto", "udp", "numgen", "random", "mod", "100", "<", "5", "drop");
        }

        const string Loss = "nftables: 5% loss each way (ACK 0 spared)";
        if (await TryNetemAsync(ms) && await TryNetemAsync(mc))
        {
            string br = "tfbr" + _suffix;
            await Proc.CheckAsync("ip", "-n", MiddleNs, "link", "add", br, "type", "bridge");
            await Proc.CheckAsync("ip", "-n", MiddleNs, "link", "set", ms, "master", br);
            await Proc.CheckAsync("ip", "-n", MiddleNs, "link", "set", mc, "master", br);
            await Proc.CheckAsync("ip", "-n", MiddleNs, "link", "set", br, "up");
            Impairment = "netem: 2 ms delay each way (kernel bridge); " + Loss;
        }
        else
        {
            // Only one interface took netem, if any: take it off again so the frames are delayed once.
            await Proc.RunAsync("ip", ["netns", "exec", MiddleNs, "tc", "qdisc", "del", "dev", ms, "root"], TimeSpan.FromSeconds(10));
            _bridge = await StartDelayBridgeAsync(ms, mc);
            Impairment = "2 ms delay each way (userspace bridge, this kernel has no netem); " + Loss;
        }

        string host = Path.Combine(AppContext.BaseDirectory, "Fabric.Tftp.TestHost.dll");
        var info = new ProcessStartInfo("ip")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[] { "netns", "exec", ServerNs, "dotnet", host, "--root", Files.Root, "--endpoint", ServerAddress + ":69", "--timeout-ms", "100", "--retries", "30" })
        {
            info.ArgumentList.Add(arg);
        }

        _server = Process.Start(info)!;
        var line = await _server.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(30));
        if (line is null || !line.StartsWith("LISTENING", StringComparison.Ordinal))
        {
            throw new InvalidOperationException("test host did not start: " + await _server.StandardError.ReadToEndAsync());
        }
    }

    public async Task DisposeAsync()
    {
        if (_bridge is not null)
        {
            try
            {
                _bridge.Kill();
            }
            catch (InvalidOperationException)
            {
            }

            await _bridge.WaitForExitAsync();
            _bridge.Dispose();
        }

        if (_server is not null)
        {
            try
            {
                _server.StandardInput.Close();
                if (!_server.WaitForExit(5000))
                {
                    _server.Kill(entireProcessTree: true);
                }
            }
            catch (InvalidOperationException)
            {
            }

            _server.Dispose();
        }

        await Proc.RunAsync("ip", ["netns", "del", ServerNs], TimeSpan.FromSeconds(10));
        await Proc.RunAsync("ip", ["netns", "del", ClientNs], TimeSpan.FromSeconds(10));
        await Proc.RunAsync("ip", ["netns", "del", MiddleNs], TimeSpan.FromSeconds(10));
        Files.Dispose();
    }

    private async Task<bool> TryNetemAsync(string dev)
    {
        var result = await Proc.RunAsync("ip", ["netns", "exec", MiddleNs, "tc", "qdisc", "add", "dev", dev, "root", "netem", "delay", "2ms"], TimeSpan.FromSeconds(10));
        return result.ExitCode == 0;
    }

    /// <summary>Starts delaybridge.py between the two interfaces of M and waits for its READY line.</summary>
    private async Task<Process> StartDelayBridgeAsync(string ifS, string ifC)
    {
        string script = Path.Combine(AppContext.BaseDirectory, "Tftp", "delaybridge.py");
        var info = new ProcessStartInfo("ip")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[] { "netns", "exec", MiddleNs, "python3", script, ifS, ifC, "--delay-ms", "2" })
        {
            info.ArgumentList.Add(arg);
        }

        var bridge = Process.Start(info)!;
        string? line = null;
        try
        {
            line = await bridge.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(30));
        }
        catch (TimeoutException)
        {
        }

        if (line != "READY")
        {
            bridge.Kill();
            await bridge.WaitForExitAsync();
            string stderr = await bridge.StandardError.ReadToEndAsync();
            bridge.Dispose();
            throw new InvalidOperationException($"delaybridge.py did not start ({line ?? "no READY within 30 s"}): {stderr}");
        }

        return bridge;
    }
}

public sealed class TftpNetemTests(TftpNetemFixture fixture, ITestOutputHelper output) : IClassFixture<TftpNetemFixture>
{
    [Fact]
    public async Task Ping_ClientToServer_RoundTripHasBothDelays()
    {
        // ICMP is outside the UDP loss rules, so every echo is delayed 2 ms each way and nothing else.
        var result = await Proc.RunAsync("ip", ["netns", "exec", fixture.ClientNs, "ping", "-c", "5", "-i", "0.2", "-q", fixture.ServerAddress], TimeSpan.FromSeconds(30));
        output.WriteLine(fixture.Impairment);
        output.WriteLine(result.Stdout);
        Assert.True(result.ExitCode == 0, $"ping exited {result.ExitCode}: {result.Stderr}{result.Stdout}");

        // "rtt min/avg/max/mdev = 4.311/5.312/7.044/1.229 ms"
        var rtt = Regex.Match(result.Stdout, @"= (?<min>[0-9.]+)/");
        Assert.True(rtt.Success, "no rtt line: " + result.Stdout);
        double minMs = double.Parse(rtt.Groups["min"].Value, CultureInfo.InvariantCulture);
        Assert.True(minMs >= 3.5, $"minimum round trip {minMs} ms, expected at least 3.5 ms (2 ms delay each way)");
    }

    [Theory]
    [InlineData("tftp-hpa", "k256.bin")]
    // atftp in lock-step re-acknowledges a duplicate block only once, then ignores duplicates until its own 5 s
    // timeout; it recovers only because the server's retransmission backoff leaves a longer silence.
    [InlineData("atftp-1468", "k256.bin")]
    [InlineData("atftp-1468-w16", "k256.bin")]
    [InlineData("atftp-8192-w8", "k256.bin")]
    [InlineData("busybox-1468", "k256.bin")]
    // curl asks for the RFC 2349 timeout option and relies on the server's retransmissions, which follow the
    // negotiated timeout: each lost packet costs that long (6 s with curl's defaults), so curl asks for 3 s here.
    [InlineData("curl-1468-timeout3", "k64.bin")]
    public async Task Get_LossyLink_Sha256Matches(string client, string file)
    {
        string local = Path.Combine(Path.GetTempPath(), $"fabric-tftp-netem-{Guid.NewGuid():N}");
        try
        {
            var (exe, args) = TftpClients.Command(client, fixture.ServerAddress, 69, file, local);
            var result = await Proc.RunAsync("ip", ["netns", "exec", fixture.ClientNs, exe, .. args], TimeSpan.FromSeconds(90));
            output.WriteLine(fixture.Impairment);
            Assert.True(result.ExitCode == 0, $"{client} exited {result.ExitCode}: {result.Stderr}{result.Stdout}");
            Assert.Equal(fixture.Files.Hash(file), TftpFiles.HashOf(local));
        }
        finally
        {
            File.Delete(local);
        }
    }
}
